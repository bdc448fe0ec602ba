#!/usr/bin/env bash
# Creates .venv and installs the engine with the pinned CPU test stack. Idempotent: a stamp holding the hash
# of the inputs makes a second run a no-op.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SRLM_VENV:-$root/.venv}"
py="${PYTHON:-python3}"
inputs=("$root/runtime/python/pyproject.toml" "$root/runtime/python/constraints-cpu.txt" "$root/scripts/setup-python.sh")
want="$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)"
stamp="$venv/.srlm-setup-stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c 'import srlm_engine, torch' 2>/dev/null; then
  echo "python environment up to date: $venv"
  exit 0
fi
echo "setting up python environment in $venv"
# This machine's pip configuration names local package folders that may not exist; pip warns per package.
quiet_pip() { "$venv/bin/python" -m pip "$@" 2>&1 | { grep -v "^WARNING: Location '.*' is ignored" || true; }; }
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
quiet_pip install -q --upgrade pip
# torch first and alone, so the pinned CPU build (a local file on these machines) wins over any CUDA build.
quiet_pip install -q -c "$root/runtime/python/constraints-cpu.txt" torch
quiet_pip install -q -c "$root/runtime/python/constraints-cpu.txt" -e "$root/runtime/python[onnx,dev]"
# The pyright wrapper downloads its type checker (an npm package) on first use: do it now, while set-up may
# reach the registries, rather than in the middle of the tests.
"$venv/bin/pyright" --version >/dev/null
echo "$want" > "$stamp"
echo "python environment ready: $venv"

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
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# torch first and alone, so the pinned CPU build (a local file on these machines) wins over any CUDA build.
"$venv/bin/python" -m pip install -q -c "$root/runtime/python/constraints-cpu.txt" torch
"$venv/bin/python" -m pip install -q -c "$root/runtime/python/constraints-cpu.txt" -e "$root/runtime/python[onnx,dev]"
echo "$want" > "$stamp"
echo "python environment ready: $venv"

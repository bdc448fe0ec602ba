#!/usr/bin/env bash
# The main job: set up everything a fresh machine needs, run the embedded demo pipeline with live progress, then
# print what each stage did: greedy accuracy and avg@8 (mean accuracy of 8 samples at temperature 1) on the
# test and validation problems, for every model before and after its stage.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup-node.sh
bash scripts/setup-python.sh
runs="$root/.srlm/runs"
before="$(ls -1 "$runs" 2>/dev/null || true)"
status=0
node dist/srlm.js run examples/demo.srlm "$@" || status=$?
# The run this command started: the one folder that was not there before (none with --detach's early return).
run="$(comm -13 <(echo "$before" | sort) <(ls -1 "$runs" 2>/dev/null | sort) | grep -v '\.json$' | tail -n 1 || true)"
if [ -n "$run" ] && [ -f "$runs/$run/events.jsonl" ] && grep -q '"run_finished"' "$runs/$run/events.jsonl"; then
  echo
  "${SRLM_VENV:-$root/.venv}/bin/python" scripts/demo_summary.py "$runs/$run" || true
fi
exit "$status"

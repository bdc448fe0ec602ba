#!/usr/bin/env bash
# The main job: set up everything a fresh machine needs, then run the embedded demo pipeline with live progress.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup-node.sh
bash scripts/setup-python.sh
exec node dist/srlm.js run examples/demo.srlm "$@"

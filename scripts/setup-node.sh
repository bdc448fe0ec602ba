#!/usr/bin/env bash
# Installs npm dependencies (idempotent: skipped when package-lock.json is unchanged) and builds the bundles.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# onnxruntime-node would otherwise try to download CUDA binaries; its CPU provider ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.srlm-setup-stamp"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
npm run --silent build

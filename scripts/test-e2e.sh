#!/usr/bin/env bash
# The end-to-end suite in a real VS Code: installs (once, cached in .e2e/) Node 24, code-server and Debian's
# chromium, packages the extension as a VSIX, then drives code-server with playwright-core.
# If the set-up itself cannot be done on this machine (no apt, no registry), the suite is skipped with the
# reason printed and exit status 0; a test that runs and fails exits non-zero.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
t0=$(date +%s)
if ! bash scripts/setup-e2e.sh; then
  echo "e2e suite SKIPPED: scripts/setup-e2e.sh could not install its prerequisites (see the lines above)"
  exit 0
fi
t1=$(date +%s)
echo "e2e set-up took $((t1 - t0)) s"
if ! npm run --silent package >/tmp/srlm-e2e-package.log 2>&1; then
  cat /tmp/srlm-e2e-package.log
  echo "e2e: npm run package FAILED"
  exit 1
fi
echo "packaged $(ls -l dist/srlm-studio-linux-x64.vsix | awk '{print $5}') bytes: dist/srlm-studio-linux-x64.vsix ($(($(date +%s) - t1)) s)"
mkdir -p test-artifacts/e2e
node --import tsx --test --test-reporter=spec --test-concurrency=1 test/e2e/*.test.ts
status=$?
echo "e2e screenshots: test-artifacts/e2e/ (total $(($(date +%s) - t0)) s)"
exit $status

#!/usr/bin/env bash
# The @vscode/test-electron suite (test/vscode): it downloads a VS Code build, so it runs only where that is
# possible and wanted — set SRLM_VSCODE_TEST=1 (and have the internet), or keep a VS Code in .vscode-test/.
# Otherwise it says plainly that it was skipped and why, and exits 0: the offline suite that CI relies on is
# scripts/test-e2e.sh (code-server from npm).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "${SRLM_VSCODE_TEST:-}" != "1" ] && ! ls -d .vscode-test/vscode-* >/dev/null 2>&1; then
  echo "extension-host suite (test/vscode, @vscode/test-electron) SKIPPED: it downloads VS Code, which this machine"
  echo "cannot (no internet beyond the package registries). Run it with SRLM_VSCODE_TEST=1 where a download works;"
  echo "the same features are covered offline by scripts/test-e2e.sh in code-server."
  exit 0
fi
npm run --silent build
npx esbuild test/vscode/suite/index.ts --bundle --platform=node --format=cjs --external:vscode \
  --outfile=out/vscode-tests/suite.js --log-level=warning
npx esbuild test/vscode/runTests.ts --bundle --platform=node --format=cjs --external:@vscode/test-electron \
  --outfile=out/vscode-tests/runTests.js --log-level=warning
# Electron needs a display; xvfb-run provides one on a headless Linux machine when it is installed.
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a node out/vscode-tests/runTests.js
fi
exec node out/vscode-tests/runTests.js

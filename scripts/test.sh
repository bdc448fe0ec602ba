#!/usr/bin/env bash
# The one test command: installs everything a fresh machine needs, then runs every suite. Every suite runs even
# when an earlier one fails; the exit status is non-zero if any failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
failed=()
step() {
  local name="$1"; shift
  echo
  echo "=== $name"
  if "$@"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; failed+=("$name"); fi
}

bash scripts/setup-node.sh || { echo "node set-up failed"; exit 1; }
bash scripts/setup-python.sh || { echo "python set-up failed"; exit 1; }

step "typecheck" npx tsc -p tsconfig.json
generated_files() {
  npx tsx server/src/core/schema/planSchema.ts --check && npx tsx server/src/core/schema/planTypes.ts --check &&
    npx tsx server/src/core/schema/planDoc.ts --check
}
step "generated files" generated_files
step "lint (typescript)" npm run --silent lint
py_dirs=(runtime/python)
[ -d bench ] && py_dirs+=(bench)
step "lint (python)" .venv/bin/ruff check "${py_dirs[@]}"
step "format (python)" .venv/bin/ruff format --check "${py_dirs[@]}"
step "typecheck (python)" .venv/bin/pyright -p runtime/python --pythonpath .venv/bin/python
step "typescript tests" node scripts/run-ts-tests.mjs
step "python tests" .venv/bin/python -m pytest runtime/python/tests -q
# Every platform's VSIX from one production build, and what each carries (after the TypeScript tests: it rebuilds dist/).
step "packages (every platform)" node --import tsx --test --test-reporter=spec test/packaging/vsix.test.ts
for extra in scripts/test-vscode.sh scripts/test-e2e.sh; do
  [ -f "$extra" ] && step "$(basename "$extra" .sh)" bash "$extra"
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all suites passed"

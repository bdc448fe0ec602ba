// Runs every TypeScript test file under test/ with Node's built-in test runner (through tsx).
// Usage: node scripts/run-ts-tests.mjs [substring filters...]. Suites that need a real VS Code
// (test/e2e, test/vscode) and the packaging test (test/packaging: it rebuilds dist/, which other tests run) have
// their own entry points and are excluded here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const excluded = new Set(['test/e2e', 'test/vscode', 'test/fixtures', 'test/packaging']);
function walk(dir, out) {
  if (excluded.has(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk('test', []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);

// One file-naming convention for TypeScript: every module and test under client/, server/, runtime/src/ and test/
// is camelCase (`runSummary.ts`, `compareCli.test.ts`), as VS Code's own sources are. Folders and the
// command-line scripts under scripts/ and bench/ stay kebab-case like the shell scripts beside them; bundles in
// dist/ are artifacts and keep their published names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { root } from '../runtime/helpers';

const CAMEL = /^[a-z][a-zA-Z0-9]*(\.[a-z0-9]+)*\.(ts|mts|tsx)$/;

export function misnamed(files: readonly string[]): string[] {
  return files
    .filter((f) => /^(client|server|runtime\/src|test)\//.test(f) && /\.(ts|mts|tsx)$/.test(f))
    .filter((f) => !f.startsWith('test/fixtures/'))
    .filter((f) => !CAMEL.test(path.posix.basename(f)));
}

test('the convention rejects kebab-case and snake_case module names and accepts camelCase', () => {
  assert.deepEqual(
    misnamed([
      'runtime/src/store/run-summary.ts',
      'server/src/ide/code_actions.ts',
      'test/runtime/eval-display.test.ts',
      'runtime/src/store/runSummary.ts',
      'test/e2e/vscode.e2e.test.ts',
      'scripts/package-vsix.ts',
    ]),
    ['runtime/src/store/run-summary.ts', 'server/src/ide/code_actions.ts', 'test/runtime/eval-display.test.ts'],
  );
});

test('every TypeScript file in the repository follows it', () => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .toString()
    .split('\n')
    .filter(Boolean);
  assert.deepEqual(misnamed(files), []);
});

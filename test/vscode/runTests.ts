// Extension-host suite with @vscode/test-electron: downloads a VS Code build (so it needs the internet, unlike
// test/e2e), starts it with this folder as the extension under development and runs suite/index.ts inside it.
// Entry: scripts/test-vscode.sh, which bundles the suite first.
import * as path from 'node:path';
import { mkdtempSync, mkdirSync, cpSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'srlm-vscode-test-'));
  mkdirSync(path.join(workspace, 'examples'));
  for (const f of ['short.srlm', 'broken.srlm', 'complete.srlm'])
    cpSync(path.join(root, 'test', 'fixtures', 'e2e', f), path.join(workspace, 'examples', f));
  symlinkSync(path.join(root, 'runtime'), path.join(workspace, 'runtime'));
  await runTests({
    version: process.env.SRLM_VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'vscode-tests', 'suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

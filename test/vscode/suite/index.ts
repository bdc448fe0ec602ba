// Runs inside the VS Code extension host (bundled to out/vscode-tests/suite.js). A small sequential runner:
// each case prints ok/FAIL, and run() rejects when any failed, which makes @vscode/test-electron exit non-zero.
import { cases } from './cases';

export async function run(): Promise<void> {
  let failed = 0;
  for (const [name, fn] of cases) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (err) {
      failed++;
      console.error(`FAIL - ${name}\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  console.log(`${cases.length - failed} passed, ${failed} failed`);
  if (failed) throw new Error(`${failed} extension-host test(s) failed`);
}

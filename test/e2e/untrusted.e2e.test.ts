// Workspace Trust in a real VS Code: a folder that is not trusted opens in Restricted Mode, where the language
// features still work but "SRLM: Run Pipeline" launches nothing and says why, and "SRLM: Stop Run" signals nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { missingPrerequisites, sleep } from './codeServer';
import { groupProcesses, openSession, type Session } from './session';
import { notifications, openFile, problems, runCommand, screenshot, until } from './workbench';

const missing = missingPrerequisites();
const skip = missing.length
  ? `missing ${missing.join(', ')} — run bash scripts/setup-e2e.sh and npm run package`
  : undefined;

describe('SRLM Studio in Restricted Mode (untrusted workspace)', { skip }, () => {
  let session: Session;

  before(async () => {
    session = await openSession({ trusted: false, name: 'untrusted' });
  });

  after(async () => {
    await session?.close();
  });

  test('diagnostics still work, but Run Pipeline and Stop Run explain that nothing runs', async () => {
    const page = session.page;
    await openFile(page, 'broken.srlm');
    await runCommand(page, 'View: Focus Problems');
    await until(
      'diagnostics in Restricted Mode',
      async () => (await problems(page)).some((r) => r.includes("'lrr'")),
      60_000,
    );

    await runCommand(page, 'SRLM: Run Pipeline');
    const text = await until('the Restricted Mode explanation', async () => {
      const n = await notifications(page);
      return /disabled in Restricted Mode/.test(n) ? n : undefined;
    });
    await screenshot(page, '07-untrusted-run-refused');
    assert.match(text, /needs a trusted workspace/);
    // Stop signals a pid that a (possibly forged) run folder names: refused here too (docs/security.md).
    await runCommand(page, 'SRLM: Stop Run');
    await until('the Restricted Mode explanation for Stop', async () =>
      /Stopping a run is disabled in Restricted Mode/.test(await notifications(page)),
    );
    await sleep(2000);
    assert.equal(existsSync(path.join(session.workspace, '.srlm')), false, 'no run folder was created');
    const procs = groupProcesses(session.server.pgid).map((p) => p.args);
    assert.deepEqual(
      procs.filter((a) => /python|srlm\.js/.test(a)),
      [],
      'no engine or CLI process started',
    );
  });
});

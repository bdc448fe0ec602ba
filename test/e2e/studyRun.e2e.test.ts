// "Run Pipeline" on a file that declares a study, in a real VS Code: the variant pick, progress per variant, a
// run per variant in the Runs view, and the Study view with a row for each variant when the study is kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { missingPrerequisites, sleep } from './codeServer';
import { openSession, runSkipReason, type Session } from './session';
import { notifications, openFile, runCommand, screenshot, until, webviewFrame } from './workbench';

const missing = missingPrerequisites();
const skip = missing.length
  ? `missing ${missing.join(', ')} — run bash scripts/setup-e2e.sh and npm run package`
  : runSkipReason();

describe('a study run from the editor (code-server + Chromium)', { skip }, () => {
  let session: Session;
  let page: Page;

  before(async () => {
    session = await openSession({ trusted: true, name: 'study-run' });
    page = session.page;
  });

  after(async () => {
    await session?.close();
  });

  test(
    'Run Pipeline on a two-variant study: pick all, follow each variant, the Study view shows both rows',
    { timeout: 600_000 },
    async () => {
      await openFile(page, 'study-short.srlm');
      // The variants come from the language server's symbols: wait until it serves this file (its code lens).
      await until(
        'the Run pipeline code lens',
        async () => (await page.locator('.codelens-decoration').allInnerTexts()).join(' ').includes('Run'),
        60_000,
      );
      await runCommand(page, 'SRLM: Run Pipeline');
      const rows = page.locator('.quick-input-widget .monaco-list-row');
      const labels = await until(
        'the variant pick',
        async () => {
          const l = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
          return l.length >= 3 && l[0]!.startsWith('All') ? l : undefined;
        },
        30_000,
      );
      assert.match(labels[0]!, /^All 2 variants/);
      assert.equal(labels.length, 3, labels.join(' | '));
      assert.ok(
        labels.some((l) => l.startsWith('sft_rl')),
        labels.join(' | '),
      );
      await screenshot(page, '20-study-variant-pick');
      await page.keyboard.press('Enter');

      // While it runs, the notification says which variant of how many; the Study view opens at the end.
      const seen = new Set<string>();
      const frame = await until(
        'the Study view of the finished study',
        async () => {
          for (const m of (await notifications(page)).matchAll(/variant (\d\/2): (\w+)/g)) seen.add(`${m[1]} ${m[2]}`);
          return webviewFrame(page, 'figure.chart');
        },
        540_000,
        500,
      ).catch(async (err: Error) => {
        await screenshot(page, '20-no-study-view');
        throw new Error(`${err.message}\nnotifications: ${await notifications(page)}`);
      });
      await sleep(1000);
      await screenshot(page, '21-study-view-after-run');
      const variants = await frame.evaluate(() =>
        [...new Set([...document.querySelectorAll('td.variant')].map((td) => td.textContent))].sort(),
      );
      assert.deepEqual(variants, ['sft_only', 'sft_rl']);
      assert.ok(
        seen.has('1/2 sft_only') || seen.has('2/2 sft_rl'),
        `progress named a variant: ${[...seen].join(', ') || 'none seen'}`,
      );
      // Both runs and the kept study are where the Runs view reads them.
      const ws = path.join(session.workspace, '.srlm');
      const runs = readdirSync(path.join(ws, 'runs'));
      assert.equal(runs.filter((r) => /short_study\.sft_(only|rl)/.test(r)).length, 2, runs.join(', '));
      assert.equal(readdirSync(path.join(ws, 'studies')).filter((f) => f.startsWith('e2e-')).length, 1);
      assert.doesNotMatch(await notifications(page), /did not run|failed/);
    },
  );
});

// "Run Pipeline" on a file that declares a study, in a real VS Code: the variant pick, progress per variant, a
// run per variant in the Runs view, and the Study view with a row for each variant when the study is kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
      await runCommand(page, 'View: Close All Editors');
    },
  );

  /** Writes a copy of the study fixture into the workspace with `edit` applied, and opens it. */
  async function studyFile(name: string, edit: (text: string) => string): Promise<void> {
    const examples = path.join(session.workspace, 'examples');
    writeFileSync(path.join(examples, name), edit(readFileSync(path.join(examples, 'study-short.srlm'), 'utf8')));
    await openFile(page, name);
  }

  /** The notifications' text once it matches `re`. */
  function notificationMatching(what: string, re: RegExp, timeoutMs: number): Promise<string> {
    return until(
      what,
      async () => {
        const n = await notifications(page);
        return re.test(n) ? n : undefined;
      },
      timeoutMs,
      500,
    );
  }

  /** Runs the open study with every variant (the pick's default). */
  async function runAllVariants(): Promise<void> {
    await runCommand(page, 'SRLM: Run Pipeline');
    await until(
      'the variant pick',
      async () => (await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts())[0]?.startsWith('All'),
      30_000,
    );
    await page.keyboard.press('Enter');
  }

  test(
    'Cancel in the notification stops the running variant; the study starts no further one',
    { timeout: 300_000 },
    async () => {
      // Long enough to be stopped while it trains; new step counts, so nothing comes from the stage cache.
      await studyFile('study-stop.srlm', (t) => t.replace('steps = 4', 'steps = 5000'));
      const runsDir = path.join(session.workspace, '.srlm', 'runs');
      const before = new Set(readdirSync(runsDir));
      await runAllVariants();
      const cancel = page.locator('.notifications-toasts .monaco-button', { hasText: 'Cancel' }).first();
      await until(
        'the first variant training',
        async () => /variant 1\/2: sft_only — .*step/.test(await notifications(page)),
        120_000,
        500,
      ).catch(async (err: Error) => {
        await screenshot(page, '22-no-variant-progress');
        throw new Error(`${err.message}\nnotifications: ${await notifications(page)}`);
      });
      await cancel.click();
      const message = await notificationMatching('the stopped study', /stopped at variant/, 120_000);
      await screenshot(page, '22-study-stopped');
      assert.match(
        message,
        /study e2e stopped at variant sft_only \(examples\/study-stop\.srlm:\d+\)\. Not run: sft_rl\./,
      );
      const started = readdirSync(runsDir).filter((r) => !before.has(r));
      assert.equal(started.length, 1, `one run started: ${started.join(', ')}`);
      assert.match(started[0]!, /short_study\.sft_only/);
      const frame = await until('the Study view of what ran', () => webviewFrame(page, 'figure.chart'), 60_000, 500);
      const statuses = await frame.evaluate(() =>
        [...document.querySelectorAll('tr')].map((tr) => tr.textContent ?? '').filter((t) => t.startsWith('sft_only')),
      );
      assert.ok(
        statuses.some((t) => /stopped/.test(t)),
        statuses.join(' | '),
      );
      await runCommand(page, 'View: Close All Editors');
    },
  );

  test('a study with an error in a variant runs nothing and names the file, line and variant', async () => {
    await studyFile('study-broken.srlm', (t) => t.replace('stages = [warm, polish]', 'stages = [warm, nosuch]'));
    const runsDir = path.join(session.workspace, '.srlm', 'runs');
    const before = readdirSync(runsDir).length;
    await runAllVariants();
    const message = await notificationMatching('the error message', /did not run/, 60_000);
    await screenshot(page, '23-study-error');
    assert.match(
      message,
      /the study in examples\/study-broken\.srlm did not run: examples\/study-broken\.srlm:\d+ \(variant sft_rl\): no stage named 'nosuch'/,
    );
    assert.equal(readdirSync(runsDir).length, before, 'nothing ran');
  });
});

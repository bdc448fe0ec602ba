// The dashboard bundle in a real headless Chromium, under the same CSP as in VS Code: live deltas extend the
// charts (a chart must not stay stuck on its first x-range), the timeline posts revealStage, and the page logs
// no CSP violation. Skipped, with the reason, where no chromium is installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { dashboardHtml, makeNonce } from '../../client/src/dashboard/html';
import { findChromium, launchChromium } from '../../bench/webview/chromium';

const root = path.resolve(__dirname, '..', '..');
const bundle = path.join(root, 'dist', 'webview', 'dashboard.js');
const skip = !findChromium()
  ? 'chromium is not installed (apt-get install chromium, or bash scripts/setup-e2e.sh)'
  : !existsSync(bundle)
    ? 'dist/webview/dashboard.js is missing (npm run build)'
    : undefined;
if (skip) console.log(`# dashboard page tests SKIPPED: ${skip}`);

const cols = (from: number, to: number, f: (s: number) => number) => {
  const steps = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return { step: steps, time: steps.map((s) => s * 0.5), value: steps.map(f) };
};

describe('dashboard page in Chromium', { skip }, () => {
  let context: BrowserContext;
  let userDataDir: string;
  let dir: string;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'srlm-dash-'));
    const url = (p: string) => pathToFileURL(path.join(root, p)).href;
    writeFileSync(
      path.join(dir, 'index.html'),
      dashboardHtml({
        cspSource: 'file:',
        nonce: makeNonce(),
        script: url('dist/webview/dashboard.js'),
        styles: [url('dist/webview/dashboard.css'), url('media/dashboard.css')],
        title: 'test',
      }),
    );
    ({ context, userDataDir } = await launchChromium({ width: 1200, height: 900 }));
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript(
      // tsx names inner functions with a __name helper that does not exist in the page.
      'window.__name = (f) => f; window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage(m) { window.__posted.push(m); }, getState() { return window.__state; }, setState(s) { window.__state = s; } });',
    );
    await page.goto(pathToFileURL(path.join(dir, 'index.html')).href);
    await page.waitForFunction(() => 'srlmDashboard' in window);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (msg: unknown) =>
    page.evaluate((m) => {
      const toF64 = (o: Record<string, unknown>) => {
        for (const k of ['step', 'time', 'value']) if (Array.isArray(o[k])) o[k] = Float64Array.from(o[k] as number[]);
      };
      const d = (m as { delta?: { metrics?: Record<string, unknown>[] } }).delta;
      d?.metrics?.forEach(toF64);
      window.postMessage(m, '*');
    }, msg);

  const chart = (stage: string, metric: string) =>
    page.evaluate(
      ([s, m]) => {
        const el = document.querySelector<HTMLElement>(`.chart[data-stage="${s}"][data-metric="${m}"]`);
        return el ? { points: Number(el.dataset.points), xmax: Number(el.dataset.xmax) } : undefined;
      },
      [stage, metric],
    );

  test('the page announces itself ready and renders a replay', async () => {
    const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
    assert.deepEqual(posted[0], { type: 'ready' });
    await post({
      type: 'reset',
      delta: {
        run: { id: 'r1', pipeline: 'demo', status: 'running', dir: '/runs/r1' },
        stages: [
          { name: 'teach', kind: 'sft', status: 'running', step: 2, totalSteps: 40, etaSeconds: 30 },
          { name: 'rl', kind: 'rl', status: 'pending', step: 0 },
        ],
        metrics: [{ stage: 'teach', name: 'loss', ...cols(1, 2, (s) => 5 - s * 0.1) }],
      },
    });
    await page.waitForFunction(() => document.querySelector('.chart[data-metric="loss"]'));
    await page.waitForTimeout(100);
    assert.deepEqual(await chart('teach', 'loss'), { points: 2, xmax: 2 });
    const state = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual(state, { runId: 'r1', runDir: '/runs/r1', xAxis: 'step', logScale: false, smoothing: 0.6 });
  });

  test('live deltas extend the chart to the newest step', async () => {
    await post({
      type: 'delta',
      delta: {
        stages: [{ name: 'teach', kind: 'sft', status: 'completed', step: 40, totalSteps: 40 }],
        metrics: [
          { stage: 'teach', name: 'loss', ...cols(3, 40, (s) => 5 - s * 0.1) },
          { stage: 'rl', name: 'reward/accuracy', ...cols(1, 5, (s) => s / 10) },
          { stage: 'rl', name: 'reward/format', ...cols(1, 5, () => 1) },
        ],
        evals: [{ stage: 'teach', step: 40, time: 20, name: 'arith', metrics: { accuracy: 0.5 } }],
        samples: [
          {
            stage: 'rl',
            step: 1,
            prompt: '2+2?',
            completion: '<think>..</think> \\boxed{4}',
            rewards: { accuracy: 1 },
          },
        ],
      },
    });
    await page.waitForTimeout(200);
    assert.deepEqual(await chart('teach', 'loss'), { points: 40, xmax: 40 });
    // Reward functions share one chart per family.
    const reward = await chart('rl', 'reward');
    assert.equal(reward?.points, 10);
    assert.match(await page.locator('.evals tbody').innerText(), /teach \(arith\)\s+40\s+0\.5/);
    assert.match(await page.locator('.samples tbody').innerText(), /boxed\{4\}/);
    assert.match(await page.locator('.timeline .stage[data-stage="teach"]').innerText(), /40\/40[\s\S]*completed/);
  });

  test('a warning shows above the charts with its hint', async () => {
    await post({
      type: 'delta',
      delta: {
        warnings: [
          {
            stage: 'rl',
            step: 5,
            code: 'no_learning_signal',
            message: 'all groups uniform for 5 steps: nothing to learn',
            hint: 'raise temperature',
          },
        ],
      },
    });
    const w = page.locator('.warnings .warning[data-code="no_learning_signal"]');
    await w.waitFor();
    assert.match(
      await w.innerText(),
      /rl step 5: all groups uniform for 5 steps: nothing to learn\s+raise temperature/,
    );
  });

  test("an eval block's scores share one chart; the table shows every metric, scores first, and the sampling", async () => {
    const sampling = { temperature: 1, topP: 0.95, samplesPerPrompt: 8 };
    await post({
      type: 'delta',
      delta: {
        evals: [
          {
            stage: 'rl',
            step: 5,
            time: 30,
            name: 'valid',
            metrics: { eval_time_s: 3, 'pass@8': 0.9, 'avg@8': 0.4, accuracy: 0.6, 'maj@8': 0.7 },
            sampling,
          },
        ],
      },
    });
    await page.waitForTimeout(200);
    assert.equal((await chart('rl', 'eval/valid'))?.points, 4, 'accuracy, avg@8, pass@8 and maj@8 in one chart');
    assert.equal((await chart('rl', 'eval/valid/eval_time_s'))?.points, 1);
    assert.equal(
      (await page.locator('.evals thead').innerText()).trim(),
      ['stage', 'step', 'accuracy', 'avg@8', 'pass@8', 'maj@8', 'eval_time_s', 'sampling'].join('\t'),
    );
    assert.match(
      await page.locator('.evals tbody tr').last().innerText(),
      /^rl \(valid\)\t5\t0\.6000\t0\.4000\t0\.9000\t0\.7000\t3\t8 samples per prompt at temperature 1, top_p 0\.95$/,
    );
  });

  test('clicking a stage asks the host to reveal it; options persist', async () => {
    await page.locator('.timeline .stage[data-stage="rl"]').click();
    await page.locator('#log-scale').check();
    await page.waitForTimeout(100);
    const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    assert.deepEqual(posted.at(-1), { type: 'revealStage', stage: 'rl' });
    const state = await page.evaluate(() => (window as unknown as { __state: { logScale: boolean } }).__state);
    assert.equal(state.logScale, true);
  });

  test('an overlaid run draws its series beside the current ones', async () => {
    await post({
      type: 'overlay',
      delta: {
        run: { id: 'r0', pipeline: 'demo', status: 'completed' },
        metrics: [{ stage: 'teach', name: 'loss', ...cols(1, 60, () => 3) }],
      },
    });
    await page.waitForTimeout(200);
    assert.deepEqual(await chart('teach', 'loss'), { points: 100, xmax: 60 });
    assert.match(await page.locator('.overlay-label').innerText(), /r0/);
  });

  test('no CSP violation or page error', () => {
    assert.deepEqual(errors, []);
  });
});

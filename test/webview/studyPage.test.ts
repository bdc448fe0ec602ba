// The Study view's page: the HTML the host renders from a comparison table (every variant in every table and in
// every chart, names escaped, strict CSP), then the page with its bundle in headless Chromium under that CSP:
// the metric picker switches the chart and is kept in the state, a run link asks the host to open the run, and
// no CSP violation is logged. The Chromium part is skipped, with the reason, where no chromium is installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { makeNonce, studyHtml } from '../../client/src/study/html';
import { barChartSvg } from '../../client/src/study/chart';

import { isSource, type StudyState } from '../../client/src/study/protocol';
import { buildComparison, type ComparisonTable } from '../../runtime/src/study/table';
import { findChromium, launchChromium } from '../../bench/webview/chromium';
import { tmpStore } from '../runtime/helpers';
import { studyRuns } from '../study/runFolders';

const root = path.resolve(__dirname, '..', '..');
const EVIL = '<img src=x onerror="alert(1)">&"\'';

function table(): ComparisonTable {
  const store = tmpStore();
  const ids = studyRuns(store);
  return buildComparison(
    store,
    [
      { id: ids.kdRl, variant: 'kd_rl' },
      { id: ids.kdOnly, variant: EVIL },
      { id: ids.rl, variant: 'direct' },
    ],
    { study: 'seed <b>', file: 'study.srlm' },
  );
}

const state: StudyState = { source: { kind: 'study', runsDir: '/ws/.srlm/runs', id: 'seed-20261202-100000' } };
const page = (t: ComparisonTable, script = 'study.js', styles: string[] = []) =>
  studyHtml({ cspSource: 'file:', nonce: 'N0NCE', script, styles, title: 'Study <x>', table: t, state });

test('every variant is in the summary, each by-stage table and each chart, with its name escaped', () => {
  const t = table();
  const html = page(t);
  assert.doesNotMatch(html, /<img/, 'no markup from a variant name');
  assert.doesNotMatch(html, /<b>/, 'no markup from a study name');
  const escaped = '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&quot;&#39;';
  // 1 summary + 2 metrics' by-stage tables + 1 stage-time table = 4 rows per variant.
  for (const v of ['kd_rl', escaped, 'direct'])
    assert.equal(html.split(`<td class="variant">${v}</td>`).length - 1, 4, `table rows of ${v}`);
  assert.equal(html.split('<figure class="chart"').length - 1, 2, 'one chart per metric');
  for (const m of t.metrics) {
    const svg = barChartSvg(t, m);
    assert.equal(svg.split('<g class="variant"').length - 1, 3, `${m}: a bar group per variant`);
    assert.equal(svg.split('<rect class="bar"').length - 1, 3, `${m}: a bar per variant`);
    assert.ok(svg.includes(`data-variant="${escaped}"`));
  }
  assert.match(html, /<h1>Study seed &lt;b&gt; \(study\.srlm\): 3 variants, /);
  // Cached cells are marked; the run column links to the run's folder.
  assert.match(html, /<td class="num cached" title="reused from the stage cache[^"]*">0\.800\*<\/td>/);
  assert.match(
    html,
    /<a href="#" class="open-run" data-run="20261202-100500-kd_only-bbbb" data-dir="[^"]+20261202-100500-kd_only-bbbb"/,
  );
});

test('the page has the strict CSP, its script only with the nonce, and its state for the serializer', () => {
  const html = page(table());
  assert.match(
    html,
    /content="default-src 'none'; img-src file: data:; style-src file:; font-src file:; script-src 'nonce-N0NCE'"/,
  );
  assert.doesNotMatch(html, /style="/, 'no inline styles (the CSP would block them)');
  assert.equal(html.split('<script').length - 1, 1);
  assert.match(html, /<script nonce="N0NCE" src="study\.js"><\/script>/);
  const body = /<body data-state="([^"]*)"/
    .exec(html)![1]!
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(body), { ...state, metric: 'arith/accuracy' });
});

test('bars share a 0–1 scale for rates and mark the starting value', () => {
  const t = table();
  const svg = barChartSvg(t, 'arith/accuracy');
  const widths = [...svg.matchAll(/<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) =>
    Number(m[2]),
  );
  // 0.82, 0.8 and 0.3 of one plot width.
  assert.equal(widths.length, 3);
  assert.ok(Math.abs(widths[0]! / widths[2]! - 0.82 / 0.3) < 0.01, String(widths));
  assert.equal(svg.split('<line class="before"').length - 1, 3, 'every variant started at 0.1');
  assert.match(svg, />1\.000<\/text>/, 'the axis ends at 1');
});

test('a state read back from a page is checked before the view reopens from it', () => {
  assert.equal(isSource(state.source), true);
  assert.equal(isSource({ kind: 'runs', runs: [{ id: 'a', dir: '/r/a' }] }), true);
  assert.equal(isSource({ kind: 'runs', runs: [] }), false);
  assert.equal(isSource({ kind: 'runs', runs: [{ id: 1 }] }), false);
  assert.equal(isSource({ kind: 'study', id: 'x' }), false);
  assert.equal(isSource(undefined), false);
});

const bundle = path.join(root, 'dist', 'webview', 'study.js');
const skip = !findChromium()
  ? 'chromium is not installed (apt-get install chromium, or bash scripts/setup-e2e.sh)'
  : !existsSync(bundle)
    ? 'dist/webview/study.js is missing (npm run build)'
    : undefined;
if (skip) console.log(`# study page tests in Chromium SKIPPED: ${skip}`);

describe('study page in Chromium', { skip }, () => {
  let context: BrowserContext;
  let userDataDir: string;
  let dir: string;
  let p: Page;
  const errors: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'srlm-study-'));
    const url = (f: string) => pathToFileURL(path.join(root, f)).href;
    writeFileSync(
      path.join(dir, 'index.html'),
      studyHtml({
        cspSource: 'file:',
        nonce: makeNonce(),
        script: url('dist/webview/study.js'),
        styles: [url('media/dashboard.css'), url('media/study.css')],
        title: 'test',
        table: table(),
        state,
      }),
    );
    ({ context, userDataDir } = await launchChromium({ width: 1000, height: 800 }));
    p = await context.newPage();
    p.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) errors.push(m.text());
    });
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.addInitScript(
      'window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage(m) { window.__posted.push(m); }, getState() { return window.__state; }, setState(s) { window.__state = s; } });',
    );
    await p.goto(pathToFileURL(path.join(dir, 'index.html')).href);
    await p.waitForFunction(() => (window as unknown as { __state?: unknown }).__state !== undefined);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const visibleChart = () =>
    p.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('figure.chart')].filter((f) => !f.hidden).map((f) => f.dataset.metric),
    );

  test('one chart shows; picking a metric switches it and is kept in the state', async () => {
    assert.deepEqual(await visibleChart(), ['arith/accuracy']);
    await p.selectOption('#metric', 'arith/avg@8');
    assert.deepEqual(await visibleChart(), ['arith/avg@8']);
    const kept = await p.evaluate(() => (window as unknown as { __state: StudyState }).__state);
    assert.deepEqual(kept, { ...state, metric: 'arith/avg@8' });
    const posted = await p.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    assert.deepEqual(posted.at(-1), { type: 'metric', metric: 'arith/avg@8' });
  });

  test('the hostile variant name is text, a run link opens the run, Refresh asks the host', async () => {
    // The label's own text (its <title> holds the full name).
    const names = await p.evaluate(() =>
      [...document.querySelectorAll('figure.chart:not([hidden]) text.label')].map((t) => t.firstChild?.textContent),
    );
    assert.deepEqual(names, ['kd_rl', `${EVIL.slice(0, 27)}…`, 'direct']);
    assert.equal(await p.locator('img').count(), 0);
    await p.locator('a.open-run').nth(2).click();
    await p.locator('#refresh').click();
    const posted = await p.evaluate(() => (window as unknown as { __posted: Record<string, string>[] }).__posted);
    const open = posted.at(-2)!;
    assert.deepEqual([open.type, open.id], ['openRun', '20261202-101000-direct_rl-cccc']);
    assert.match(open.dir!, /\/20261202-101000-direct_rl-cccc$/);
    assert.deepEqual(posted.at(-1), { type: 'refresh' });
    assert.deepEqual(errors, []);
  });
});

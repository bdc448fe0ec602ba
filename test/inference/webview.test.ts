// The inspector webview bundle in headless Chromium under its own CSP: renders columns from the host's init
// message, streams tokens into coloured spans as text (never markup), reports gold checks, and posts the form
// as a generate request. Skipped where Chromium is not installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { findChromium, launchChromium } from '../../bench/webview/chromium';
import { inspectorHtml } from '../../client/src/inspector/html';
import type { CheckpointInfo, HostMessage } from '../../client/src/inspector/protocol';

const info = (label: string, extra: Partial<CheckpointInfo> = {}): CheckpointInfo => ({
  path: `/runs/r/${label}`,
  label,
  stage: 'grpo',
  kind: 'rl',
  step: 20,
  metrics: { reward: 0.5 },
  evalMetrics: { test: { accuracy: 0.25 } },
  samples: [
    { eval: 'test', step: 20, samples: [{ prompt: 'p', completion: '\\boxed{3}', answer: '3', correct: true }] },
  ],
  warnings: [],
  ...extra,
});

describe('inspector webview in Chromium', { skip: !findChromium() && 'chromium not installed' }, () => {
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'srlm-inspector-page-'));
    await esbuild.build({
      entryPoints: { inspector: path.resolve(__dirname, '../../client/webview/inspector.ts') },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      outdir: dir,
      logLevel: 'silent',
    });
    const nonce = 'testnonce123456789';
    const stub = `<script nonce="${nonce}">window.__sent=[];window.__state=undefined;window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__sent.push(m),getState:()=>window.__state,setState:(s)=>{window.__state=s;}});</script>`;
    const html = inspectorHtml({
      cspSource: 'file:',
      script: 'inspector.js',
      style: 'inspector.css',
      nonce,
      title: 'test',
    }).replace('<script nonce', `${stub}\n    <script nonce`);
    writeFileSync(path.join(dir, 'index.html'), html);
    ({ context } = await launchChromium({ width: 1200, height: 800 }));
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(path.join(dir, 'index.html')).href);
    await page.waitForFunction(() => (window as unknown as { __sent: unknown[] }).__sent.length > 0);
  });
  after(async () => {
    await context?.close();
  });

  const post = (m: HostMessage) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
  const sent = () => page.evaluate(() => (window as unknown as { __sent: { type: string }[] }).__sent);

  it('says ready, renders both columns with metadata, metrics and samples', async () => {
    assert.deepEqual((await sent())[0], { type: 'ready' });
    await post({
      type: 'init',
      columns: [info('warmup · final'), info('grpo · step 20', { exportProblem: 'no ONNX export found' })],
      canExport: true,
    });
    await page.waitForSelector('section.column >> nth=1');
    assert.deepEqual(await page.locator('section.column h2').allTextContents(), ['warmup · final', 'grpo · step 20']);
    assert.match((await page.locator('section.column').nth(0).textContent()) ?? '', /reward0\.5000/);
    assert.match((await page.locator('section.column').nth(0).textContent()) ?? '', /Eval samples: test/);
    await page.locator('section.column').nth(1).getByText('Export to ONNX').click();
    assert.deepEqual((await sent()).at(-1), { type: 'export', column: 1 });
  });

  it('streams tokens as text with probability bands and shows the summary and gold check', async () => {
    await post({ type: 'started', run: 1, column: 0 });
    const tok = (text: string, logprob: number) => ({
      id: 1,
      token: text,
      text,
      logprob,
      entropy: 0.5,
      special: false,
      partial: false,
    });
    await post({ type: 'tokens', run: 1, column: 0, tokens: [tok('<b>bold</b>', -0.01), tok(' \\boxed{3}', -3)] });
    await post({ type: 'tokens', run: 0, column: 0, tokens: [tok('stale', 0)] });
    await post({
      type: 'done',
      run: 1,
      column: 0,
      summary: {
        finishReason: 'eos',
        tokens: 2,
        promptTokens: 9,
        firstTokenMs: 3,
        decodeTokensPerSecond: 100,
        provider: 'cpu',
      },
      gold: { gold: '3', extracted: '3', correct: true },
    });
    const col = page.locator('section.column').nth(0);
    assert.equal(await col.locator('pre.output').textContent(), '<b>bold</b> \\boxed{3}');
    assert.equal(await col.locator('pre.output b').count(), 0);
    assert.deepEqual(await col.locator('pre.output span').evaluateAll((s) => s.map((e) => e.className)), [
      'tok band-0',
      'tok band-4',
    ]);
    assert.match((await col.locator('.summary').textContent()) ?? '', /2 tokens · eos .* 100\.0 tokens\/s · cpu/);
    assert.match((await col.locator('.gold').textContent()) ?? '', /✓ answer 3/);
  });

  it('shows a character split over tokens (even across messages) once, with a mark per token', async () => {
    await post({ type: 'started', run: 2, column: 0 });
    const tok = (token: string, text: string, partial: boolean, logprob: number) => ({
      id: 1,
      token,
      text,
      partial,
      logprob,
      entropy: 0.5,
      special: false,
    });
    // 日本: 'æ' 'Ĺ' '¥æľ' '¬' (bytes E6 | 97 | A5 E6 9C | AC); the third token ends 日 and begins 本.
    await post({ type: 'tokens', run: 2, column: 0, tokens: [tok('æ', '', true, -0.01), tok('Ĺ', '', true, -0.2)] });
    await post({
      type: 'tokens',
      run: 2,
      column: 0,
      tokens: [tok('¥æľ', '', true, -0.01), tok('¬', '日本', false, -3)],
    });
    await post({ type: 'tokens', run: 2, column: 0, tokens: [tok('Ġa', ' a', false, 0), tok('ðŁ', '', true, -1)] });
    await post({
      type: 'done',
      run: 2,
      column: 0,
      summary: {
        finishReason: 'length',
        tokens: 6,
        promptTokens: 9,
        firstTokenMs: 3,
        decodeTokensPerSecond: 1,
        provider: 'cpu',
      },
    });
    const out = page.locator('section.column').nth(0).locator('pre.output');
    assert.equal(await out.textContent(), '日本 a⟨F0 9F⟩');
    assert.doesNotMatch((await out.textContent()) ?? '', /\uFFFD/);
    const runs = out.locator(':scope > span');
    assert.deepEqual(await runs.evaluateAll((s) => s.map((e) => e.className)), [
      'tok band-4 run',
      'tok band-0',
      'tok band-2 incomplete',
    ]);
    const marks = runs.nth(0).locator('.parts .tok');
    assert.deepEqual(await marks.evaluateAll((s) => s.map((e) => e.className)), [
      'tok band-0',
      'tok band-1',
      'tok band-0',
      'tok band-4',
    ]);
    assert.match((await marks.nth(2).getAttribute('title')) ?? '', /^"¥æľ" \(bytes A5 E6 9C\) · log p -0\.010/);
    assert.match((await runs.nth(0).getAttribute('title')) ?? '', /^"日本" from 4 tokens · together log p -3\.220/);
  });

  it('posts the form as a generate request and keeps it in the webview state', async () => {
    await page.fill('#prompt', 'What is 2+2?');
    await page.fill('#gold', '4');
    await page.fill('#max-new-tokens', '16');
    await page.fill('#temperature', '0.7');
    await page.click('#generate');
    const last = (await sent()).at(-1);
    assert.deepEqual(last, {
      type: 'generate',
      prompt: 'What is 2+2?',
      gold: '4',
      maxNewTokens: 16,
      temperature: 0.7,
      topP: 1,
      seed: 0,
      raw: false,
    });
    const state = await page.evaluate(() => (window as unknown as { __state: { checkpoints: string[] } }).__state);
    assert.deepEqual(state.checkpoints, ['/runs/r/warmup · final', '/runs/r/grpo · step 20']);
    assert.deepEqual(errors, []);
  });
});

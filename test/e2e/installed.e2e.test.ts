// The first hour of a user who has never seen this repository: code-server with ONLY the packaged VSIX installed
// and an empty workspace (no checkout, no .venv, no srlm.pythonPath, nothing of the repository on PATH or
// PYTHONPATH). Walkthrough → Set Up Python (real pip against the package registry: the environment lands in the
// extension's global storage) → New Pipeline from the demo template → run (shortened) → the dashboard shows an
// eval accuracy → the inspector generates from the final checkpoint. Slow (a real PyTorch + transformers install),
// so every wait is bounded and the wall time is printed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../bench/webview/chromium';
import {
  installExtension,
  missingPrerequisites,
  sleep,
  startCodeServer,
  writeUserSettings,
  type CodeServer,
} from './codeServer';
import { WORKBENCH_SETTINGS } from './session';
import {
  dashboardFrame,
  inspectorFrame,
  notifications,
  runCommand,
  screenshot,
  until,
  waitForWorkbench,
} from './workbench';

const SETUP_TIMEOUT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 8 * 60_000;

/** The user's shell: nothing of this repository's Python environment. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PYTHONPATH', 'SRLM_PYTHON', 'SRLM_ENV_DIR', 'VIRTUAL_ENV', 'SRLM_MIN_FREE_MB']) delete env[k];
  env.PATH = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !d.includes('.venv') && !d.includes('node_modules'))
    .join(path.delimiter);
  return env;
}

/**
 * The demo template, cut to seconds of training: fewer steps and problems, same stages and evals. Steps are cut
 * per stage kind, not by their current values, so re-tuning the demo does not break this scenario.
 */
export function shortenDemo(text: string): string {
  const cut = (kind: string, steps: number) => {
    const re = new RegExp(`(stage ${kind} \\w+ \\{[^}]*?steps = )\\d+`);
    assert.match(text, re, `the demo template has no stage ${kind} with steps`);
    text = text.replace(new RegExp(re.source, 'g'), `$1${steps}`);
  };
  cut('sft', 60);
  cut('kd', 60);
  cut('rl', 2);
  assert.match(text, /limit = 200\b/, 'the demo template has no eval set of 200 problems');
  return text.replace(/limit = 200\b/g, 'limit = 16');
}

const missing = missingPrerequisites();
const skip = missing.length
  ? `missing ${missing.join(', ')} — run bash scripts/setup-e2e.sh and npm run package`
  : undefined;

describe('installed from the VSIX alone: set-up, demo, run, dashboard, inspector', { skip }, () => {
  let base: string;
  let udd: string;
  let workspace: string;
  let server: CodeServer;
  let context: BrowserContext;
  let browserDir: string;
  let page: Page;
  const t0 = Date.now();
  const mark = (what: string) => console.log(`# e2e installed: ${what} at +${Math.round((Date.now() - t0) / 1000)} s`);

  before(async () => {
    base = mkdtempSync(path.join(os.tmpdir(), 'srlm-e2e-installed-'));
    workspace = path.join(base, 'empty workspace');
    mkdirSync(workspace);
    udd = path.join(base, 'user-data');
    writeUserSettings(udd, {
      ...WORKBENCH_SETTINGS,
      // This machine's pip configuration serves PyTorch 2.13.0 (CPU) from a local file; a user's default is
      // PyTorch's own CPU or CUDA index. The engine's other packages come from the package registry.
      'srlm.setup.torchIndexUrl': 'pip',
      'srlm.setup.torchVersion': '2.13.0',
      'srlm.dashboardRefreshRate': 10,
    });
    const ext = path.join(base, 'extensions');
    installExtension(udd, ext);
    server = await startCodeServer({
      workspace,
      userDataDir: udd,
      extensionsDir: ext,
      logFile: path.join(base, 'code-server.log'),
      env: userEnv(),
    });
    ({ context, userDataDir: browserDir } = await launchChromium({ width: 1400, height: 900 }));
    page = await context.newPage();
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await waitForWorkbench(page);
    mark('workbench up');
  });

  after(async () => {
    await screenshot(page, 'zz-installed-final').catch(() => undefined);
    await context?.close().catch(() => undefined);
    await server?.stop();
    if (browserDir) rmSync(browserDir, { recursive: true, force: true });
    if (process.env.SRLM_E2E_KEEP) console.log(`# e2e: kept ${base}`);
    else if (base) rmSync(base, { recursive: true, force: true });
  });

  test('the walkthrough sets up Python, creates, runs and inspects the demo', { timeout: 40 * 60_000 }, async () => {
    assert.deepEqual(readdirSync(workspace), [], 'the workspace starts empty');

    // 1. The walkthrough, and its first step's button.
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await until(
      'the SRLM walkthrough in the list',
      async () => (await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'SRLM Studio' }).count()) > 0,
      20_000,
    );
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'SRLM Studio' }).first().click();
    const walkthroughButton = (label: string) =>
      page.locator('.gettingStartedContainer').getByRole('button', { name: label }).first();
    await until('the set-up step', async () => walkthroughButton('Set Up Python Environment').isVisible(), 30_000);
    await screenshot(page, 'i01-walkthrough');
    // The step's check box follows srlm.pythonReady: still empty while the set-up runs, checked once it is done.
    const setupChecked = () =>
      page
        .locator('.gettingStartedContainer [data-done-step-id$="setup"]')
        .first()
        .getAttribute('aria-checked')
        .then((v) => v === 'true');
    assert.equal(await setupChecked(), false, 'the set-up step starts unchecked');
    await walkthroughButton('Set Up Python Environment').click();
    mark('set-up started');
    await sleep(1000);
    assert.equal(await setupChecked(), false, 'the set-up step is not checked before the environment is ready');
    const ready = await until(
      'the set-up to finish',
      async () => {
        const n = await notifications(page);
        if (/Python set-up failed/.test(n)) throw new Error(n);
        return /Python environment ready/.test(n) ? n : undefined;
      },
      SETUP_TIMEOUT_MS,
      2000,
    ).catch(async (err: Error) => {
      await screenshot(page, 'i02-setup-failed');
      throw err;
    });
    mark('set-up finished');
    await until('the set-up step checked', setupChecked, 10_000);
    await screenshot(page, 'i02-setup-ready');
    assert.match(ready, /Python 3\.\d+\.\d+, PyTorch 2\.13\.0\+cpu, engine 0\.1\.0/);
    // The environment is in global storage, outside the extension folder (an update keeps it); the extension
    // folder holds no environment and no editable install.
    const storage = path.join(udd, 'User', 'globalStorage', 'srlm-studio.srlm-studio', 'python');
    const marker = JSON.parse(readFileSync(path.join(storage, 'setup.json'), 'utf8')) as {
      python: string;
      managed: boolean;
      torch: { tag: string };
    };
    assert.equal(marker.python, path.join(storage, 'venv', 'bin', 'python'));
    assert.equal(marker.managed, true);
    assert.equal(marker.torch.tag, 'cpu');
    const extDir = readdirSync(path.join(base, 'extensions')).find((d) => d.startsWith('srlm-studio.srlm-studio'))!;
    assert.ok(!existsSync(path.join(base, 'extensions', extDir, '.venv')));
    assert.ok(existsSync(path.join(base, 'extensions', extDir, 'dist', 'engine')), 'the VSIX carries the engine wheel');

    // 2. The demo pipeline from its template (the walkthrough's second step), shortened on disk.
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'SRLM Studio' }).first().click();
    const demoStep = page.locator('.gettingStartedContainer').getByRole('button', { name: /Create the demo pipeline/ });
    await until('the demo step', async () => demoStep.first().isVisible(), 30_000);
    await demoStep.first().click();
    await until(
      'the Create Demo Pipeline button',
      async () => walkthroughButton('Create Demo Pipeline').isVisible(),
      10_000,
    );
    await walkthroughButton('Create Demo Pipeline').click();
    const demo = path.join(workspace, 'demo.srlm');
    await until('demo.srlm in the workspace', async () => existsSync(demo), 30_000);
    writeFileSync(demo, shortenDemo(readFileSync(demo, 'utf8')));
    assert.match(readFileSync(demo, 'utf8'), /builtin:tiny-student/, 'the template needs no repository');
    await until('the demo editor', async () => (await page.title()).startsWith('demo.srlm'), 30_000);
    await screenshot(page, 'i03-demo-created');
    mark('demo created');

    // 3. Run it; the dashboard follows and shows the eval accuracy.
    await sleep(1500); // the editor reloads the shortened file from disk
    await runCommand(page, 'SRLM: Run Pipeline');
    const frame = await until('the dashboard', () => dashboardFrame(page), 120_000, 500).catch(async (err: Error) => {
      await screenshot(page, 'i04-no-dashboard');
      throw new Error(`${err.message}\nnotifications: ${await notifications(page)}`);
    });
    const status = await until(
      'the run to finish',
      async () => {
        const s = await frame.evaluate(() => document.body.dataset.runStatus);
        return s === 'completed' || s === 'failed' || s === 'stopped' ? s : undefined;
      },
      RUN_TIMEOUT_MS,
      1000,
    );
    await sleep(1500);
    await screenshot(page, 'i04-dashboard');
    mark(`run ${status}`);
    assert.equal(status, 'completed');
    const evals = await frame.evaluate(() => ({
      head: [...document.querySelectorAll('.evals thead th')].map((th) => th.textContent),
      rows: [...document.querySelectorAll('.evals tbody tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
      ),
    }));
    const col = evals.head.indexOf('accuracy');
    assert.ok(col >= 0, `an accuracy column: ${evals.head.join(', ')}`);
    assert.ok(evals.rows.length >= 3, `eval rows: ${JSON.stringify(evals.rows)}`);
    const accuracy = Number(evals.rows.at(-1)![col]);
    assert.ok(accuracy >= 0 && accuracy <= 1, `the last eval's accuracy: ${evals.rows.at(-1)![col]}`);
    console.log(`# e2e installed: eval accuracy after the last stage ${accuracy}`);

    // 4. The inspector on the final checkpoint of the last stage (exported with the set-up environment's Python).
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Focus on Runs View');
    const row = (text: string | RegExp) => page.locator('.sidebar .monaco-list-row', { hasText: text }).first();
    await until('the run in the Runs view', async () => (await row('demo').count()) > 0, 30_000);
    const expand = async (r: ReturnType<typeof row>) => {
      if ((await r.getAttribute('aria-expanded')) !== 'true') await r.locator('.monaco-tl-twistie').click();
    };
    await expand(row('demo'));
    await until('the polish stage row', async () => (await row(/^polish/).count()) > 0, 20_000);
    await expand(row(/^polish/));
    const final = row(/^final/);
    await until('the final checkpoint row', async () => (await final.count()) > 0, 20_000);
    await final.click();
    await final.locator('.action-label[aria-label^="Inspect Checkpoint"]').click();
    const inspector = await until('the inspector', () => inspectorFrame(page, 1), 60_000, 500);
    // A fresh checkpoint has no ONNX files yet: the inspector offers the export, which runs
    // `python -m srlm_engine.export` with the set-up environment's interpreter (the engine's onnx extra).
    const exportButton = inspector.locator('.column button', { hasText: 'Export to ONNX' });
    await until('the Export to ONNX button', async () => (await exportButton.count()) > 0, 30_000);
    await exportButton.first().click();
    const exported = await until(
      'the ONNX export',
      async () => {
        const [st, all] = await inspector.evaluate(() => [
          document.querySelector('.column .status')?.textContent ?? '',
          document.querySelector('.column')?.textContent ?? '',
        ]);
        if (st.trim() === 'exported') return st.trim();
        const failed = /export failed[^\n]*/.exec(all);
        return failed ? failed[0] : undefined;
      },
      300_000,
      1000,
    ).catch(async (err: Error) => {
      await screenshot(page, 'i05-export-failed');
      throw err;
    });
    assert.equal(exported, 'exported');
    mark('checkpoint exported to ONNX');
    await inspector.locator('#prompt').fill('What is 12 + 7?');
    await inspector.locator('#max-new-tokens').fill('16');
    await inspector.locator('#temperature').fill('0');
    await inspector.locator('#generate').click();
    const out = await until(
      'generated text',
      async () => {
        const o = await inspector.evaluate(() => ({
          text: document.querySelector('.columns > section.column pre.output')?.textContent ?? '',
          summary: document.querySelector('.columns > section.column .summary')?.textContent ?? '',
        }));
        return o.summary.includes('tokens') ? o : undefined;
      },
      180_000,
      500,
    ).catch(async (err: Error) => {
      await screenshot(page, 'i05-inspector-failed');
      throw new Error(`${err.message}\nnotifications: ${await notifications(page)}`);
    });
    await screenshot(page, 'i05-inspector');
    mark(`inspector generated: ${out.summary}`);
    assert.ok(out.text.length > 0, 'the inspector shows generated text');
  });
});

// One end-to-end session: a scratch workspace with the example pipelines, code-server with the VSIX installed,
// and a Chromium page on the workbench. Shared by the suites so each starts from the same state.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../bench/webview/chromium';
import { installExtension, root, startCodeServer, writeUserSettings, type CodeServer } from './codeServer';
import { screenshot, waitForWorkbench } from './workbench';

export const python = path.join(root, '.venv', 'bin', 'python');

/** Why the training scenarios cannot run here, or undefined when they can. */
export function runSkipReason(): string | undefined {
  if (!existsSync(python)) return `no Python environment at ${python} (bash scripts/setup-python.sh creates it)`;
  const probe = spawnSync(python, ['-c', 'import srlm_engine, torch'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.status !== 0) return `the engine does not import in ${python}: ${probe.stderr.trim().split('\n').pop()}`;
  return undefined;
}

/** A quiet workbench: no tips, updates, telemetry or AI features; untrusted folders open without a prompt. */
export const WORKBENCH_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.minimap.enabled': false,
  // An untrusted folder opens in Restricted Mode without the modal question.
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
};

export interface Session {
  base: string;
  workspace: string;
  server: CodeServer;
  page: Page;
  close(): Promise<void>;
}

export async function openSession(o: { trusted: boolean; name: string }): Promise<Session> {
  const base = mkdtempSync(path.join(os.tmpdir(), `srlm-e2e-${o.name}-`));
  const workspace = path.join(base, 'workspace');
  mkdirSync(path.join(workspace, 'examples'), { recursive: true });
  cpSync(path.join(root, 'examples', 'demo.srlm'), path.join(workspace, 'examples', 'demo.srlm'));
  const fixtures = path.join(root, 'test', 'fixtures', 'e2e');
  for (const f of readdirSync(fixtures)) cpSync(path.join(fixtures, f), path.join(workspace, 'examples', f));
  // The example pipelines point at the embedded model configs through ../runtime, as in the repository.
  symlinkSync(path.join(root, 'runtime'), path.join(workspace, 'runtime'));
  const udd = path.join(base, 'user-data');
  writeUserSettings(udd, {
    ...WORKBENCH_SETTINGS,
    'srlm.pythonPath': python,
    'srlm.dashboardRefreshRate': 10,
  });
  const ext = path.join(base, 'extensions');
  installExtension(udd, ext);
  if (!readdirSync(ext).some((d) => d.startsWith('srlm-studio.srlm-studio')))
    throw new Error('the VSIX did not install');
  const server = await startCodeServer({
    workspace,
    userDataDir: udd,
    extensionsDir: ext,
    logFile: path.join(base, 'code-server.log'),
    trusted: o.trusted,
  });
  const { context, userDataDir } = await launchChromium({ width: 1400, height: 900 });
  const page = await context.newPage();
  await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
  await waitForWorkbench(page);
  return {
    base,
    workspace,
    server,
    page,
    close: async () => {
      await screenshot(page, `zz-${o.name}-final`).catch(() => undefined);
      await (context as BrowserContext).close().catch(() => undefined);
      await server.stop();
      rmSync(userDataDir, { recursive: true, force: true });
      if (process.env.SRLM_E2E_KEEP) console.log(`# e2e: kept ${base}`);
      else rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Processes of code-server's group: pid, parent and command line. */
export function groupProcesses(pgid: number): { pid: number; ppid: number; args: string }[] {
  const r = spawnSync('ps', ['-eo', 'pid=,ppid=,pgid=,args='], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m && Number(m[3]) === pgid)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[4] }));
}

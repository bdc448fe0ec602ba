// "SRLM: Set Up Python Environment": runs `srlm setup` (the environment manager in runtime/src/setup) into the
// extension's global storage — outside the extension folder, so an extension update keeps it — or into the
// interpreter the user picks in the Python extension. A cancellable notification shows its steps; the result is
// one message. The runs then use that interpreter (python.ts reads the marker the set-up leaves).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliEnv, runCli } from './cli';
import { pythonExtensionInterpreter } from './python';
import { requireTrust } from './trust';
import { parseStepLine } from '../../runtime/src/setup/stepLine';

/** Context key: an environment is set up (the walkthrough's first step completes on it). */
export const PYTHON_READY_CONTEXT = 'srlm.pythonReady';

export interface SetupContext {
  cliPath: string;
  output: vscode.OutputChannel;
  /** The managed environment's folder (global storage). */
  envDir: string;
}

/** `srlm setup` arguments from the srlm.setup.* settings. */
export function setupArgs(envDir: string, usePython: string | undefined): string[] {
  const c = vscode.workspace.getConfiguration('srlm.setup');
  const args = ['setup', '--env-dir', envDir, '--torch', c.get<string>('torch', 'auto'), '--json'];
  const index = c.get<string>('torchIndexUrl', '').trim();
  if (index) args.push('--torch-index-url', index);
  const version = c.get<string>('torchVersion', '').trim();
  if (version) args.push('--torch-version', version);
  if (usePython) args.push('--use-python', usePython);
  return args;
}

interface SetupJson {
  python: string;
  pythonVersion: string;
  upToDate: boolean;
  torch: { installed: string; cuda: string | null };
  engine: { version: string };
}

async function chooseTarget(): Promise<{ usePython?: string } | undefined> {
  const selected = await pythonExtensionInterpreter();
  if (!selected) return {};
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: '$(package) Create an environment for SRLM',
        detail: 'Recommended: a new virtual environment in VS Code’s storage, with PyTorch and the engine.',
        usePython: undefined,
      },
      {
        label: '$(python) Use the Python extension’s interpreter',
        detail: `Installs PyTorch and the engine into ${selected}`,
        usePython: selected,
      },
    ],
    { title: 'SRLM: where should the training engine be installed?' },
  );
  return pick ? { usePython: pick.usePython } : undefined;
}

export async function setupPython(ctx: SetupContext): Promise<void> {
  if (!requireTrust('Setting up the Python environment')) return;
  const target = await chooseTarget();
  if (!target) return;
  const args = setupArgs(ctx.envDir, target.usePython);
  try {
    fs.mkdirSync(ctx.envDir, { recursive: true });
  } catch (err) {
    void vscode.window.showErrorMessage(`SRLM: cannot create ${ctx.envDir}: ${(err as Error).message}`);
    return;
  }
  let step = 'starting';
  const res = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'SRLM: setting up Python', cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let done = 0;
      return runCli(ctx.cliPath, args, {
        cwd: path.dirname(ctx.envDir),
        env: cliEnv(),
        output: ctx.output,
        signal: abort.signal,
        onStderrLine: (line) => {
          const s = parseStepLine(line);
          if (s) {
            step = `${s.index}/${s.total}: ${s.text}`;
            const to = Math.round(((s.index - 1) / s.total) * 100);
            progress.report({ message: step, increment: to - done });
            done = to;
          } else if (!line.startsWith('srlm setup:')) {
            // pip's current line (Collecting…, Downloading…) under the step it belongs to.
            progress.report({ message: `${step} — ${line.slice(0, 120)}` });
          }
        },
      });
    },
  );
  if (res.code === 0) {
    let r: SetupJson | undefined;
    try {
      r = JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as SetupJson;
    } catch {
      // reported generically below
    }
    const what = r
      ? `Python ${r.pythonVersion}, PyTorch ${r.torch.installed}${r.torch.cuda ? ` (CUDA ${r.torch.cuda})` : ''}, engine ${r.engine.version}`
      : 'see the SRLM output';
    void vscode.commands.executeCommand('setContext', PYTHON_READY_CONTEXT, true);
    void vscode.window.showInformationMessage(
      `SRLM: ${r?.upToDate ? 'the Python environment is already set up' : 'Python environment ready'} (${what}). Runs use ${r?.python ?? 'it'}.`,
    );
    return;
  }
  const last =
    res.stderr
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('srlm setup:') || l.startsWith('(srlm setup cancelled')) ?? `exit ${res.code}`;
  if (/cancelled/.test(last)) {
    void vscode.window.showInformationMessage('SRLM: Python set-up cancelled; run it again to finish.');
    return;
  }
  void vscode.window
    .showErrorMessage(
      `SRLM: Python set-up failed: ${last.replace(/^srlm setup: /, '')}`,
      'Show Output',
      'Open Settings',
    )
    .then((p) => {
      if (p === 'Show Output') ctx.output.show();
      else if (p === 'Open Settings')
        void vscode.commands.executeCommand('workbench.action.openSettings', 'srlm.setup');
    });
}

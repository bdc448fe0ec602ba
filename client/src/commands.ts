// The "SRLM" commands. Launching ones check Workspace Trust first and go through the `srlm` CLI; the others
// work on the runs folder directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliEnv, parseDetachedRun, runCli } from './cli';
import { runsFolder } from './config';
import { choosePython } from './python';
import { requireTrust } from './trust';
import { RunStore } from '../../runtime/src/store/runStore';
import type { Plan } from '../../runtime/src/plan/types';
import { pushCheckpoint } from './pushCheckpoint';
import { setupPython } from './setupPython';
import { stagesIn, studyIn, type StageSymbol } from './stageSymbols';
import { launchStudy } from './study/runStudy';
import { fileDeclaresStudy } from '../../runtime/src/plan/study';
import { DashboardPanel, type DashboardHooks } from './dashboard/dashboardPanel';
import { isLive, runStatus, type RunEntry, type RunRegistry } from './runs/runRegistry';
import type { RunsNode } from './runs/runsTree';
import type { RunStatusBar } from './runs/statusBar';

export interface CommandContext {
  extensionUri: vscode.Uri;
  cliPath: string;
  output: vscode.OutputChannel;
  /** Folder of the environment "Set Up Python Environment" manages (in global storage). */
  envDir: string;
  registry: RunRegistry;
  statusBar: RunStatusBar;
}

type RunArg = string | RunsNode | undefined;

export function registerCommands(ctx: CommandContext): { disposables: vscode.Disposable[]; hooks: DashboardHooks } {
  const hooks: DashboardHooks = {
    revealStage: (runId, stage, source) => revealStage(ctx, runId, stage, source),
    pickOverlay: async (runId) => {
      const e = await pickRun(ctx, 'Compare with which run?', (r) => r.id !== runId);
      return e ? { id: e.id, dir: e.dir } : undefined;
    },
    log: (l) => ctx.output.appendLine(l),
  };
  const reg = (id: string, fn: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, fn);
  const disposables = [
    reg('srlm.runPipeline', (uri?: vscode.Uri | string) => launch(ctx, hooks, uri, undefined)),
    reg('srlm.runFromStage', (uri?: vscode.Uri | string, stage?: string) => launch(ctx, hooks, uri, stage ?? null)),
    reg('srlm.stopRun', (arg?: RunArg) => stopRun(ctx, arg)),
    reg('srlm.resumeRun', (arg?: RunArg) => resumeRun(ctx, hooks, arg)),
    reg('srlm.openDashboard', (arg?: RunArg) => openDashboard(ctx, hooks, arg)),
    reg('srlm.showRunLogs', (arg?: RunArg) => showLogs(ctx, arg)),
    reg('srlm.setupPython', () => setupPython(ctx)),
    reg('srlm.refreshRuns', () => ctx.registry.refresh()),
    reg('srlm.revealRunFolder', (node?: RunsNode) => revealFolder(ctx, node)),
    reg('srlm.copyRunPath', (node?: RunsNode) => copyPath(ctx, node)),
    reg('srlm.deleteRun', (node?: RunsNode) => deleteRun(ctx, node)),
    reg('srlm.pushCheckpoint', (node?: RunsNode) => pushCheckpoint(ctx, node)),
    reg('srlm.revealStageInFile', (node?: RunsNode) =>
      node?.type === 'stage'
        ? revealStage(ctx, node.runId, node.stage, ctx.registry.get(node.runId)?.record?.source)
        : undefined,
    ),
  ];
  return { disposables, hooks };
}

function pipelineUri(uri?: vscode.Uri | string): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  // Code lenses from the language server pass the document URI as a string.
  if (typeof uri === 'string' && uri)
    return uri.includes('://') || uri.startsWith('file:') ? vscode.Uri.parse(uri) : vscode.Uri.file(uri);
  const ed = vscode.window.activeTextEditor;
  if (ed && (ed.document.languageId === 'srlm' || ed.document.fileName.endsWith('.srlm'))) return ed.document.uri;
  return undefined;
}

async function launch(
  ctx: CommandContext,
  hooks: DashboardHooks,
  uriArg: vscode.Uri | string | undefined,
  fromStage: string | null | undefined,
): Promise<void> {
  const what = fromStage === undefined ? 'Running a pipeline' : 'Running from a stage';
  if (!requireTrust(what)) return;
  let uri = pipelineUri(uriArg);
  if (!uri) {
    const files = await vscode.workspace.findFiles('**/*.srlm', '**/node_modules/**', 50);
    if (files.length === 0) {
      void vscode.window.showErrorMessage('SRLM: open a .srlm pipeline file first.');
      return;
    }
    const pick = await vscode.window.showQuickPick(
      files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
      { placeHolder: 'Which pipeline?' },
    );
    if (!pick) return;
    uri = pick.uri;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty) await doc.save();
  let stage: string | undefined;
  if (fromStage !== undefined) {
    stage = fromStage ?? undefined;
    if (!stage) {
      const stages = (await stageSymbols(uri)).map((s) => ({ name: s.name, kind: s.kind }));
      if (stages.length === 0) {
        void vscode.window.showErrorMessage(`SRLM: ${path.basename(uri.fsPath)} has no stage blocks.`);
        return;
      }
      const pick = await vscode.window.showQuickPick(
        stages.map((s) => ({ label: s.name, description: s.kind })),
        { placeHolder: 'Run from which stage? (earlier stages are reused from the cache)' },
      );
      if (!pick) return;
      stage = pick.label;
    }
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const cwd = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
  const python = await choosePython(uri);
  const runs = runsFolder(folder);
  ctx.output.appendLine(`python: ${python.python ?? '(runtime search: SRLM_PYTHON, .venv, PATH)'} [${python.origin}]`);
  // A file that declares a study runs its variants, as `srlm run FILE` does (the same syntax-only test as the
  // CLI's, so the editor and a terminal never disagree); Run From Stage runs the pipeline as written.
  if (fromStage === undefined && fileDeclaresStudy(uri.fsPath)) {
    const study = studyIn(await documentSymbols(uri));
    return launchStudy(ctx, hooks, { uri, cwd, python: python.python, study });
  }
  const args = ['run', uri.fsPath, '--detach', '--json'];
  if (stage) args.push('--from', stage);
  if (python.python) args.push('--python', python.python);
  // No time limit: the preflight before a launch fetches missing hub models and datasets (gigabytes on a first run)
  // and reads every dataset row. Its progress lines show in the notification, which can cancel it.
  const res = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `SRLM: starting ${path.basename(uri.fsPath)}${stage ? ` from ${stage}` : ''}…`,
      cancellable: true,
    },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return runCli(ctx.cliPath, args, {
        cwd,
        env: cliEnv(),
        output: ctx.output,
        signal: abort.signal,
        onStderrLine: (message) => progress.report({ message }),
      });
    },
  );
  if (res.code !== 0) {
    const msg = (res.stderr || res.stdout).trim().split('\n').slice(-6).join('\n');
    // An engine set-up problem (the message ends by pointing at `srlm setup`) gets the command one click away.
    const setUp = /srlm setup/.test(msg) ? ['Set Up Python Environment'] : [];
    void vscode.window.showErrorMessage(`SRLM: the run did not start.\n${msg}`, ...setUp, 'Show Output').then((p) => {
      if (p === 'Show Output') ctx.output.show();
      else if (p) void vscode.commands.executeCommand('srlm.setupPython');
    });
    return;
  }
  const run = parseDetachedRun(res.stdout);
  if (!run) {
    void vscode.window.showWarningMessage(
      `SRLM: the run started but srlm printed no run description (see the output).`,
    );
    return;
  }
  // The run folder is known; the Runs view shows it as soon as its watcher sees it (the dashboard does not wait).
  const entry = await ctx.registry.waitFor((e) => e.id === run.id, 3000);
  if (entry) ctx.statusBar.follow(entry.id);
  DashboardPanel.show(ctx.extensionUri, run.id, run.dir, hooks);
  if (!entry && path.dirname(run.dir) !== runs) {
    void vscode.window.showInformationMessage(
      `SRLM: run ${run.id} is in ${run.dir}, outside the Runs view's folder (${runs}); set srlm.runsFolder to see it there.`,
    );
  }
}

function runIdOf(arg: RunArg): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && arg.type !== 'message') return arg.runId;
  return undefined;
}

async function pickRun(
  ctx: CommandContext,
  placeHolder: string,
  filter: (e: RunEntry) => boolean = () => true,
): Promise<RunEntry | undefined> {
  const runs = ctx.registry.list().filter(filter);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`SRLM: no matching runs in ${ctx.registry.folder ?? 'the runs folder'}.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    runs.map((e) => ({
      label: e.state.pipeline ?? e.record?.pipeline ?? e.id,
      description: `${runStatus(e)} — ${e.id}`,
      entry: e,
    })),
    { placeHolder },
  );
  return pick?.entry;
}

async function resolveRun(
  ctx: CommandContext,
  arg: RunArg,
  placeHolder: string,
  filter?: (e: RunEntry) => boolean,
): Promise<RunEntry | undefined> {
  const id = runIdOf(arg);
  if (id) {
    const e = ctx.registry.get(id);
    if (!e) void vscode.window.showErrorMessage(`SRLM: no run ${id} in ${ctx.registry.folder}.`);
    return e;
  }
  return pickRun(ctx, placeHolder, filter);
}

async function openDashboard(ctx: CommandContext, hooks: DashboardHooks, arg: RunArg): Promise<void> {
  const e = await resolveRun(ctx, arg, 'Open the dashboard of which run?');
  if (e) DashboardPanel.show(ctx.extensionUri, e.id, e.dir, hooks);
}

async function stopRun(ctx: CommandContext, arg: RunArg): Promise<void> {
  // Stopping signals the pid a run folder names. The CLI signals only a verified engine of that folder
  // (docs/security.md), but in Restricted Mode the folder itself is untrusted and nothing was launched from this
  // window, so Stop is refused like Run and Resume; the terminal that started a run can stop it.
  if (!requireTrust('Stopping a run')) return;
  const e = await resolveRun(ctx, arg, 'Stop which run?', isLive);
  if (!e) return;
  const res = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SRLM: stopping ${e.id} (a checkpoint is saved first)…` },
    () =>
      runCli(ctx.cliPath, ['stop', e.id], {
        cwd: path.dirname(e.dir),
        env: cliEnv(),
        output: ctx.output,
        timeoutMs: 120_000,
      }),
  );
  if (res.code !== 0)
    void vscode.window.showErrorMessage(`SRLM: stop failed: ${(res.stderr || res.stdout).trim().split('\n').pop()}`);
  ctx.registry.refresh();
}

async function resumeRun(ctx: CommandContext, hooks: DashboardHooks, arg: RunArg): Promise<void> {
  if (!requireTrust('Resuming a run')) return;
  const e = await resolveRun(ctx, arg, 'Resume which run?', (r) => !isLive(r) && runStatus(r) !== 'completed');
  if (!e) return;
  const python = await choosePython();
  const args = ['resume', e.id, '--detach'];
  if (python.python) args.push('--python', python.python);
  const res = await runCli(ctx.cliPath, args, {
    cwd: path.dirname(e.dir),
    env: cliEnv(),
    output: ctx.output,
    timeoutMs: 180_000,
  });
  if (res.code !== 0) {
    void vscode.window.showErrorMessage(`SRLM: resume failed: ${(res.stderr || res.stdout).trim().split('\n').pop()}`);
    return;
  }
  ctx.registry.refresh();
  ctx.statusBar.follow(e.id);
  DashboardPanel.show(ctx.extensionUri, e.id, e.dir, hooks);
}

async function showLogs(ctx: CommandContext, arg: RunArg): Promise<void> {
  const e = await resolveRun(ctx, arg, 'Show the engine log of which run?');
  if (!e) return;
  const log = path.join(e.dir, 'engine.log');
  if (!fs.existsSync(log)) {
    void vscode.window.showInformationMessage(`SRLM: ${e.id} has no engine log yet.`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(log));
  const ed = await vscode.window.showTextDocument(doc, { preview: true });
  const end = doc.lineAt(Math.max(0, doc.lineCount - 1)).range.end;
  ed.revealRange(new vscode.Range(end, end));
}

function nodePath(ctx: CommandContext, node: RunsNode | undefined): string | undefined {
  if (!node || node.type === 'message') return undefined;
  if (node.type === 'checkpoint') return node.path;
  const e = ctx.registry.get(node.runId);
  if (!e) return undefined;
  if (node.type === 'stage') {
    const s = e.state.findStage(node.stage);
    return s?.finalCheckpoint ?? path.join(e.dir, 'checkpoints', node.stage);
  }
  return e.dir;
}

async function revealFolder(ctx: CommandContext, node: RunsNode | undefined): Promise<void> {
  const p = nodePath(ctx, node);
  if (!p) return;
  const uri = vscode.Uri.file(p);
  // Inside the workspace the Explorer can show it; elsewhere (or in a remote/browser host) fall back to the OS.
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

async function copyPath(ctx: CommandContext, node: RunsNode | undefined): Promise<void> {
  const p = nodePath(ctx, node);
  if (!p) return;
  await vscode.env.clipboard.writeText(p);
  vscode.window.setStatusBarMessage(`Copied ${p}`, 3000);
}

async function deleteRun(ctx: CommandContext, node: RunsNode | undefined): Promise<void> {
  const id = runIdOf(node);
  const e = id ? ctx.registry.get(id) : await pickRun(ctx, 'Delete which run?');
  if (!e) return;
  if (isLive(e)) {
    void vscode.window.showWarningMessage(`SRLM: ${e.id} is still running; stop it before deleting it.`);
    return;
  }
  const ok = await vscode.window.showWarningMessage(
    `Delete run ${e.id}? Its folder, events and checkpoints (${e.dir}) are removed from disk.`,
    { modal: true },
    'Delete',
  );
  if (ok !== 'Delete') return;
  DashboardPanel.get(e.id)?.panel.dispose();
  await fs.promises.rm(e.dir, { recursive: true, force: true });
  ctx.registry.refresh();
}

async function revealStage(
  ctx: CommandContext,
  runId: string,
  stage: string,
  sourceFile: string | undefined,
): Promise<void> {
  const e = ctx.registry.get(runId);
  const plan = e ? readPlan(e.dir) : undefined;
  const file = sourceFile ?? plan?.source?.file;
  if (!file || !fs.existsSync(file)) {
    void vscode.window.showWarningMessage(`SRLM: the pipeline file of ${runId} is not on disk any more.`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  // The text as it is now wins over the plan's recorded range: the file may have been edited since the run.
  const block = (await stageSymbols(doc.uri)).find((s) => s.name === stage);
  let range: vscode.Range | undefined = block?.nameRange;
  if (!range) {
    const r = plan?.stages?.find((s) => s.name === stage)?.source_range;
    if (r) range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  }
  const ed = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  if (range) {
    ed.selection = new vscode.Selection(range.start, range.end);
    ed.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  } else void vscode.window.showInformationMessage(`SRLM: stage ${stage} is no longer in ${path.basename(file)}.`);
}

/** The document symbols of an open or openable document; empty while the language server is not running. */
async function documentSymbols(uri: vscode.Uri): Promise<vscode.DocumentSymbol[]> {
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>(
    'vscode.executeDocumentSymbolProvider',
    uri,
  );
  return symbols ?? [];
}

/** The stages of an open or openable document; empty while the language server is not running. */
async function stageSymbols(uri: vscode.Uri): Promise<StageSymbol<vscode.Range>[]> {
  return stagesIn(await documentSymbols(uri));
}

function readPlan(dir: string): Plan | undefined {
  try {
    return new RunStore(path.dirname(dir)).readPlan(path.basename(dir));
  } catch {
    return undefined;
  }
}

// "Run Pipeline" on a file that declares a study runs the study, as `srlm run FILE` does in a terminal: the
// bundled CLI runs the variants one after another (runtime/src/study/runner.ts: preflight, stage cache and run
// folders as for any run) and reports each variant's run and the kept study as JSON lines on stdout. Each run
// shows in the Runs view and its dashboard; Stop (the notification's Cancel, or Stop in the Runs view) stops
// the running variant and the CLI starts no further one; the Study view opens on the kept study at the end.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliEnv, runCli } from '../cli';
import type { CommandContext } from '../commands';
import { DashboardPanel, type DashboardHooks } from '../dashboard/dashboardPanel';
import type { StudySymbol } from '../stageSymbols';
import {
  notStartedText,
  parseStudyEvent,
  progressText,
  studyArgs,
  studyOutcome,
  variantChoices,
  type StudyEndEvent,
  type VariantEvent,
} from './studyLaunch';

export interface StudyLaunch {
  readonly uri: vscode.Uri;
  readonly cwd: string;
  readonly python: string | undefined;
  /** The study as the language server sees it; undefined while the server is not up (then every variant runs). */
  readonly study: StudySymbol<vscode.Range> | undefined;
}

export async function launchStudy(ctx: CommandContext, hooks: DashboardHooks, o: StudyLaunch): Promise<void> {
  const fileName = vscode.workspace.asRelativePath(o.uri);
  let variant: string | undefined;
  if (o.study && o.study.variants.length > 1) {
    const pick = await vscode.window.showQuickPick(variantChoices(o.study.variants.map((v) => v.name)), {
      placeHolder: `Run which variants of study ${o.study.name}?`,
    });
    if (!pick) return;
    variant = pick.variant;
  }
  let current: VariantEvent | undefined;
  let end: StudyEndEvent | undefined;
  let stopping = false;
  const res = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `SRLM: study ${o.study?.name ?? path.basename(o.uri.fsPath)}${variant ? ` (${variant})` : ''}`,
      cancellable: true,
    },
    (progress, token) => {
      // Cancel stops the running variant (a checkpoint is saved first); the CLI then starts no further variant
      // and keeps the table of what finished. Ending the CLI itself would leave the detached engine running.
      token.onCancellationRequested(() => {
        stopping = true;
        if (current) void vscode.commands.executeCommand('srlm.stopRun', current.id);
      });
      progress.report({ message: progressText(undefined, undefined) });
      return runCli(ctx.cliPath, studyArgs(o.uri.fsPath, variant, o.python), {
        cwd: o.cwd,
        env: cliEnv(),
        output: ctx.output,
        onStderrLine: (line) => progress.report({ message: progressText(current, line) }),
        onStdoutLine: (line) => {
          const e = parseStudyEvent(line);
          if (e?.event === 'study') end = e;
          if (e?.event !== 'variant') return;
          const previous = current;
          current = e;
          progress.report({ message: progressText(current, undefined) });
          // A Cancel before this variant's run existed stops it as soon as it is known.
          if (stopping) void vscode.commands.executeCommand('srlm.stopRun', e.id);
          else void showVariantRun(ctx, hooks, e, previous);
        },
      });
    },
  );
  ctx.registry.refresh();
  if (!end) {
    // The check errors' lines and columns are 1-based; the symbols' positions, 0-based.
    const variantAt = (line: number, column: number) =>
      o.study?.variants.find((v) => v.range?.contains(new vscode.Position(line - 1, column - 1)))?.name;
    const text = notStartedText(fileName, res.stderr || res.stdout, variantAt);
    void vscode.window.showErrorMessage(text, 'Show Output').then((p) => {
      if (p === 'Show Output') ctx.output.show();
    });
    return;
  }
  await vscode.commands.executeCommand('srlm.openStudy', { type: 'study', id: end.id, runsDir: end.runsDir });
  const outcome = studyOutcome(end, fileName);
  if (!outcome) return;
  const ran = end.failed?.status !== undefined && current?.variant === end.failed.variant;
  const failedRun = ran ? current?.id : undefined;
  // Why: the engine's last error for a run that failed, the command's `srlm run: …` line for a variant that
  // could not start.
  const reason = failedRun
    ? ctx.registry.get(failedRun)?.state.errors.last()?.message
    : res.stderr
        .split('\n')
        .filter((l) => l.startsWith('srlm run:'))
        .pop();
  const actions = failedRun ? ['Open Dashboard', 'Show Log'] : ['Show Output'];
  const show = outcome.level === 'error' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
  void show(reason ? `${outcome.text}\n${reason}` : outcome.text, ...actions).then((p) => {
    if (p === 'Open Dashboard') void vscode.commands.executeCommand('srlm.openDashboard', failedRun);
    else if (p === 'Show Log') void vscode.commands.executeCommand('srlm.showRunLogs', failedRun);
    else if (p === 'Show Output') ctx.output.show();
  });
}

/** The variant's run in the status bar and its dashboard, in place of the previous variant's when that is open. */
async function showVariantRun(
  ctx: CommandContext,
  hooks: DashboardHooks,
  e: VariantEvent,
  previous: VariantEvent | undefined,
): Promise<void> {
  const entry = await ctx.registry.waitFor((r) => r.id === e.id, 3000);
  if (entry) ctx.statusBar.follow(entry.id);
  const open = previous ? DashboardPanel.get(previous.id) : undefined;
  DashboardPanel.show(ctx.extensionUri, e.id, e.dir, hooks);
  open?.panel.dispose();
}

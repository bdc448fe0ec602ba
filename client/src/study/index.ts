// The Study view's commands: "Open Study…" (a kept study, from the palette or the Runs view), "Compare Runs…"
// (finished runs picked together, or selected together in the Runs view), and the serializer that reopens the
// view after a window reload.
import * as vscode from 'vscode';
import { formatWhen } from '../../../runtime/src/cli/runArgs';
import { isLive, runStatus, type RunRegistry } from '../runs/runRegistry';
import type { RunsTreeNode } from '../runs/runsTree';
import type { KeptStudies } from './keptStudies';
import { STUDY_VIEW_TYPE, StudyPanel, type StudyHooks } from './studyPanel';
import type { StudyState } from './protocol';

export interface StudyContext {
  readonly extensionUri: vscode.Uri;
  readonly registry: RunRegistry;
  readonly studies: KeptStudies;
  readonly hooks: StudyHooks;
}

async function openStudy(ctx: StudyContext, arg?: RunsTreeNode | string): Promise<void> {
  if (arg && typeof arg === 'object' && arg.type === 'study') {
    StudyPanel.show(ctx.extensionUri, { kind: 'study', runsDir: arg.runsDir, id: arg.id }, ctx.hooks);
    return;
  }
  const runsDir = ctx.studies.folder;
  const studies = ctx.studies.list();
  if (!runsDir || studies.length === 0) {
    void vscode.window.showInformationMessage(
      'SRLM: no kept studies yet. Run a .srlm file that declares variants, or keep a comparison with `srlm compare RUN… --keep NAME`.',
    );
    return;
  }
  const id =
    typeof arg === 'string'
      ? arg
      : (
          await vscode.window.showQuickPick(
            studies.map((s) => ({
              label: s.study ?? s.id,
              description: `${s.variants.length} variants · ${formatWhen(s.created)}`,
              detail: s.variants.join(', '),
              id: s.id,
            })),
            { placeHolder: 'Open which study?', matchOnDetail: true },
          )
        )?.id;
  if (id) StudyPanel.show(ctx.extensionUri, { kind: 'study', runsDir, id }, ctx.hooks);
}

async function compareRuns(ctx: StudyContext, arg?: RunsTreeNode, selected?: readonly RunsTreeNode[]): Promise<void> {
  // From the Runs view: the runs selected together (VS Code passes the clicked node and the whole selection).
  const nodes = (selected?.length ? selected : arg ? [arg] : []).filter((n) => n.type === 'run');
  let runs = nodes.flatMap((n) => {
    const e = n.type === 'run' ? ctx.registry.get(n.runId) : undefined;
    return e ? [e] : [];
  });
  if (runs.length < 2) {
    const finished = ctx.registry.list().filter((e) => !isLive(e));
    if (finished.length === 0) {
      void vscode.window.showInformationMessage(
        `SRLM: no finished runs in ${ctx.registry.folder ?? 'the runs folder'}.`,
      );
      return;
    }
    const chosen = new Set(runs.map((e) => e.id));
    const picks = await vscode.window.showQuickPick(
      finished.map((e) => ({
        label: e.state.pipeline ?? e.record?.pipeline ?? e.summary?.pipeline ?? e.id,
        description: `${runStatus(e)} — ${e.id}`,
        picked: chosen.has(e.id),
        entry: e,
      })),
      { placeHolder: 'Compare which runs? (pick two or more)', canPickMany: true, matchOnDescription: true },
    );
    if (!picks || picks.length === 0) return;
    // Oldest first, as `srlm compare` given the same runs in that order would show them.
    runs = picks.map((p) => p.entry).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  StudyPanel.show(ctx.extensionUri, { kind: 'runs', runs: runs.map((e) => ({ id: e.id, dir: e.dir })) }, ctx.hooks);
}

export function registerStudy(ctx: StudyContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('srlm.openStudy', (arg?: RunsTreeNode | string) => openStudy(ctx, arg)),
    vscode.commands.registerCommand('srlm.compareRuns', (arg?: RunsTreeNode, selected?: RunsTreeNode[]) =>
      compareRuns(ctx, arg, selected),
    ),
    vscode.window.registerWebviewPanelSerializer(STUDY_VIEW_TYPE, {
      // The view reads the study file or the run folders itself: the runs folder is not watched for it.
      deserializeWebviewPanel: async (panel, state: StudyState | undefined) =>
        StudyPanel.revive(panel, ctx.extensionUri, state, ctx.hooks),
    }),
  ];
}

// The Runs view: kept studies (when there are any) and runs (status icon, progress, duration) → stages (status,
// key metric) → checkpoints (step, metrics). contextValue strings drive the context menus declared in
// package.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CheckpointRecord, StageState } from '../../../runtime/src/events/state';
import { isLive, runStatus, type RunEntry, type RunRegistry } from './runRegistry';
import { compactEvals } from '../../../runtime/src/events/evalMetrics';
import { finalScores } from '../../../runtime/src/store/runSummary';
import { duration, evalLines, keyMetric, num } from './format';
import type { KeptStudies } from '../study/keptStudies';
import type { StudyListing } from '../../../runtime/src/study/table';
import { formatWhen } from '../../../runtime/src/cli/runArgs';

export type RunsNode =
  | { type: 'run'; runId: string }
  | { type: 'stage'; runId: string; stage: string }
  | { type: 'checkpoint'; runId: string; stage: string; path: string; step: number | undefined; final: boolean }
  | { type: 'message'; text: string };

/** The "Studies" group and its studies (only in this view; run commands never receive them). */
export type StudyNode = { type: 'studies' } | { type: 'study'; id: string; runsDir: string };
export type RunsTreeNode = RunsNode | StudyNode;

export function statusIcon(status: string): vscode.ThemeIcon {
  switch (status) {
    case 'running':
    case 'starting':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    case 'completed':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'cached':
      return new vscode.ThemeIcon('archive', new vscode.ThemeColor('testing.iconPassed'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'stopped':
      return new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.yellow'));
    default:
      return new vscode.ThemeIcon('circle-outline');
  }
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode> {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly registry: RunRegistry,
    private readonly studies?: KeptStudies,
  ) {
    registry.onDidChange(() => this.changed.fire(undefined));
    studies?.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: RunsTreeNode): RunsTreeNode[] | Promise<RunsTreeNode[]> {
    if (!node) {
      const runs = this.registry.list();
      const studies: RunsTreeNode[] = this.studies?.list().length ? [{ type: 'studies' }] : [];
      return [...studies, ...runs.map((r): RunsTreeNode => ({ type: 'run', runId: r.id }))];
    }
    if (node.type === 'studies') {
      const runsDir = this.studies?.folder;
      return runsDir ? (this.studies?.list() ?? []).map((s) => ({ type: 'study', id: s.id, runsDir })) : [];
    }
    if (node.type === 'run') {
      const e = this.registry.get(node.runId);
      if (!e) return [];
      const stages = (): RunsNode[] => e.state.stages.map((s) => ({ type: 'stage', runId: node.runId, stage: s.name }));
      // A run shown from the run index has its events read now, on first expansion.
      return e.summary ? this.registry.ensureLoaded(e).then(stages) : stages();
    }
    if (node.type === 'stage') {
      const s = this.registry.get(node.runId)?.state.findStage(node.stage);
      if (!s) return [];
      return [...s.checkpoints]
        .sort((a, b) => (a.step ?? 0) - (b.step ?? 0))
        .map((c) => ({
          type: 'checkpoint',
          runId: node.runId,
          stage: node.stage,
          path: c.path,
          step: c.step,
          final: c.final,
        }));
    }
    return [];
  }

  getParent(node: RunsTreeNode): RunsTreeNode | undefined {
    if (node.type === 'study') return { type: 'studies' };
    if (node.type === 'stage') return { type: 'run', runId: node.runId };
    if (node.type === 'checkpoint') return { type: 'stage', runId: node.runId, stage: node.stage };
    return undefined;
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    switch (node.type) {
      case 'studies': {
        const n = this.studies?.list().length ?? 0;
        const item = new vscode.TreeItem('Studies', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'studies';
        item.iconPath = new vscode.ThemeIcon('graph');
        item.description = `${n} kept`;
        item.tooltip = 'Comparison tables kept by study runs and `srlm compare --keep`';
        return item;
      }
      case 'study': {
        const s = this.studies?.list().find((x) => x.id === node.id);
        return studyItem(node, s);
      }
      case 'message':
        return new vscode.TreeItem(node.text);
      case 'run': {
        const e = this.registry.get(node.runId);
        return e ? runItem(e) : new vscode.TreeItem(node.runId);
      }
      case 'stage': {
        const e = this.registry.get(node.runId);
        const s = e?.state.findStage(node.stage);
        return s && e ? stageItem(e, s) : new vscode.TreeItem(node.stage);
      }
      case 'checkpoint': {
        const e = this.registry.get(node.runId);
        const c = e?.state.findStage(node.stage)?.checkpoints.find((x) => x.path === node.path);
        return checkpointItem(node, c);
      }
    }
  }
}

function studyItem(node: Extract<StudyNode, { type: 'study' }>, s: StudyListing | undefined): vscode.TreeItem {
  const item = new vscode.TreeItem(s?.study ?? node.id, vscode.TreeItemCollapsibleState.None);
  item.id = `study:${node.id}`;
  item.iconPath = new vscode.ThemeIcon('graph');
  if (s) {
    item.description = `${s.variants.length} variant${s.variants.length === 1 ? '' : 's'} · ${formatWhen(s.created)}`;
    // Study files are untrusted like run folders: text only, never markdown.
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendText(`${s.study ?? node.id}${s.file ? ` (${s.file})` : ''}`).appendMarkdown('\n\n');
    tip.appendText(`variants: ${s.variants.join(', ')}`).appendMarkdown('\n\n');
    tip.appendText(`file: ${s.path}`);
    item.tooltip = tip;
  }
  item.contextValue = 'srlmStudy';
  item.command = { command: 'srlm.openStudy', title: 'Open Study', arguments: [node] };
  return item;
}

function runItem(e: RunEntry): vscode.TreeItem {
  const st = e.state;
  const sum = e.summary;
  const status = sum ? sum.status : runStatus(e);
  const label = st.pipeline ?? e.record?.pipeline ?? sum?.pipeline ?? e.id;
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `run:${e.id}`;
  item.iconPath = statusIcon(status);
  const end = st.finishedMs ?? (isLive(e) ? Date.now() : st.lastEventMs);
  const secs = sum
    ? sum.durationS
    : st.startedMs !== undefined && end !== undefined
      ? (end - st.startedMs) / 1000
      : undefined;
  const parts = [status];
  if (isLive(e)) parts.push(`${Math.round(st.fraction * 100)}%`);
  const d = duration(secs);
  if (d) parts.push(d);
  const best = sum ? sum.best?.value : st.bestEval('accuracy');
  if (best !== undefined) parts.push(`best acc ${num(best)}`);
  item.description = `${parts.join(' · ')} — ${e.id}`;
  // Everything shown here comes from the run folder (untrusted): appended as text, never as markdown, so a
  // forged message cannot add links or remote images to the hover.
  const tip = new vscode.MarkdownString(undefined, true);
  tip.appendMarkdown('**').appendText(label).appendMarkdown('** — ').appendText(e.id).appendMarkdown('\n\n');
  const why = st.finishMessage ?? e.record?.message ?? sum?.message;
  tip.appendText(`status: ${status}${why ? ` — ${why}` : ''}`).appendMarkdown('\n\n');
  if (e.record?.source) tip.appendText(`pipeline file: ${e.record.source}`).appendMarkdown('\n\n');
  const final = sum ? sum.final : finalScores(st);
  if (final) tip.appendText(`final eval: ${compactEvals(final, num)}`).appendMarkdown('\n\n');
  tip.appendText(`folder: ${e.dir}`);
  item.tooltip = tip;
  item.contextValue = isLive(e) ? 'srlmRun.live' : 'srlmRun.finished';
  item.command = { command: 'srlm.openDashboard', title: 'Open Dashboard', arguments: [e.id] };
  return item;
}

function stageItem(e: RunEntry, s: StageState): vscode.TreeItem {
  const hasCkpt = s.checkpoints.length > 0;
  const item = new vscode.TreeItem(
    s.name,
    hasCkpt ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = `stage:${e.id}:${s.name}`;
  item.iconPath = statusIcon(s.status);
  const parts = [s.kind ?? '', s.status];
  if (s.status === 'running' && s.totalSteps) parts.push(`${s.step}/${s.totalSteps}`);
  if (s.status === 'running' && s.etaSeconds !== undefined) parts.push(`ETA ${duration(s.etaSeconds)}`);
  const k = keyMetric(s);
  if (k) parts.push(k);
  item.description = parts.filter(Boolean).join(' · ');
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`**${s.name}** (${s.kind ?? '?'}) — ${s.status}\n\n`);
  const last: string[] = [];
  for (const [m, series] of s.metrics) if (series.count > 0) last.push(`${m} = ${num(series.lastValue)}`);
  if (last.length) tip.appendMarkdown(`${last.slice(0, 12).join(', ')}\n\n`);
  // Eval names and metric keys come from the run folder: appended as text, like the run's tooltip.
  const evals = evalLines(s.evals);
  if (evals.length) tip.appendMarkdown('latest evals:\n\n');
  for (const line of evals) tip.appendText(line).appendMarkdown('\n\n');
  item.tooltip = tip;
  item.contextValue = 'srlmStage';
  return item;
}

const metaCache = new Map<string, { step?: number; metrics?: Record<string, number | null> } | null>();

/** A checkpoint's meta.json (written atomically with the checkpoint, so it never changes once there). */
function checkpointMeta(dir: string): { step?: number; metrics?: Record<string, number | null> } | undefined {
  if (!metaCache.has(dir)) {
    try {
      metaCache.set(dir, JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')));
    } catch {
      return undefined;
    }
  }
  return metaCache.get(dir) ?? undefined;
}

/** The checkpoint metrics worth a glance in the tree, in this order. */
const CHECKPOINT_METRICS = ['accuracy', 'reward', 'loss', 'kd', 'ce'];

function checkpointItem(
  node: Extract<RunsNode, { type: 'checkpoint' }>,
  c: CheckpointRecord | undefined,
): vscode.TreeItem {
  const label = node.final ? 'final' : `step ${node.step ?? '?'}`;
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = `ckpt:${node.runId}:${node.path}`;
  item.iconPath = new vscode.ThemeIcon(node.final ? 'package' : 'save');
  const meta = checkpointMeta(node.path);
  const desc = [`step ${node.step ?? c?.step ?? meta?.step ?? '?'}`];
  const metrics = meta?.metrics ?? {};
  for (const k of CHECKPOINT_METRICS) if (typeof metrics[k] === 'number') desc.push(`${k} ${num(metrics[k])}`);
  item.description = (node.final ? desc : desc.slice(1)).slice(0, 3).join(' · ');
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`\`${node.path}\`\n\n`);
  const all = Object.entries(metrics).filter(([, v]) => typeof v === 'number');
  if (all.length) tip.appendMarkdown(all.map(([k, v]) => `${k} = ${num(v)}`).join(', '));
  item.tooltip = tip;
  // `.final`: a stage's result, which can be pushed to the Hub; step checkpoints are for resuming and inspection.
  item.contextValue = node.final ? 'srlmCheckpoint.final' : 'srlmCheckpoint';
  return item;
}

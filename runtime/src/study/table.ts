// The comparison table of a study (or of any finished runs, `srlm compare`): one row per variant with its eval
// metrics before the first stage, after each stage and at the end, and its time. Built from the run folders
// alone (run.json, plan.json, events.jsonl), so a table can be rebuilt from the runs at any time; kept as JSON
// next to the runs (<runs>/../studies/<id>.json) so the editor and `srlm compare --study` can reopen it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataFileError, readJsonFile, writeFileAtomic } from '../store/fileIo';
import { isRunId } from '../store/runFolder';
import type { RunStore } from '../store/runStore';
import type { Plan, PlanStage } from '../plan/types';
import { loadRunState } from '../store/runSummary';
import type { EvalRecord, RunState } from '../events/state';
import { isScoreMetric } from '../events/evalMetrics';
import { formatDuration, formatNumber, formatWhen, table } from '../cli/runArgs';

export const COMPARISON_VERSION = 1;

export interface ComparisonStage {
  readonly name: string;
  /** sft | kd | rl */
  readonly kind: string | undefined;
  /** completed | cached | failed | stopped | running | pending */
  readonly status: string;
  /** Reused from the stage cache (trained once elsewhere). */
  readonly cached: boolean;
  /** Wall seconds this run spent on the stage (0 when cached); null when it never ran. */
  readonly timeS: number | null;
  /** Eval metrics after the stage, keys "<eval>/<metric>". */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface ComparisonRow {
  /** Study variant name; for `srlm compare`, the pipeline name (with the run's suffix when two rows share it). */
  readonly variant: string;
  readonly run: string;
  /** Absolute run folder. */
  readonly runDir: string;
  readonly status: string;
  /** Eval of the fresh model before any stage ("<eval>/<metric>"). */
  readonly initial: Readonly<Record<string, number>>;
  readonly stages: readonly ComparisonStage[];
  /** Metrics after the last stage that was evaluated. */
  readonly final: Readonly<Record<string, number>>;
  /** Run wall time. */
  readonly timeS: number | null;
}

export interface ComparisonTable {
  readonly version: 1;
  readonly study?: string;
  /** The .srlm file. */
  readonly file?: string;
  /** ISO time. */
  readonly created: string;
  /** Column keys in display order, e.g. ["arith/accuracy", "arith/avg@8"]. */
  readonly metrics: readonly string[];
  readonly rows: readonly ComparisonRow[];
}

/** A kept study: the table plus its id (the file name) and the variants it declared, in order. */
export type StoredStudy = ComparisonTable & { readonly id: string; readonly variants: readonly string[] };

export type ComparisonFormat = 'text' | 'markdown' | 'json';
export const COMPARISON_FORMATS: readonly ComparisonFormat[] = ['text', 'markdown', 'json'];

export interface ComparisonMeta {
  readonly study?: string;
  readonly file?: string;
  /** Columns to show, in order; default: every quality metric seen (see AUXILIARY_METRICS). */
  readonly metrics?: readonly string[];
  readonly now?: Date;
}

/**
 * Metrics the engine reports beside the scores (durations, lengths, truncation): kept in each row, but not shown as
 * columns unless asked for, since a table of every metric would be too wide to read. What a score is, is decided
 * once, by the eval display rules (`isScoreMetric`).
 */
export function isAuxiliaryMetric(key: string): boolean {
  return !isScoreMetric(key.slice(key.lastIndexOf('/') + 1));
}

/** "<eval>/<metric>" → value for the numeric metrics of eval records, later records overriding earlier ones. */
function evalMetrics(records: readonly EvalRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    for (const [k, v] of Object.entries(r.metrics ?? {})) {
      // Durations differ on every run and say nothing about the model.
      if (typeof v === 'number' && Number.isFinite(v) && !k.endsWith('_time_s')) out[`${r.name ?? 'eval'}/${k}`] = v;
    }
  }
  return out;
}

const seconds = (fromMs: number | undefined, toMs: number | undefined) =>
  fromMs !== undefined && toMs !== undefined && Number.isFinite(fromMs) && Number.isFinite(toMs)
    ? Math.max(0, (toMs - fromMs) / 1000)
    : null;

/** The run a reused checkpoint (`<runs>/<run>/checkpoints/<stage>/final`) was trained in, when it is in `store`. */
function reusedFromRun(store: RunStore, reuse: string | null | undefined): string | undefined {
  if (!reuse) return undefined;
  const rel = path.relative(store.root, path.resolve(store.root, reuse));
  const first = rel.split(path.sep)[0];
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) && isRunId(first) ? first : undefined;
}

/**
 * The stage the run's result started from: the last stage's `init = <stage>` chain followed back to a stage that
 * starts from a model. In KD → RL that is the student's KD stage, not the teacher's stage listed first.
 */
function rootStage(plan: Plan | undefined): string | undefined {
  const stages = plan?.stages ?? [];
  let s: PlanStage | undefined = stages[stages.length - 1];
  for (let hops = 0; s && 'stage' in s.init && hops < stages.length; hops++) {
    const from: string = s.init.stage;
    s = stages.find((x) => x.name === from);
  }
  return s?.name;
}

/**
 * A stage's `before` eval (of the model it starts from). A stage reused from the cache is not evaluated before
 * (it does not train), so its `before` eval is read from the run that trained it.
 */
function beforeEval(
  store: RunStore,
  state: RunState,
  stage: string,
  reuse: ReadonlyMap<string, string>,
): Record<string, number> {
  const isBefore = (e: EvalRecord) => e.when === 'before';
  const own = evalMetrics(state.findStage(stage)?.evals.filter(isBefore) ?? []);
  if (Object.keys(own).length > 0) return own;
  const from = reusedFromRun(store, reuse.get(stage));
  if (!from || from === state.runId) return {};
  try {
    return evalMetrics(loadRunState(store, from).findStage(stage)?.evals.filter(isBefore) ?? []);
  } catch {
    return {}; // the source run was removed or is damaged: the row shows no initial eval
  }
}

/** The fresh model's eval, before the first stage of the run's result (its first stage without a plan). */
function initialMetrics(
  store: RunStore,
  state: RunState,
  plan: Plan | undefined,
  reuse: ReadonlyMap<string, string>,
): Record<string, number> {
  const root = rootStage(plan) ?? state.stages.find((s) => s.status !== 'pending')?.name;
  return root ? beforeEval(store, state, root, reuse) : {};
}

function buildRow(store: RunStore, id: string, variant: string): ComparisonRow {
  const record = store.read(id);
  const state = loadRunState(store, id);
  state.runId ??= id;
  const reuse = new Map<string, string>();
  for (const s of record.stages) if (s.reuse) reuse.set(s.name, s.reuse);
  const plan = store.readPlan(id);
  for (const s of plan?.stages ?? []) if (s.reuse && !reuse.has(s.name)) reuse.set(s.name, s.reuse);
  const stages: ComparisonStage[] = state.stages.map((s) => ({
    name: s.name,
    kind: s.kind ?? record.stages.find((p) => p.name === s.name)?.kind,
    status: s.status,
    cached: s.cached,
    timeS: s.cached
      ? 0
      : seconds(s.startedMs, s.finishedMs ?? (s.status === 'running' ? state.lastEventMs : undefined)),
    metrics: evalMetrics(s.evals.filter((e) => e.when !== 'before')),
  }));
  const lastEvaluated = [...stages].reverse().find((s) => Object.keys(s.metrics).length > 0);
  return {
    variant,
    run: id,
    runDir: store.dir(id),
    status: record.status,
    initial: initialMetrics(store, state, plan, reuse),
    stages,
    final: lastEvaluated?.metrics ?? {},
    timeS: seconds(state.startedMs, state.finishedMs ?? state.lastEventMs),
  };
}

/** Every metric key of the rows, grouped by eval in first-seen order, each eval's `accuracy` first. */
function metricColumns(rows: readonly ComparisonRow[]): string[] {
  const seen: string[] = [];
  const add = (m: Readonly<Record<string, number>>) => {
    for (const k of Object.keys(m)) if (!seen.includes(k) && !isAuxiliaryMetric(k)) seen.push(k);
  };
  for (const r of rows) {
    add(r.initial);
    for (const s of r.stages) add(s.metrics);
  }
  const evalOf = (k: string) => k.slice(0, k.lastIndexOf('/'));
  const evals = [...new Set(seen.map(evalOf))];
  const rank = (k: string) => (k.endsWith('/accuracy') ? 0 : 1);
  return seen
    .map((k, i) => ({ k, i }))
    .sort((a, b) => evals.indexOf(evalOf(a.k)) - evals.indexOf(evalOf(b.k)) || rank(a.k) - rank(b.k) || a.i - b.i)
    .map((x) => x.k);
}

/** A run to compare: its id, the store holding it when not the table's own, and its label. */
export interface ComparedRun {
  readonly id: string;
  readonly variant?: string;
  /** The run's runs folder, when runs come from several (`srlm compare` given run folders). */
  readonly store?: RunStore;
}

/** Labels for runs compared without variant names: the pipeline, with the id's tail when pipelines repeat. */
function defaultLabels(records: readonly { id: string; pipeline: string }[]): string[] {
  const pipelines = records.map((r) => r.pipeline || r.id);
  return pipelines.map((p, i) => {
    const id = records[i]!.id;
    return pipelines.filter((q) => q === p).length > 1 ? `${p} (${id.slice(id.lastIndexOf('-') + 1)})` : p;
  });
}

/**
 * The comparison of `runs` (ids in `store`, or each in its own), in the order given. A run that is missing or
 * damaged throws (RunNotFoundError / DataFileError naming the file); a run still going is shown as it stands.
 */
export function buildComparison(
  store: RunStore,
  runs: readonly ComparedRun[],
  meta: ComparisonMeta = {},
): ComparisonTable {
  const labels = defaultLabels(runs.map((r) => (r.store ?? store).read(r.id)));
  const rows = runs.map((r, i) => buildRow(r.store ?? store, r.id, r.variant ?? labels[i]!));
  const table: ComparisonTable = {
    version: COMPARISON_VERSION,
    ...(meta.study !== undefined ? { study: meta.study } : {}),
    ...(meta.file !== undefined ? { file: meta.file } : {}),
    created: (meta.now ?? new Date()).toISOString(),
    metrics: metricColumns(rows),
    rows,
  };
  return meta.metrics ? withMetrics(table, meta.metrics) : table;
}

/**
 * The table with `metrics` as its columns, in that order. The rows are narrowed to them too, so the JSON form
 * holds what was asked for and nothing else.
 */
export function withMetrics<T extends ComparisonTable>(t: T, metrics: readonly string[]): T {
  const keep = (m: Readonly<Record<string, number>>) =>
    Object.fromEntries(Object.entries(m).filter(([k]) => metrics.includes(k)));
  return {
    ...t,
    metrics: [...metrics],
    rows: t.rows.map((r) => ({
      ...r,
      initial: keep(r.initial),
      final: keep(r.final),
      stages: r.stages.map((s) => ({ ...s, metrics: keep(s.metrics) })),
    })),
  };
}

/** Every metric key any row holds (for `--metric` errors and the Study view's chart choices). */
export function availableMetrics(t: ComparisonTable): string[] {
  const out = new Set<string>();
  for (const r of t.rows) {
    for (const k of Object.keys(r.initial)) out.add(k);
    for (const s of r.stages) for (const k of Object.keys(s.metrics)) out.add(k);
  }
  return [...out];
}

/**
 * Stage names across rows, each after every stage that precedes it in some row (a variant's chain), ties broken
 * by first appearance: shared prefixes line up in one column and a later stage never comes first.
 */
export function stageColumns(t: ComparisonTable): string[] {
  const seen: string[] = [];
  const after = new Map<string, Set<string>>();
  for (const r of t.rows)
    r.stages.forEach((s, i) => {
      if (!seen.includes(s.name)) seen.push(s.name);
      const preds = after.get(s.name) ?? new Set<string>();
      for (const p of r.stages.slice(0, i)) preds.add(p.name);
      after.set(s.name, preds);
    });
  const out: string[] = [];
  while (out.length < seen.length) {
    const ready = seen.find((n) => !out.includes(n) && [...after.get(n)!].every((p) => out.includes(p)));
    // Rows are chains, so some stage is always ready; the fallback only guards against a damaged table.
    out.push(ready ?? seen.find((n) => !out.includes(n))!);
  }
  return out;
}

/** Text cells of the table's blocks, shared by the text and markdown forms (and the Study view). */
export interface ComparisonCells {
  readonly title: string;
  readonly summary: { readonly header: string[]; readonly rows: string[][] };
  /** One block per metric: the value before the first stage and after each stage. */
  readonly byStage: { readonly metric: string; readonly header: string[]; readonly rows: string[][] }[];
  readonly stageTime: { readonly header: string[]; readonly rows: string[][] };
  readonly notes: string[];
}

/** Rates (accuracy, pass@k, …) to three places so a column lines up; other values as `srlm show` prints them. */
export function formatMetric(v: number | undefined): string {
  return v !== undefined && v >= 0 && v <= 1 ? v.toFixed(3) : formatNumber(v);
}

/** A stage the row does not have. */
export const ABSENT = '·';
/** Marks a value or time of a stage reused from the stage cache. */
export const CACHED_MARK = '*';

export function comparisonCells(t: ComparisonTable): ComparisonCells {
  const stages = stageColumns(t);
  const value = formatMetric;
  const stageOf = (r: ComparisonRow, name: string) => r.stages.find((s) => s.name === name);
  const anyCached = t.rows.some((r) => r.stages.some((s) => s.cached));
  const title = t.study
    ? `Study ${t.study}${t.file ? ` (${t.file})` : ''}: ${t.rows.length} variant${t.rows.length === 1 ? '' : 's'}, ${formatWhen(t.created)}`
    : `Comparison of ${t.rows.length} run${t.rows.length === 1 ? '' : 's'}, ${formatWhen(t.created)}`;
  const notes: string[] = [];
  if (anyCached) notes.push(`${CACHED_MARK} reused from the stage cache (trained once, by an earlier run)`);
  if (t.metrics.length === 0) notes.push('no eval metrics: the runs have no eval blocks, or none has run yet');
  return {
    title,
    summary: {
      header: ['variant', 'status', ...t.metrics, 'time', 'run'],
      rows: t.rows.map((r) => [
        r.variant,
        r.status,
        ...t.metrics.map((m) => value(r.final[m])),
        formatDuration(r.timeS ?? undefined),
        r.run,
      ]),
    },
    byStage: t.metrics.map((metric) => ({
      metric,
      header: ['variant', 'before', ...stages],
      rows: t.rows.map((r) => [
        r.variant,
        value(r.initial[metric]),
        ...stages.map((name) => {
          const s = stageOf(r, name);
          if (!s) return ABSENT;
          return `${value(s.metrics[metric])}${s.cached ? CACHED_MARK : ''}`;
        }),
      ]),
    })),
    stageTime: {
      header: ['variant', ...stages],
      rows: t.rows.map((r) => [
        r.variant,
        ...stages.map((name) => {
          const s = stageOf(r, name);
          if (!s) return ABSENT;
          if (s.cached) return `cached${CACHED_MARK}`;
          return s.status === 'completed'
            ? formatDuration(s.timeS ?? undefined)
            : `${s.status} ${formatDuration(s.timeS ?? undefined)}`;
        }),
      ]),
    },
    notes,
  };
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (c: string) => c.replace(/[\\|*`<>[\]]/g, '\\$&').replace(/\r?\n/g, ' ');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function formatComparison(t: ComparisonTable, format: ComparisonFormat): string {
  if (format === 'json') return `${JSON.stringify(t, null, 2)}\n`;
  const c = comparisonCells(t);
  if (format === 'markdown') {
    const parts = [`## ${c.title}`, '', markdownTable(c.summary.header, c.summary.rows)];
    for (const b of c.byStage)
      parts.push('', `### ${b.metric} before and after each stage`, '', markdownTable(b.header, b.rows));
    parts.push('', '### Time per stage', '', markdownTable(c.stageTime.header, c.stageTime.rows));
    if (c.notes.length) parts.push('', ...c.notes.map((n) => `${n.startsWith(CACHED_MARK) ? '\\' : ''}${n}`));
    return `${parts.join('\n')}\n`;
  }
  const parts = [c.title, '', table(c.summary.header, c.summary.rows)];
  for (const b of c.byStage) parts.push('', `${b.metric}, before and after each stage:`, table(b.header, b.rows));
  parts.push('', 'time per stage:', table(c.stageTime.header, c.stageTime.rows));
  if (c.notes.length) parts.push('', ...c.notes);
  return `${parts.join('\n')}\n`;
}

// ---- kept studies: <runs folder>/../studies/<id>.json ----

export const STUDY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function studiesDir(runsDir: string): string {
  return path.join(path.dirname(path.resolve(runsDir)), 'studies');
}

function studyFile(runsDir: string, id: string): string {
  if (!STUDY_ID_RE.test(id)) throw new DataFileError(`'${id}' is not a study id (letters, digits, '_', '.', '-')`);
  return path.join(studiesDir(runsDir), `${id}.json`);
}

/** A new, sortable study id: `<study>-YYYYMMDD-HHMMSS`. */
export function newStudyId(study: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const slug =
    study
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 60) || 'study';
  return `${slug}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Writes the study atomically (readers see the old file or the new one); returns its path. */
export function writeStudy(runsDir: string, t: ComparisonTable & { id: string; variants: readonly string[] }): string {
  const file = studyFile(runsDir, t.id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(t, null, 2)}\n`);
  return file;
}

function checkStudy(v: unknown, file: string): StoredStudy {
  const bad = (field: string, why: string) => new DataFileError(`${file}: ${field}: ${why}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('(top level)', 'expected an object');
  const o = v as Record<string, unknown>;
  if (o.version !== COMPARISON_VERSION)
    throw bad(
      'version',
      `expected ${COMPARISON_VERSION}, found ${JSON.stringify(o.version)} (written by another srlm?)`,
    );
  if (typeof o.id !== 'string') throw bad('id', 'expected a string');
  if (!Array.isArray(o.metrics) || !o.metrics.every((m) => typeof m === 'string'))
    throw bad('metrics', 'expected a list of metric names');
  if (!Array.isArray(o.rows)) throw bad('rows', 'expected a list');
  o.rows.forEach((r: unknown, i) => {
    const row = r as Record<string, unknown> | null;
    if (typeof row !== 'object' || row === null) throw bad(`rows[${i}]`, 'expected an object');
    for (const f of ['variant', 'run', 'status'])
      if (typeof row[f] !== 'string') throw bad(`rows[${i}].${f}`, 'expected a string');
    for (const f of ['initial', 'final'])
      if (typeof row[f] !== 'object' || row[f] === null) throw bad(`rows[${i}].${f}`, 'expected an object');
    if (!Array.isArray(row.stages)) throw bad(`rows[${i}].stages`, 'expected a list');
    (row.stages as unknown[]).forEach((s, j) => {
      const st = s as Record<string, unknown> | null;
      if (typeof st !== 'object' || st === null || typeof st.name !== 'string' || typeof st.metrics !== 'object')
        throw bad(`rows[${i}].stages[${j}]`, 'expected a stage with a name and metrics');
    });
  });
  return { ...(o as unknown as StoredStudy), variants: Array.isArray(o.variants) ? (o.variants as string[]) : [] };
}

/** Kept study `id`; undefined when there is none; a DataFileError naming the file and field when damaged. */
export function readStudy(runsDir: string, id: string): StoredStudy | undefined {
  const file = studyFile(runsDir, id);
  const v = readJsonFile<unknown>(file);
  return v === undefined ? undefined : checkStudy(v, file);
}

export interface StudyListing {
  readonly id: string;
  readonly study: string | undefined;
  readonly file: string | undefined;
  readonly created: string;
  readonly variants: readonly string[];
  readonly path: string;
}

/** Kept studies, oldest first; damaged files are skipped (readStudy names what is wrong with one). */
export function listStudies(runsDir: string): StudyListing[] {
  const dir = studiesDir(runsDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: StudyListing[] = [];
  for (const n of names) {
    const id = n.endsWith('.json') ? n.slice(0, -'.json'.length) : '';
    if (!STUDY_ID_RE.test(id)) continue;
    try {
      const s = readStudy(runsDir, id);
      if (!s) continue;
      out.push({
        id,
        study: s.study,
        file: s.file,
        created: s.created,
        variants: s.variants.length > 0 ? s.variants : s.rows.map((r) => r.variant),
        path: path.join(dir, n),
      });
    } catch {
      continue;
    }
  }
  return out.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
}

/** Unknown metric names asked for (`srlm compare --metric`, the Study view). */
export class UnknownMetricError extends Error {}

/**
 * The columns `wanted` names, in the order given: a full key ("arith/avg@8"), or a bare metric name ("avg@8")
 * for that metric of every eval. A name no row holds is an UnknownMetricError listing the ones there are.
 */
export function pickMetrics(t: ComparisonTable, wanted: readonly string[]): string[] {
  const available = availableMetrics(t);
  const out: string[] = [];
  for (const w of wanted) {
    const found = available.filter((k) => k === w || k.endsWith(`/${w}`));
    if (found.length === 0)
      throw new UnknownMetricError(
        `no metric '${w}' in these runs (they have: ${available.length > 0 ? available.join(', ') : 'no eval metrics'})`,
      );
    for (const k of found) if (!out.includes(k)) out.push(k);
  }
  return out;
}

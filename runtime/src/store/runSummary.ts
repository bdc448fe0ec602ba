// A run's summary for listings and the stage cache, read from its run.json and events.jsonl. The index file
// (<runs>/index.json) caches summaries keyed by the events file's size and mtime, so `srlm runs` and the
// extension's tree view do not re-read every events file each time; it is derived data and safe to delete.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scoreEntries } from '../events/evalMetrics';
import { RunState } from '../events/state';
import { readEventsFile } from '../events/tail';
import type { LineWarning } from '../events/lines';
import { readJsonFile, writeFileAtomic } from './fileIo';
import { type RunRecord, type RunRecordStatus, type RunStore } from './runStore';

// 2: stages carry `evals` and runs `final` (every eval block's latest metrics, not only the last block's).
export const INDEX_VERSION = 2;
/** The eval metric the index reports as a run's best. */
export const INDEX_METRIC = 'accuracy';

export interface StageSummary {
  readonly name: string;
  readonly kind: string | undefined;
  readonly hash: string | undefined;
  readonly status: string;
  readonly cached: boolean;
  /** Final checkpoint folder when the stage completed. */
  readonly checkpoint?: string;
  /** Metrics of the stage's last eval event (whichever block reported last). */
  readonly lastEval?: Readonly<Record<string, number | null>>;
  /** The latest metrics of each eval block on this stage, by block name (a validation and a test eval). */
  readonly evals?: Readonly<Record<string, Readonly<Record<string, number | null>>>>;
}

export interface RunSummary {
  readonly id: string;
  readonly pipeline: string;
  readonly source: string;
  readonly status: RunRecordStatus;
  readonly created: string;
  /** Seconds from the first run_started to the last event (or run_finished). */
  readonly durationS?: number;
  readonly best?: { readonly metric: string; readonly value: number };
  /** Score metrics (accuracy, avg@K, pass@K, maj@K) of the last stage that was evaluated, keyed
   * "<eval>/<metric>" like the comparison tables of studies. */
  readonly final?: Readonly<Record<string, number>>;
  readonly stages: readonly StageSummary[];
  readonly attempts: number;
  readonly message?: string;
  /** Cache key: events.jsonl size and mtime when summarised, plus run.json's mtime. */
  readonly key: string;
}

interface IndexFile {
  readonly version: number;
  readonly runs: Readonly<Record<string, RunSummary>>;
}

function mtimeKey(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

export function summaryKey(store: RunStore, id: string): string {
  return `${mtimeKey(store.file(id, 'events'))}|${mtimeKey(store.file(id, 'record'))}`;
}

/** Replays a run's events into a state model (one-shot; use a RunWatcher to follow a live run). */
export function loadRunState(store: RunStore, id: string, warnings?: LineWarning[]): RunState {
  const state = new RunState();
  const plan = store.readPlan(id);
  if (plan) state.declareStages(plan.stages.map((s) => ({ name: s.name, kind: s.kind, hash: s.hash })));
  const live = (() => {
    try {
      return store.read(id).status === 'running';
    } catch {
      return false;
    }
  })();
  const r = readEventsFile(store.file(id, 'events'), (e) => state.apply(e), { live });
  warnings?.push(...r.warnings);
  return state;
}

export function summarize(store: RunStore, record: RunRecord, state: RunState): RunSummary {
  const best = state.bestEval(INDEX_METRIC);
  const end = state.finishedMs ?? state.lastEventMs;
  const stages: StageSummary[] = state.stages.map((s) => {
    const planned = record.stages.find((p) => p.name === s.name);
    return {
      name: s.name,
      kind: s.kind ?? planned?.kind,
      hash: s.hash ?? planned?.hash,
      status: s.status,
      cached: s.cached,
      ...(s.finalCheckpoint && (s.status === 'completed' || s.status === 'cached')
        ? { checkpoint: s.finalCheckpoint }
        : {}),
      ...(s.lastEval
        ? {
            lastEval: s.lastEval.metrics,
            evals: Object.fromEntries(s.latestEvals.map((e) => [e.name ?? 'eval', e.metrics])),
          }
        : {}),
    };
  });
  const final = finalScores(state);
  return {
    id: record.id,
    pipeline: record.pipeline,
    source: record.source,
    status: record.status,
    created: record.created,
    ...(state.startedMs !== undefined && end !== undefined
      ? { durationS: Math.max(0, (end - state.startedMs) / 1000) }
      : {}),
    ...(best !== undefined ? { best: { metric: INDEX_METRIC, value: best } } : {}),
    ...(final ? { final } : {}),
    stages,
    attempts: record.attempts,
    ...(record.message ? { message: record.message } : {}),
    key: summaryKey(store, record.id),
  };
}

/** The score metrics of the last evaluated stage ("<eval>/<metric>" → value), or undefined when none was. */
export function finalScores(state: RunState): Record<string, number> | undefined {
  const stage = [...state.stages].reverse().find((s) => s.evals.length > 0);
  if (!stage) return undefined;
  const out: Record<string, number> = {};
  for (const e of stage.latestEvals)
    for (const [metric, v] of scoreEntries(e.metrics)) out[`${e.name ?? 'eval'}/${metric}`] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Summaries of every run, oldest first, from the index where a run is unchanged. `refresh(id)` is given each
 * run first (the supervisor uses it to notice dead engines), so summaries reflect what is true now.
 */
export function listRuns(store: RunStore, refresh?: (id: string) => void): RunSummary[] {
  const indexPath = path.join(store.root, 'index.json');
  let cached: IndexFile | undefined;
  try {
    cached = readJsonFile<IndexFile>(indexPath);
  } catch {
    cached = undefined; // a damaged index is rebuilt
  }
  const old = cached?.version === INDEX_VERSION ? cached.runs : {};
  const out: RunSummary[] = [];
  const next: Record<string, RunSummary> = {};
  let changed = false;
  for (const id of store.ids()) {
    refresh?.(id);
    const key = summaryKey(store, id);
    let s = old[id];
    if (!s || s.key !== key || s.id !== id) {
      try {
        s = summarize(store, store.read(id), loadRunState(store, id));
      } catch {
        continue; // a run folder being created or removed right now, or a damaged one (srlm show names the file)
      }
      changed = true;
    }
    next[id] = s;
    out.push(s);
  }
  if (changed || Object.keys(old).length !== out.length) {
    try {
      writeFileAtomic(indexPath, `${JSON.stringify({ version: INDEX_VERSION, runs: next } satisfies IndexFile)}\n`);
    } catch {
      // The index is a cache: a read-only runs folder still lists fine.
    }
  }
  return out;
}

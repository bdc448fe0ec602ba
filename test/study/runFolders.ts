// Run folders as the supervisor and the engine write them (run.json, plan.json, events.jsonl), built by hand
// for the comparison table's tests: a study's variant runs, with evals before and after stages and stages
// reused from the stage cache.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord, RunStore } from '../../runtime/src/store/runStore';
import { makePlan, stage as planStage } from '../runtime/helpers';

export interface FakeStage {
  readonly name: string;
  readonly kind: 'sft' | 'kd' | 'rl';
  /** Eval metrics (per eval block) before the stage trains; only a stage from a fresh model has them. */
  readonly before?: Record<string, Record<string, number>>;
  readonly after?: Record<string, Record<string, number>>;
  /** Seconds the stage ran. */
  readonly seconds?: number;
  /** Reused from this run's checkpoint of the same stage (the stage cache). */
  readonly reuseFrom?: string;
  readonly status?: 'completed' | 'failed';
  /** The stage this one continues (`init = <stage>`); default: it starts from a model. */
  readonly from?: string;
}

export interface FakeRun {
  readonly id: string;
  readonly pipeline: string;
  readonly stages: readonly FakeStage[];
  readonly status?: 'completed' | 'failed' | 'running';
  /** Epoch seconds of run_started. */
  readonly start?: number;
}

/** Writes the run folder of `run` into `store`; returns its folder. */
export function writeRun(store: RunStore, run: FakeRun): string {
  const status = run.status ?? 'completed';
  const reuse = (s: FakeStage) =>
    s.reuseFrom ? path.join(store.root, s.reuseFrom, 'checkpoints', s.name, 'final') : undefined;
  const record: RunRecord = {
    version: 1,
    id: run.id,
    pipeline: run.pipeline,
    source: `/ws/${run.pipeline}.srlm`,
    created: new Date((run.start ?? 1_800_000_000) * 1000).toISOString(),
    status,
    attempts: 1,
    options: {},
    stages: run.stages.map((s) => ({
      name: s.name,
      kind: s.kind,
      hash: `h-${s.name}`,
      ...(reuse(s) ? { reuse: reuse(s) } : {}),
    })),
  };
  const dir = store.create(record);
  const plan = makePlan(
    run.stages.map((s) =>
      planStage(s.name, s.kind, `h-${s.name}`, {
        ...(reuse(s) ? { reuse: reuse(s)! } : {}),
        ...(s.from ? { init: { stage: s.from }, parent: s.from } : {}),
      }),
    ),
  );
  fs.writeFileSync(store.file(run.id, 'plan'), JSON.stringify({ ...plan, pipeline: run.pipeline }));
  let t = run.start ?? 1_800_000_000;
  const lines: object[] = [];
  const ev = (type: string, fields: object) => lines.push({ v: 1, type, time: t, run_id: run.id, ...fields });
  const evals = (name: string, when: string, m: Record<string, Record<string, number>> | undefined) => {
    for (const [e, metrics] of Object.entries(m ?? {}))
      ev('eval', { stage: name, eval: e, when, n: 50, metrics: { ...metrics, eval_time_s: 1.5 } });
  };
  ev('run_started', { pipeline: run.pipeline, stages: run.stages.map((s) => s.name) });
  for (const s of run.stages) {
    ev('stage_started', { stage: s.name, kind: s.kind, hash: `h-${s.name}`, total_steps: s.reuseFrom ? 0 : 10 });
    if (!s.reuseFrom) evals(s.name, 'before', s.before);
    t += s.seconds ?? 0;
    if (status === 'running' && s === run.stages[run.stages.length - 1]) break;
    evals(s.name, 'after', s.after);
    ev('stage_finished', { stage: s.name, status: s.status ?? 'completed', ...(s.reuseFrom ? { cached: true } : {}) });
    if (s.status === 'failed') break;
  }
  if (status !== 'running') ev('run_finished', { status, duration_s: t - (run.start ?? 1_800_000_000) });
  fs.writeFileSync(store.file(run.id, 'events'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

/** A two-variant study: `kd_rl` trains kd then rl; `kd_only` reuses kd from the cache. Plus a direct-RL run. */
export function studyRuns(store: RunStore): { kdRl: string; kdOnly: string; rl: string } {
  writeRun(store, {
    id: '20261202-100000-kd_rl-aaaa',
    pipeline: 'kd_rl',
    start: 1_800_000_000,
    stages: [
      {
        name: 'distill',
        kind: 'kd',
        seconds: 60,
        before: { arith: { accuracy: 0.1, 'avg@8': 0.05 } },
        after: { arith: { accuracy: 0.8, 'avg@8': 0.6, completion_len_mean: 12 } },
      },
      { name: 'grpo', kind: 'rl', from: 'distill', seconds: 90, after: { arith: { accuracy: 0.82, 'avg@8': 0.7 } } },
    ],
  });
  writeRun(store, {
    id: '20261202-100500-kd_only-bbbb',
    pipeline: 'kd_only',
    start: 1_800_000_300,
    stages: [
      {
        name: 'distill',
        kind: 'kd',
        seconds: 2,
        reuseFrom: '20261202-100000-kd_rl-aaaa',
        after: { arith: { accuracy: 0.8, 'avg@8': 0.6 } },
      },
    ],
  });
  writeRun(store, {
    id: '20261202-101000-direct_rl-cccc',
    pipeline: 'direct_rl',
    start: 1_800_000_600,
    stages: [
      {
        name: 'grpo',
        kind: 'rl',
        seconds: 120,
        before: { arith: { accuracy: 0.1, 'avg@8': 0.05 } },
        after: { arith: { accuracy: 0.3, 'avg@8': 0.25 } },
      },
    ],
  });
  return {
    kdRl: '20261202-100000-kd_rl-aaaa',
    kdOnly: '20261202-100500-kd_only-bbbb',
    rl: '20261202-101000-direct_rl-cccc',
  };
}

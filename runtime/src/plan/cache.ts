// The stage cache: like a build system, a stage whose content hash matches a stage that already finished (in
// any earlier run) reuses that run's final checkpoint instead of training again. The hash covers everything
// that determines the result (see hash.ts), so a match is safe to reuse; the plan says so with `reuse`, and the
// engine emits stage_finished with cached=true.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from '../store/runSummary';
import type { Plan, PlanStage } from './types';

export interface CacheOptions {
  /** Ignore the cache: train every stage. */
  readonly noCache?: boolean;
  /** Re-run from this stage: it and every later stage train even when cached. */
  readonly from?: string;
  /** Run only this stage (earlier stages come from the cache when they can); later stages are dropped. */
  readonly only?: string;
}

export interface CacheDecision {
  readonly stage: string;
  /** `reused`: from `checkpoint` of run `run`; `train`: trains; `forced`: trains because of --from/--stage. */
  readonly action: 'reused' | 'train' | 'forced';
  readonly checkpoint?: string;
  readonly run?: string;
}

export class CacheOptionError extends Error {}

/** A finished checkpoint is usable when its folder is complete (the engine writes meta.json last). */
export function checkpointUsable(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'meta.json'));
}

/** Finished stages by hash, newest run first wins. */
export function finishedStagesByHash(runs: readonly RunSummary[]): Map<string, { checkpoint: string; run: string }> {
  const out = new Map<string, { checkpoint: string; run: string }>();
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i]!;
    for (const s of r.stages) {
      if (!s.hash || !s.checkpoint || out.has(s.hash)) continue;
      if (s.status !== 'completed' && s.status !== 'cached') continue;
      if (checkpointUsable(s.checkpoint)) out.set(s.hash, { checkpoint: s.checkpoint, run: r.id });
    }
  }
  return out;
}

export function applyStageCache(
  plan: Plan,
  runs: readonly RunSummary[],
  opts: CacheOptions = {},
): { plan: Plan; decisions: CacheDecision[] } {
  const names = plan.stages.map((s) => s.name);
  const pick = (flag: string, name: string | undefined): number => {
    if (name === undefined) return -1;
    const i = names.indexOf(name);
    if (i < 0) throw new CacheOptionError(`${flag} ${name}: no such stage (stages: ${names.join(', ')})`);
    return i;
  };
  const fromIdx = pick('--from', opts.from);
  const onlyIdx = pick('--stage', opts.only);
  if (fromIdx >= 0 && onlyIdx >= 0) throw new CacheOptionError('--from and --stage cannot be combined');
  const forceFrom = fromIdx >= 0 ? fromIdx : onlyIdx;
  const lastIdx = onlyIdx >= 0 ? onlyIdx : names.length - 1;
  const hits = opts.noCache ? new Map<string, { checkpoint: string; run: string }>() : finishedStagesByHash(runs);

  const decisions: CacheDecision[] = [];
  const stages: PlanStage[] = [];
  for (let i = 0; i <= lastIdx; i++) {
    const s = plan.stages[i]!;
    const hit = hits.get(s.hash);
    if (forceFrom >= 0 && i >= forceFrom) {
      decisions.push({ stage: s.name, action: 'forced' });
      stages.push({ ...s, reuse: null });
    } else if (hit) {
      decisions.push({ stage: s.name, action: 'reused', checkpoint: hit.checkpoint, run: hit.run });
      stages.push({ ...s, reuse: hit.checkpoint });
    } else {
      decisions.push({ stage: s.name, action: 'train' });
      stages.push({ ...s, reuse: null });
    }
  }
  const kept = new Set(stages.map((s) => s.name));
  // Evals that name a dropped stage (after --stage) must not reference it: the engine refuses unknown stages.
  const evals = plan.evals
    ? Object.fromEntries(
        Object.entries(plan.evals).map(([k, e]) => {
          const list = e.stages;
          return [k, Array.isArray(list) ? { ...e, stages: list.filter((n: unknown) => kept.has(String(n))) } : e];
        }),
      )
    : undefined;
  return { plan: { ...plan, stages, ...(evals ? { evals } : {}) }, decisions };
}

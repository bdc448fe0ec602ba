// Short human strings for the tree, the status bar and tooltips.
import { formatElapsed } from '../../../server/src/core/text/duration';
import { describeSampling, scoreEntries } from '../../../runtime/src/events/evalMetrics';
import { latestPerEval, type EvalRecord, type StageState } from '../../../runtime/src/events/state';

/** Elapsed time or ETA (the one style of server/src/core/text/duration.ts). */
export const duration = (seconds: number | undefined): string => formatElapsed(seconds);

export function num(v: number | null | undefined): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(a < 1 ? 3 : 2);
}

/** The number that says how a stage is doing: its last eval accuracy (and sampled accuracy, avg@K, when that
 * eval has it), else its kind's headline metric. */
export function keyMetric(s: StageState): string | undefined {
  const ev = s.lastEval?.metrics;
  if (ev && typeof ev.accuracy === 'number') {
    const avg = scoreEntries(ev).find(([k]) => k.startsWith('avg@'));
    return `acc ${num(ev.accuracy)}${avg ? ` ${avg[0]} ${num(avg[1])}` : ''}`;
  }
  const order = s.kind === 'rl' ? ['reward', 'loss'] : s.kind === 'kd' ? ['kd', 'loss'] : ['loss', 'ce'];
  for (const m of order) {
    const v = s.latest(m);
    if (v !== undefined) return `${m} ${num(v)}`;
  }
  return undefined;
}

/** Tooltip lines for eval results, one per eval block: its score metrics and, for sampled ones, how they were
 * drawn ("valid: accuracy 0.62, avg@8 0.5 (8 samples per prompt at temperature 1, top_p 1)"). */
export function evalLines(records: readonly EvalRecord[]): string[] {
  return latestPerEval(records).map((e) => {
    const scores = scoreEntries(e.metrics);
    const shown = scores.length > 0 ? scores : Object.entries(e.metrics);
    const how = e.sampling && scores.some(([k]) => k !== 'accuracy') ? ` (${describeSampling(e.sampling)})` : '';
    return `${e.name ?? 'eval'}: ${shown.map(([k, v]) => `${k} ${num(v)}`).join(', ')}${how}`;
  });
}

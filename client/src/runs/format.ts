// Short human strings for the tree, the status bar and tooltips.
import { formatElapsed } from '../../../server/src/core/text/duration';
import type { StageState } from '../../../runtime/src/events/state';

/** Elapsed time or ETA (the one style of server/src/core/text/duration.ts). */
export const duration = (seconds: number | undefined): string => formatElapsed(seconds);

export function num(v: number | null | undefined): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(a < 1 ? 3 : 2);
}

/** The one number that says how a stage is doing: its last eval accuracy, else its kind's headline metric. */
export function keyMetric(s: StageState): string | undefined {
  const ev = s.lastEval?.metrics;
  if (ev && typeof ev.accuracy === 'number') return `acc ${num(ev.accuracy)}`;
  const order = s.kind === 'rl' ? ['reward', 'loss'] : s.kind === 'kd' ? ['kd', 'loss'] : ['loss', 'ce'];
  for (const m of order) {
    const v = s.latest(m);
    if (v !== undefined) return `${m} ${num(v)}`;
  }
  return undefined;
}

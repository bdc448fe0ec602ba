// The webview's copy of one run: metric columns per (stage, metric), stage list, RL samples and eval rows.
// Fed only by host messages; the engine's events.jsonl stays the truth and a reload replays it.
import { isScoreMetric } from '../../../runtime/src/events/evalMetrics';
import { SeriesBuffer } from './series';
import {
  FAMILY_PREFIXES,
  type EvalRow,
  type RunDelta,
  type RunHeader,
  type SampleRow,
  type StageInfo,
  type WarningRow,
} from './protocol';

/** Rows kept for the tables; older ones are dropped (the charts keep every point). */
export const MAX_SAMPLE_ROWS = 200;
export const MAX_EVAL_ROWS = 500;
export const MAX_WARNING_ROWS = 50;

export class RunModel {
  run: RunHeader | undefined;
  stages: StageInfo[] = [];
  /** stage → metric name → series */
  readonly series = new Map<string, Map<string, SeriesBuffer>>();
  samples: SampleRow[] = [];
  evals: EvalRow[] = [];
  warnings: WarningRow[] = [];
  version = 0;

  clear(): void {
    this.run = undefined;
    this.stages = [];
    this.series.clear();
    this.samples = [];
    this.evals = [];
    this.warnings = [];
    this.version++;
  }

  apply(delta: RunDelta): void {
    if (delta.run) this.run = delta.run;
    if (delta.stages) {
      for (const s of delta.stages) {
        const i = this.stages.findIndex((x) => x.name === s.name);
        if (i >= 0) this.stages[i] = s;
        else this.stages.push(s);
      }
    }
    for (const chunk of delta.metrics ?? []) {
      let byName = this.series.get(chunk.stage);
      if (!byName) {
        byName = new Map();
        this.series.set(chunk.stage, byName);
      }
      let buf = byName.get(chunk.name);
      if (!buf) {
        buf = new SeriesBuffer(Math.max(256, chunk.step.length));
        byName.set(chunk.name, buf);
      }
      buf.append(chunk.step, chunk.time, chunk.value);
    }
    if (delta.warnings?.length) this.warnings = [...this.warnings, ...delta.warnings].slice(-MAX_WARNING_ROWS);
    if (delta.samples?.length) this.samples = [...this.samples, ...delta.samples].slice(-MAX_SAMPLE_ROWS);
    if (delta.evals?.length) {
      this.evals = [...this.evals, ...delta.evals].slice(-MAX_EVAL_ROWS);
      // Eval metrics are charted like any other metric, under a synthetic "<stage>" series named eval/<metric>.
      for (const e of delta.evals) {
        for (const [k, v] of Object.entries(e.metrics)) {
          if (typeof v !== 'number') continue;
          let byName = this.series.get(e.stage);
          if (!byName) {
            byName = new Map();
            this.series.set(e.stage, byName);
          }
          const name = `eval/${e.name ? `${e.name}/` : ''}${k}`;
          let buf = byName.get(name);
          if (!buf) byName.set(name, (buf = new SeriesBuffer(16)));
          buf.append([e.step], [e.time], [v]);
        }
      }
    }
    this.version++;
  }

  totalPoints(): number {
    let n = 0;
    for (const m of this.series.values()) for (const b of m.values()) n += b.length;
    return n;
  }
}

/** Chart family of a metric: `reward/accuracy` and `reward/format` share the `reward` chart, the clip ratios
 * share `clip_ratio`, the scores of one eval block (`eval/<block>/accuracy`, `…/avg@8`, `…/pass@8`, `…/maj@8`)
 * share `eval/<block>`, and each other eval metric (`eval/<block>/eval_time_s`) has a chart of its own. */
export function metricFamily(name: string): string {
  if (name.startsWith('eval/')) {
    const slash = name.lastIndexOf('/');
    return isScoreMetric(name.slice(slash + 1)) ? name.slice(0, slash) : name;
  }
  for (const [re, fam] of FAMILY_PREFIXES) if (re.test(name)) return fam;
  const slash = name.indexOf('/');
  return slash > 0 ? name.slice(0, slash) : name;
}

/** Orders families: eval outcomes first (each block's scores before its other metrics), then the stage kind's
 * list, then the rest alphabetically. */
export function orderFamilies(families: Iterable<string>, preferred: readonly string[]): string[] {
  const rank = (f: string): number => {
    if (f === 'eval' || f.startsWith('eval/')) return f.split('/').length <= 2 ? -2 : -1;
    const i = preferred.indexOf(f);
    return i >= 0 ? i : preferred.length;
  };
  return [...new Set(families)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

import { MinMaxIndex } from './minmaxIndex';
import type { SeriesBuffer } from './series';

// Exponential moving average with TensorBoard's debiasing: early points are divided by (1 - w^t) so the curve
// does not start pulled towards zero. weight 0 returns the data unchanged; NaNs pass through without
// disturbing the average.
export function emaSmooth(ys: ArrayLike<number>, n: number, weight: number, out?: Float64Array): Float64Array {
  const res = out && out.length >= n ? out.subarray(0, n) : new Float64Array(n);
  if (weight <= 0) {
    for (let i = 0; i < n; i++) res[i] = ys[i];
    return res;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let debias = 1;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) {
      res[i] = y;
      continue;
    }
    last = last * w + (1 - w) * y;
    count++;
    debias = 1 - Math.pow(w, count);
    res[i] = last / debias;
  }
  return res;
}

/** An EMA column kept in step with a series: appends extend it from the saved state (O(new points)); a new
 * weight or a rewrite of the series (its generation) recomputes it. Carries its own min/max index. */
export class EmaSeries {
  data = new Float64Array(0);
  n = 0;
  readonly index = new MinMaxIndex();
  private last = 0;
  private count = 0;
  private weight = NaN;
  private generation = -1;
  private indexGeneration = 0;

  sync(buf: SeriesBuffer, weight: number): void {
    if (weight !== this.weight || buf.generation !== this.generation || buf.length < this.n) {
      this.weight = weight;
      this.generation = buf.generation;
      this.n = 0;
      this.last = 0;
      this.count = 0;
      this.indexGeneration++;
    }
    const len = buf.length;
    if (this.data.length < len) {
      const d = new Float64Array(Math.max(len, this.data.length * 2, 256));
      d.set(this.data.subarray(0, this.n));
      this.data = d;
    }
    const w = Math.min(Math.max(weight, 0), 0.999);
    const ys = buf.value;
    for (let i = this.n; i < len; i++) {
      const y = ys[i];
      if (!Number.isFinite(y)) {
        this.data[i] = y;
        continue;
      }
      this.last = this.last * w + (1 - w) * y;
      this.count++;
      this.data[i] = w > 0 ? this.last / (1 - Math.pow(w, this.count)) : y;
    }
    this.n = len;
    this.index.sync(this.data, len, this.indexGeneration);
  }
}

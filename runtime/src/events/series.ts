// One metric over optimizer steps, stored column-wise in typed arrays with a fixed point budget. When the budget
// is reached, adjacent points are merged pairwise (mean, min, max), so memory stays bounded however long the run
// is, while a chart can still draw the true min/max envelope of every pixel.

export const DEFAULT_MAX_POINTS = 16384;

export interface SeriesView {
  /** Step of each point (the first step of its bucket once decimated). */
  readonly x: Float64Array;
  /** Mean of the raw values in the bucket (the raw value while undecimated). */
  readonly y: Float32Array;
  readonly lo: Float32Array;
  readonly hi: Float32Array;
  readonly length: number;
}

export class MetricSeries {
  private x: Float64Array;
  private y: Float32Array;
  private lo: Float32Array;
  private hi: Float32Array;
  private n = 0;
  /** Raw points per stored point; doubles at each decimation. */
  private bucket = 1;
  private pCount = 0;
  private pX = 0;
  private pSum = 0;
  private pMin = Infinity;
  private pMax = -Infinity;

  /** Raw points received (after rewinds). */
  count = 0;
  lastStep = NaN;
  lastValue = NaN;
  min = Infinity;
  max = -Infinity;

  constructor(readonly maxPoints = DEFAULT_MAX_POINTS) {
    if (maxPoints < 4 || maxPoints % 2 !== 0) throw new RangeError('maxPoints must be an even number ≥ 4');
    const initial = Math.min(maxPoints, 256);
    this.x = new Float64Array(initial);
    this.y = new Float32Array(initial);
    this.lo = new Float32Array(initial);
    this.hi = new Float32Array(initial);
  }

  /** Points per stored bucket (1 until the budget is first reached). */
  get stride(): number {
    return this.bucket;
  }

  push(step: number, value: number): void {
    if (!Number.isFinite(value)) return;
    // A step at or before the last one means the writer went back (a resumed run repeats steps after its last
    // checkpoint): the newer values replace the older ones.
    if (step <= this.lastStep) this.rewind(step);
    if (this.pCount === 0) this.pX = step;
    this.pCount++;
    this.pSum += value;
    if (value < this.pMin) this.pMin = value;
    if (value > this.pMax) this.pMax = value;
    this.count++;
    this.lastStep = step;
    this.lastValue = value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.pCount >= this.bucket) this.commit();
  }

  /** Drops every point at or after `step`. */
  rewind(step: number): void {
    let keep = this.n;
    while (keep > 0 && this.x[keep - 1]! >= step) keep--;
    // Raw counts inside merged buckets are not kept, so `count` is an estimate once decimated.
    this.count -= (this.n - keep) * this.bucket + (this.pCount > 0 && this.pX >= step ? this.pCount : 0);
    if (this.pCount > 0 && this.pX < step) {
      // A partly filled bucket that straddles the step is kept whole: its mean is the best we can do.
    } else {
      this.pCount = 0;
      this.pSum = 0;
      this.pMin = Infinity;
      this.pMax = -Infinity;
    }
    this.n = keep;
    this.count = Math.max(0, this.count);
    this.lastStep = this.pCount > 0 ? this.pX : keep > 0 ? this.x[keep - 1]! : NaN;
    this.lastValue = this.pCount > 0 ? this.pSum / this.pCount : keep > 0 ? this.y[keep - 1]! : NaN;
  }

  /** Committed points as views over the backing arrays (valid until the next push). */
  view(): SeriesView {
    const n = this.n;
    return {
      x: this.x.subarray(0, n),
      y: this.y.subarray(0, n),
      lo: this.lo.subarray(0, n),
      hi: this.hi.subarray(0, n),
      length: n,
    };
  }

  /** Bytes held by the backing arrays. */
  get bytes(): number {
    return this.x.byteLength + this.y.byteLength + this.lo.byteLength + this.hi.byteLength;
  }

  private commit(): void {
    if (this.n === this.x.length) {
      if (this.n < this.maxPoints) this.grow(Math.min(this.maxPoints, this.n * 2));
      else this.decimate();
    }
    const i = this.n++;
    this.x[i] = this.pX;
    this.y[i] = this.pSum / this.pCount;
    this.lo[i] = this.pMin;
    this.hi[i] = this.pMax;
    this.pCount = 0;
    this.pSum = 0;
    this.pMin = Infinity;
    this.pMax = -Infinity;
  }

  private grow(size: number): void {
    const copy = <T extends Float64Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.x = copy(this.x, (k) => new Float64Array(k));
    this.y = copy(this.y, (k) => new Float32Array(k));
    this.lo = copy(this.lo, (k) => new Float32Array(k));
    this.hi = copy(this.hi, (k) => new Float32Array(k));
  }

  private decimate(): void {
    const half = this.n >> 1;
    for (let i = 0; i < half; i++) {
      const a = 2 * i;
      const b = a + 1;
      this.x[i] = this.x[a]!;
      this.y[i] = (this.y[a]! + this.y[b]!) / 2;
      this.lo[i] = Math.min(this.lo[a]!, this.lo[b]!);
      this.hi[i] = Math.max(this.hi[a]!, this.hi[b]!);
    }
    this.n = half;
    this.bucket *= 2;
  }
}

// A growable column store for one metric: step, wall-clock time and value in typed arrays that double on
// overflow, so a million points cost three Float64Arrays and appends stay amortised O(1).
import { MinMaxIndex } from './minmaxIndex';

export class SeriesBuffer {
  private cap: number;
  length = 0;
  step: Float64Array;
  time: Float64Array;
  value: Float64Array;
  /** Bumped on every change so cached decimations know when they are stale. */
  version = 0;
  /** Bumped when values already stored are dropped or rewritten (a resume, a clear): appends keep it. */
  generation = 0;
  private readonly mm = new MinMaxIndex();

  constructor(initialCapacity = 256) {
    this.cap = Math.max(1, initialCapacity);
    this.step = new Float64Array(this.cap);
    this.time = new Float64Array(this.cap);
    this.value = new Float64Array(this.cap);
  }

  private grow(min: number): void {
    let cap = this.cap;
    while (cap < min) cap *= 2;
    if (cap === this.cap) return;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.step = grow(this.step);
    this.time = grow(this.time);
    this.value = grow(this.value);
    this.cap = cap;
  }

  push(step: number, time: number, value: number): void {
    this.grow(this.length + 1);
    this.step[this.length] = step;
    this.time[this.length] = time;
    this.value[this.length] = value;
    this.length++;
    this.version++;
  }

  /** Appends columns at once; the decimator needs x ascending, and training steps only grow, so a chunk is
   * appended as is unless it goes back in steps (a resumed stage re-emits from its checkpoint): then the points
   * at or after the chunk's first step are dropped first, so the curve holds each step once. */
  append(step: ArrayLike<number>, time: ArrayLike<number>, value: ArrayLike<number>): void {
    const n = step.length;
    if (n === 0) return;
    if (this.length > 0 && step[0] <= this.step[this.length - 1])
      this.length = lowerBound(this.step, this.length, step[0]);
    this.grow(this.length + n);
    for (let i = 0; i < n; i++) {
      this.step[this.length + i] = step[i];
      this.time[this.length + i] = time[i];
      this.value[this.length + i] = value[i];
    }
    this.length += n;
    this.version++;
  }

  clear(): void {
    this.length = 0;
    this.version++;
    this.generation++;
  }

  /** The block min/max index of the values, brought up to date. */
  index(): MinMaxIndex {
    this.mm.sync(this.value, this.length, this.generation);
    return this.mm;
  }

  /** Views (no copy) of the filled part. */
  view(): { step: Float64Array; time: Float64Array; value: Float64Array } {
    return {
      step: this.step.subarray(0, this.length),
      time: this.time.subarray(0, this.length),
      value: this.value.subarray(0, this.length),
    };
  }
}

/** First index in a[0..n) whose value is >= x (a ascending). */
export function lowerBound(a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in a[0..n) whose value is > x (a ascending). */
export function upperBound(a: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

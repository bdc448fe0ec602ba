// Min/max decimation per pixel column: for each column of the visible x-range keep the first point, the
// minimum, the maximum and the last point, in x order. The drawn polyline then covers exactly the vertical
// extent the full data would cover in that column, so spikes survive a million points, while the number of
// points handed to the chart is bounded by 4 × pixel width.
import { BLOCK, type MinMaxIndex } from './minmaxIndex';
import { lowerBound, upperBound } from './series';

export interface Decimated {
  x: Float64Array;
  y: Float64Array;
  length: number;
}

/**
 * xs must be ascending. NaN values are skipped (a missing metric is not a zero). The points just outside the
 * visible range are kept so lines run to the plot's edges instead of stopping short. With `index` (kept in
 * sync with ys), whole blocks inside a column are read from it instead of scanned; the result is the same.
 */
export function minMaxDecimate(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  n: number,
  xMin: number,
  xMax: number,
  pixels: number,
  index?: MinMaxIndex,
): Decimated {
  const cols = Math.max(1, Math.floor(pixels));
  let start = lowerBound(xs, n, xMin);
  let end = upperBound(xs, n, xMax);
  if (start > 0) start--;
  if (end < n) end++;
  const count = end - start;
  if (count <= cols * 4) {
    const x = new Float64Array(count);
    const y = new Float64Array(count);
    let k = 0;
    for (let i = start; i < end; i++) {
      if (Number.isNaN(ys[i])) continue;
      x[k] = xs[i];
      y[k] = ys[i];
      k++;
    }
    return { x: x.subarray(0, k), y: y.subarray(0, k), length: k };
  }
  const outX = new Float64Array(cols * 4 + 8);
  const outY = new Float64Array(cols * 4 + 8);
  let k = 0;
  const span = xMax - xMin || 1;
  // Column boundaries come from binary searches on x, so the per-point loop below only compares values:
  // this is what keeps a million points within a frame.
  const indexed = index ? index.blocks * BLOCK : 0;
  const emit = (a: number, b: number): void => {
    let first = a;
    while (first < b && ys[first] !== ys[first]) first++;
    if (first >= b) return;
    let last = b - 1;
    while (ys[last] !== ys[last]) last--;
    let mi = -1;
    let ma = -1;
    let lo = Infinity;
    let hi = -Infinity;
    const scan = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const y = ys[i];
        if (y < lo) {
          lo = y;
          mi = i;
        }
        if (y > hi) {
          hi = y;
          ma = i;
        }
      }
    };
    const blk0 = Math.ceil(first / BLOCK);
    const blk1 = Math.floor(Math.min(last + 1, indexed) / BLOCK);
    if (index && blk1 > blk0) {
      scan(first, blk0 * BLOCK);
      for (let blk = blk0; blk < blk1; blk++) {
        const i = index.minIdx[blk];
        if (i >= 0 && ys[i] < lo) {
          lo = ys[i];
          mi = i;
        }
        const j = index.maxIdx[blk];
        if (j >= 0 && ys[j] > hi) {
          hi = ys[j];
          ma = j;
        }
      }
      scan(blk1 * BLOCK, last + 1);
    } else scan(first, last + 1);
    const lo2 = mi < ma ? mi : ma;
    const hi2 = mi < ma ? ma : mi;
    push(first);
    push(lo2);
    push(hi2);
    push(last);
  };
  const push = (i: number): void => {
    if (k > 0 && outX[k - 1] === xs[i] && outY[k - 1] === ys[i]) return;
    outX[k] = xs[i];
    outY[k] = ys[i];
    k++;
  };
  // The point just before the visible range, on its own, so the line enters from the left edge.
  let a = start;
  const firstVisible = lowerBound(xs, n, xMin);
  if (firstVisible > start) {
    emit(start, firstVisible);
    a = firstVisible;
  }
  for (let c = 1; c <= cols; c++) {
    const edge = c === cols ? xMax : xMin + (span * c) / cols;
    let b = c === cols ? upperBound(xs, n, edge) : lowerBound(xs, n, edge);
    if (b > end) b = end;
    if (b > a) emit(a, b);
    a = b;
  }
  if (end > a) emit(a, end);
  return { x: outX.subarray(0, k), y: outY.subarray(0, k), length: k };
}

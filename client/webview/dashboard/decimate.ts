// Min/max decimation per pixel column: for each column of the visible x-range keep the first point, the
// minimum, the maximum and the last point, in x order. The drawn polyline then covers exactly the vertical
// extent the full data would cover in that column, so spikes survive a million points, while the number of
// points handed to the chart is bounded by 4 × pixel width.
import { lowerBound, upperBound } from './series';

export interface Decimated {
  x: Float64Array;
  y: Float64Array;
  length: number;
}

/**
 * xs must be ascending. NaN values are skipped (a missing metric is not a zero). The points just outside the
 * visible range are kept so lines run to the plot's edges instead of stopping short.
 */
export function minMaxDecimate(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  n: number,
  xMin: number,
  xMax: number,
  pixels: number,
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
  const outX = new Float64Array(cols * 4 + 2);
  const outY = new Float64Array(cols * 4 + 2);
  let k = 0;
  const span = xMax - xMin || 1;
  const scale = cols / span;
  let col = -2;
  let firstI = -1;
  let lastI = -1;
  let minI = -1;
  let maxI = -1;
  const flush = (): void => {
    if (firstI < 0) return;
    // Emit the column's distinct extreme points in x order so the polyline stays monotonic in x.
    const idx = [firstI, minI, maxI, lastI].sort((a, b) => a - b);
    let prev = -1;
    for (const i of idx) {
      if (i === prev) continue;
      outX[k] = xs[i];
      outY[k] = ys[i];
      k++;
      prev = i;
    }
  };
  for (let i = start; i < end; i++) {
    const y = ys[i];
    if (Number.isNaN(y)) continue;
    let c = Math.floor((xs[i] - xMin) * scale);
    if (c < 0) c = -1;
    else if (c >= cols) c = cols;
    if (c !== col) {
      flush();
      col = c;
      firstI = lastI = minI = maxI = i;
      continue;
    }
    lastI = i;
    if (y < ys[minI]) minI = i;
    if (y > ys[maxI]) maxI = i;
  }
  flush();
  return { x: outX.subarray(0, k), y: outY.subarray(0, k), length: k };
}

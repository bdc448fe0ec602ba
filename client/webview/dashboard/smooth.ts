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

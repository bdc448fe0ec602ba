import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minMaxDecimate } from '../../client/webview/dashboard/decimate';
import { EmaSeries, emaSmooth } from '../../client/webview/dashboard/smooth';
import { SeriesBuffer } from '../../client/webview/dashboard/series';

function ramp(n: number): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = i;
    y[i] = Math.sin(i / 50);
  }
  return { x, y };
}

test('decimation bounds the output to 4 points per pixel column', () => {
  const { x, y } = ramp(1_000_000);
  const d = minMaxDecimate(x, y, x.length, 0, x.length - 1, 800);
  assert.ok(d.length <= 800 * 4 + 2, `got ${d.length}`);
  assert.ok(d.length > 800, 'every column is represented');
});

test('decimation keeps a single-point spike and the true extremes of each column', () => {
  const { x, y } = ramp(100_000);
  y[54_321] = 1000;
  y[77_777] = -1000;
  const d = minMaxDecimate(x, y, x.length, 0, x.length - 1, 300);
  const ys = Array.from(d.y);
  assert.ok(ys.includes(1000), 'spike kept');
  assert.ok(ys.includes(-1000), 'dip kept');
  assert.equal(Math.max(...ys), 1000);
  assert.equal(Math.min(...ys), -1000);
});

test('decimated x stays ascending, so the polyline never doubles back', () => {
  const { x, y } = ramp(50_000);
  const d = minMaxDecimate(x, y, x.length, 1000, 40_000, 200);
  for (let i = 1; i < d.length; i++) assert.ok(d.x[i] > d.x[i - 1], `x not ascending at ${i}`);
  assert.ok(d.x[0] <= 1000 && d.x[d.length - 1] >= 40_000, 'one point beyond each edge is kept');
});

test('few points pass through unchanged, NaNs are dropped', () => {
  const x = new Float64Array([0, 1, 2, 3]);
  const y = new Float64Array([5, NaN, 7, 8]);
  const d = minMaxDecimate(x, y, 4, 0, 3, 100);
  assert.deepEqual(Array.from(d.x), [0, 2, 3]);
  assert.deepEqual(Array.from(d.y), [5, 7, 8]);
});

test('EMA with debiasing: a constant stays constant from the first point', () => {
  const y = new Float64Array(20).fill(3);
  const s = emaSmooth(y, y.length, 0.9);
  for (const v of s) assert.ok(Math.abs(v - 3) < 1e-12);
});

test('EMA follows the recurrence and weight 0 is the identity', () => {
  const y = new Float64Array([1, 2, 3, 4]);
  assert.deepEqual(Array.from(emaSmooth(y, 4, 0)), [1, 2, 3, 4]);
  const s = emaSmooth(y, 4, 0.5);
  // last_t = 0.5·last_{t-1} + 0.5·y_t, divided by 1 − 0.5^t
  assert.equal(s[0], 1);
  assert.ok(Math.abs(s[1] - (0.5 * 0.5 + 0.5 * 2) / 0.75) < 1e-12);
  assert.ok(s[3] < 4 && s[3] > 3, 'lags behind a rising series');
});

test('EMA passes NaN through without poisoning later points', () => {
  const s = emaSmooth(new Float64Array([1, NaN, 1]), 3, 0.6);
  assert.ok(Number.isNaN(s[1]));
  assert.ok(Math.abs(s[2] - 1) < 1e-12);
});

test('series buffer grows and drops re-emitted steps after a resume', () => {
  const b = new SeriesBuffer(2);
  b.append([1, 2, 3, 4, 5], [0, 1, 2, 3, 4], [10, 20, 30, 40, 50]);
  assert.equal(b.length, 5);
  b.append([4, 5, 6], [9, 9, 9], [41, 51, 61]);
  assert.deepEqual(Array.from(b.view().step), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(b.view().value), [10, 20, 30, 41, 51, 61]);
});

test('the block index gives exactly the same decimation as a full scan, NaNs and spikes included', () => {
  const n = 200_003;
  const b = new SeriesBuffer(16);
  const step = new Float64Array(n);
  const time = new Float64Array(n);
  const value = new Float64Array(n);
  let v = 1;
  for (let i = 0; i < n; i++) {
    step[i] = i * 2;
    time[i] = i;
    v += Math.sin(i * 0.37) * 0.3;
    value[i] = i % 1013 === 0 ? NaN : i === 123_457 ? 99 : v;
  }
  b.append(step, time, value);
  for (const [lo, hi, px] of [
    [0, 2 * n, 640],
    [1000, 50_001, 333],
    [300_000, 300_500, 900],
  ] as const) {
    const plain = minMaxDecimate(b.step, b.value, b.length, lo, hi, px);
    const fast = minMaxDecimate(b.step, b.value, b.length, lo, hi, px, b.index());
    assert.deepEqual(Array.from(fast.x), Array.from(plain.x), `x for ${lo}..${hi}`);
    assert.deepEqual(Array.from(fast.y), Array.from(plain.y), `y for ${lo}..${hi}`);
  }
});

test('the index follows appends and rewrites of the series', () => {
  const b = new SeriesBuffer(16);
  const cols = (from: number, to: number, f: (i: number) => number) => {
    const s = Array.from({ length: to - from }, (_, i) => from + i);
    return [s, s, s.map(f)] as const;
  };
  b.append(...cols(0, 1000, () => 1));
  assert.equal(b.index().blocks, Math.floor(1000 / 64));
  b.append(...cols(1000, 5000, (i) => (i === 4321 ? 50 : 1)));
  let d = minMaxDecimate(b.step, b.value, b.length, 0, 4999, 100, b.index());
  assert.equal(Math.max(...d.y), 50);
  // A resume rewrites from step 4000 on: the old spike must disappear.
  b.append(...cols(4000, 5000, () => 2));
  d = minMaxDecimate(b.step, b.value, b.length, 0, 4999, 100, b.index());
  assert.equal(Math.max(...d.y), 2);
});

test('the incremental EMA column equals the batch one and extends without recomputing', () => {
  const b = new SeriesBuffer(16);
  const e = new EmaSeries();
  const all: number[] = [];
  for (let chunk = 0; chunk < 5; chunk++) {
    const s = Array.from({ length: 300 }, (_, i) => chunk * 300 + i);
    const vals = s.map((i) => Math.cos(i / 7) + (i % 50 === 0 ? NaN : 0));
    all.push(...vals);
    b.append(s, s, vals);
    e.sync(b, 0.8);
  }
  const batch = emaSmooth(Float64Array.from(all), all.length, 0.8);
  assert.equal(e.n, all.length);
  for (let i = 0; i < all.length; i++) {
    if (Number.isNaN(batch[i])) assert.ok(Number.isNaN(e.data[i]));
    else assert.ok(Math.abs(e.data[i] - batch[i]) < 1e-12, `point ${i}`);
  }
  e.sync(b, 0.5);
  assert.ok(
    Math.abs(e.data[all.length - 1] - emaSmooth(Float64Array.from(all), all.length, 0.5)[all.length - 1]) < 1e-12,
  );
});

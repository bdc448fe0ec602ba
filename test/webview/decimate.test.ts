import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minMaxDecimate } from '../../client/webview/dashboard/decimate';
import { emaSmooth } from '../../client/webview/dashboard/smooth';
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

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, distribution, sample, seededRandom } from '../../runtime/src/inference/sampling';

const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);

function frequencies(opts: { temperature: number; topP: number; topK?: number }, n = 20000): number[] {
  const rnd = seededRandom(42);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) counts[sample(logits, opts, rnd)]!++;
  return counts.map((c) => c / n);
}

describe('sampling', () => {
  it('computes log-sum-exp and entropy of the softmax', () => {
    const { lse, entropy } = distribution(logits);
    assert.ok(Math.abs(lse) < 1e-6);
    const h = -[0.5, 0.3, 0.15, 0.05].reduce((s, p) => s + p * Math.log(p), 0);
    assert.ok(Math.abs(entropy - h) < 1e-6);
    assert.ok(Math.abs(distribution(Float32Array.from([0, 0, 0, 0])).entropy - Math.log(4)) < 1e-9);
  });

  it('argmax takes the first of equal maxima, like torch.argmax', () => {
    assert.equal(argmax(Float32Array.from([1, 3, 3, 2])), 1);
  });

  it('temperature 1 without truncation follows the distribution', () => {
    const f = frequencies({ temperature: 1, topP: 1 });
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => assert.ok(Math.abs(f[i]! - p) < 0.015, `${i}: ${f[i]} vs ${p}`));
  });

  it('top-p keeps the smallest set reaching p, including the crossing token', () => {
    // 0.5 < 0.7 so the 0.3 token is kept too; renormalised over 0.8.
    const f = frequencies({ temperature: 1, topP: 0.7 });
    assert.ok(Math.abs(f[0]! - 0.625) < 0.015 && Math.abs(f[1]! - 0.375) < 0.015);
    assert.equal(f[2], 0);
    assert.equal(f[3], 0);
  });

  it('top-k and low temperature concentrate the mass', () => {
    const k1 = frequencies({ temperature: 1, topP: 1, topK: 1 }, 200);
    assert.deepEqual(k1, [1, 0, 0, 0]);
    const cold = frequencies({ temperature: 0.1, topP: 1 }, 2000);
    assert.ok(cold[0]! > 0.99);
    assert.equal(
      sample(logits, { temperature: 0, topP: 0.1 }, () => 0.99),
      0,
    );
  });

  it('seeded generators repeat and differ by seed', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const c = seededRandom(2);
    const xs = [a(), a(), a()];
    assert.deepEqual([b(), b(), b()], xs);
    assert.notDeepEqual([c(), c(), c()], xs);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });
});

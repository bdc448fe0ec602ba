import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateBatcher, mergeDelta, type Clock } from '../../client/src/dashboard/updateBatcher';
import type { HostMessage } from '../../client/webview/dashboard/protocol';

class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const first = this.timers[0];
      if (!first || first.at > end) break;
      this.timers.shift();
      this.t = first.at;
      first.fn();
    }
    this.t = end;
  }
}

const metric = (steps: number[]) => ({
  stage: 's',
  name: 'loss',
  step: Float64Array.from(steps),
  time: Float64Array.from(steps),
  value: Float64Array.from(steps),
});

test('posts at most 10 times a second however many updates arrive', () => {
  const clock = new FakeClock();
  const posts: HostMessage[] = [];
  const b = new UpdateBatcher((m) => void posts.push(m), 50, clock);
  for (let i = 0; i < 1000; i++) {
    b.push({ metrics: [metric([i])] });
    clock.advance(1);
  }
  // 1000 updates over one second, rate clamped to 10/s
  assert.ok(posts.length <= 11, `posted ${posts.length} times`);
  clock.advance(200);
  const steps = posts.flatMap((p) => (p.type === 'delta' ? (p.delta.metrics ?? []).flatMap((m) => [...m.step]) : []));
  assert.equal(steps.length, 1000, 'no point lost in batching');
  assert.deepEqual(steps.slice(0, 3), [0, 1, 2]);
});

test('a hidden panel gets nothing, then everything in one post when shown', () => {
  const clock = new FakeClock();
  const posts: HostMessage[] = [];
  const b = new UpdateBatcher((m) => void posts.push(m), 10, clock);
  b.setVisible(false);
  b.push({ metrics: [metric([1, 2])], samples: [{ stage: 's', step: 1, prompt: 'p', completion: 'c', rewards: {} }] });
  b.push({ metrics: [metric([3])], stages: [{ name: 's', kind: 'rl', status: 'running', step: 3 }] });
  clock.advance(5000);
  assert.equal(posts.length, 0);
  assert.ok(b.hasPending());
  b.setVisible(true);
  clock.advance(200);
  assert.equal(posts.length, 1);
  const m = posts[0];
  assert.equal(m.type, 'delta');
  if (m.type !== 'delta') return;
  assert.deepEqual([...m.delta.metrics![0].step], [1, 2, 3]);
  assert.equal(m.delta.samples!.length, 1);
  assert.equal(m.delta.stages![0].status, 'running');
});

test('a reset while hidden is delivered as a reset with later deltas merged in', () => {
  const clock = new FakeClock();
  const posts: HostMessage[] = [];
  const b = new UpdateBatcher((m) => void posts.push(m), 10, clock);
  b.setVisible(false);
  b.push({ metrics: [metric([1])] });
  b.reset({ metrics: [metric([1, 2])] });
  b.push({ metrics: [metric([3])] });
  b.setVisible(true);
  b.flush();
  assert.equal(posts.length, 1);
  assert.equal(posts[0].type, 'reset');
  if (posts[0].type === 'reset') assert.deepEqual([...posts[0].delta.metrics![0].step], [1, 2, 3]);
});

test('merge keeps the latest stage snapshot and appends rows', () => {
  const d = mergeDelta(
    {
      stages: [{ name: 'a', kind: 'sft', status: 'running', step: 1 }],
      evals: [{ stage: 'a', step: 1, time: 0, metrics: { accuracy: 0.1 } }],
    },
    {
      stages: [{ name: 'a', kind: 'sft', status: 'completed', step: 9 }],
      evals: [{ stage: 'a', step: 9, time: 1, metrics: { accuracy: 0.5 } }],
    },
  );
  assert.equal(d.stages!.length, 1);
  assert.equal(d.stages![0].status, 'completed');
  assert.equal(d.evals!.length, 2);
});

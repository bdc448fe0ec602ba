import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunFeed, shownCompletion } from '../../client/src/dashboard/runFeed';
import type { RunDelta } from '../../client/webview/dashboard/protocol';

const T = 1_700_000_000;
const ev = (o: Record<string, unknown>) => JSON.stringify({ v: 1, run_id: 'r1', ...o }) + '\n';

function runDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'srlm-feed-'));
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ id: 'r1', pipeline: 'demo', source: '/w/demo.srlm' }));
  writeFileSync(
    path.join(dir, 'plan.json'),
    JSON.stringify({
      stages: [
        { name: 'teach', kind: 'sft' },
        { name: 'grpo', kind: 'rl' },
      ],
    }),
  );
  return dir;
}

test('turns events into stage info, metric columns, eval and sample rows', async () => {
  const dir = runDir();
  try {
    writeFileSync(
      path.join(dir, 'events.jsonl'),
      ev({ type: 'run_started', time: T, pipeline: 'demo', stages: ['teach', 'grpo'] }) +
        ev({ type: 'stage_started', time: T + 1, stage: 'teach', kind: 'sft', total_steps: 10 }) +
        ev({ type: 'metrics', time: T + 2, stage: 'teach', step: 1, metrics: { loss: 3, lr: 0.1 } }) +
        ev({ type: 'metrics', time: T + 3, stage: 'teach', step: 2, metrics: { loss: null, lr: 0.1 } }) +
        ev({
          type: 'eval',
          time: T + 4,
          stage: 'teach',
          step: 2,
          eval: 'test',
          when: 'after',
          n: 8,
          metrics: { accuracy: 0.25, 'avg@4': 0.125 },
          sampling: { temperature: 0.8, top_p: 1, samples_per_prompt: 4 },
        }) +
        ev({ type: 'stage_finished', time: T + 5, stage: 'teach', status: 'completed', cached: false }) +
        ev({
          type: 'samples',
          time: T + 6,
          stage: 'grpo',
          step: 1,
          source: 'rl',
          samples: [{ prompt: '1+1', completion: '2', reward: 1, rewards: { accuracy: 1, format: 0 } }],
        }),
    );
    const feed = new RunFeed('r1', dir);
    const deltas: RunDelta[] = [];
    feed.onDelta((d) => deltas.push(d));
    await feed.poll();
    const d = deltas.at(-1)!;
    assert.equal(d.run!.pipeline, 'demo');
    assert.equal(d.run!.status, 'running');
    assert.equal(d.run!.sourceFile, '/w/demo.srlm');
    assert.deepEqual(
      d.stages!.map((s) => [s.name, s.kind, s.status]),
      [
        ['teach', 'sft', 'completed'],
        ['grpo', 'rl', 'pending'],
      ],
    );
    const loss = d.metrics!.find((m) => m.name === 'loss')!;
    assert.deepEqual([...loss.step], [1, 2]);
    assert.deepEqual([...loss.time], [2, 3], 'time is seconds since the run started');
    assert.equal(loss.value[0], 3);
    assert.ok(Number.isNaN(loss.value[1]), 'a null metric is a gap, not a zero');
    assert.equal(d.evals![0].metrics.accuracy, 0.25);
    assert.deepEqual(d.evals![0].sampling, { temperature: 0.8, topP: 1, samplesPerPrompt: 4 });
    assert.deepEqual(d.samples![0].rewards, { accuracy: 1, format: 0, total: 1 });

    // Only new points go out in the next delta; the snapshot holds everything.
    appendFileSync(
      path.join(dir, 'events.jsonl'),
      ev({ type: 'metrics', time: T + 7, stage: 'grpo', step: 1, metrics: { reward: 0.5 } }),
    );
    await feed.poll();
    const d2 = deltas.at(-1)!;
    assert.deepEqual(
      d2.metrics!.map((m) => m.name),
      ['reward'],
    );
    const snap = feed.snapshot();
    assert.equal(snap.metrics!.length, 3);
    assert.equal(snap.evals!.length, 1);
    assert.equal(feed.pointCount(), 5);
    await feed.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('warnings reach the dashboard with their code and hint, in deltas and in the snapshot', async () => {
  const dir = runDir();
  try {
    const warning = {
      type: 'warning',
      time: T + 2,
      stage: 'grpo',
      step: 5,
      code: 'no_learning_signal',
      message: 'all groups uniform for 5 steps: nothing to learn',
      hint: 'raise temperature',
    };
    writeFileSync(path.join(dir, 'events.jsonl'), ev({ type: 'run_started', time: T }) + ev(warning));
    const feed = new RunFeed('r1', dir);
    const deltas: RunDelta[] = [];
    feed.onDelta((d) => deltas.push(d));
    await feed.poll();
    const row = {
      stage: 'grpo',
      step: 5,
      code: 'no_learning_signal',
      message: warning.message,
      hint: 'raise temperature',
    };
    assert.deepEqual(deltas.at(-1)!.warnings, [row]);
    appendFileSync(path.join(dir, 'events.jsonl'), ev({ type: 'log', time: T + 3, level: 'info', message: 'x' }));
    await feed.poll();
    assert.equal(deltas.at(-1)!.warnings, undefined, 'a warning goes out once');
    assert.deepEqual(feed.snapshot().warnings, [row]);
    await feed.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a resumed stage that repeats steps resends from the rewind point', async () => {
  const dir = runDir();
  try {
    const f = path.join(dir, 'events.jsonl');
    writeFileSync(f, ev({ type: 'run_started', time: T }));
    for (let s = 1; s <= 5; s++)
      appendFileSync(f, ev({ type: 'metrics', time: T + s, stage: 'teach', step: s, metrics: { loss: s } }));
    const feed = new RunFeed('r1', dir);
    const deltas: RunDelta[] = [];
    feed.onDelta((d) => deltas.push(d));
    await feed.poll();
    for (let s = 4; s <= 6; s++)
      appendFileSync(f, ev({ type: 'metrics', time: T + 10 + s, stage: 'teach', step: s, metrics: { loss: 10 * s } }));
    await feed.poll();
    const m = deltas.at(-1)!.metrics![0];
    assert.deepEqual([...m.step], [4, 5, 6]);
    assert.deepEqual([...m.value], [40, 50, 60]);
    const snap = feed.snapshot().metrics![0];
    assert.deepEqual([...snap.step], [1, 2, 3, 4, 5, 6]);
    await feed.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample completions keep multi-byte characters; a tail cut inside one drops its U+FFFD', () => {
  assert.equal(shownCompletion('答案是 42 😀', false), '答案是 42 😀');
  assert.equal(shownCompletion('答案是 42 \uFFFD', true), '答案是 42 ');
  assert.equal(shownCompletion('bad \uFFFD byte', true), 'bad \uFFFD byte', 'only the cut tail');
  assert.equal(shownCompletion('x\uFFFD', false), 'x\uFFFD', 'an untruncated completion is shown as decoded');
});

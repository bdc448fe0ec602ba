// The Runs view's eval text: a stage's key metric and the tooltip lines of its evals (client/src/runs/format.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunState } from '../../runtime/src/events/state';
import type { AnyEvent } from '../../runtime/src/events/lines';
import { evalLines, keyMetric } from '../../client/src/runs/format';

function stageWithEvals(): RunState {
  const st = new RunState();
  let t = 1_800_000_000;
  const ev = (fields: Record<string, unknown>) =>
    st.apply({
      v: 1,
      type: 'eval',
      time: (t += 1),
      run_id: 'r',
      stage: 'grpo',
      when: 'after',
      n: 8,
      ...fields,
    } as AnyEvent);
  ev({ eval: 'valid', step: 5, metrics: { accuracy: 0.5, 'avg@8': 0.25, eval_time_s: 2 } });
  ev({
    eval: 'valid',
    step: 10,
    metrics: { 'pass@8': 0.875, accuracy: 0.625, 'avg@8': 0.375, eval_time_s: 2 },
    sampling: { temperature: 0.7, top_p: 0.95, samples_per_prompt: 8 },
  });
  ev({ eval: 'test', step: 10, metrics: { accuracy: 0.6, eval_time_s: 1 } });
  return st;
}

test('tooltip lines: the latest scores of each eval block, with how the sampled ones were drawn', () => {
  const s = stageWithEvals().findStage('grpo')!;
  assert.deepEqual(evalLines(s.evals), [
    'valid: accuracy 0.625, avg@8 0.375, pass@8 0.875 (8 samples per prompt at temperature 0.7, top_p 0.95)',
    'test: accuracy 0.600',
  ]);
});

test("the key metric is the last eval's accuracy, with avg@K beside it when that eval has one", () => {
  const st = stageWithEvals();
  assert.equal(keyMetric(st.findStage('grpo')!), 'acc 0.600');
  st.apply({
    v: 1,
    type: 'eval',
    time: 1_900_000_000,
    run_id: 'r',
    stage: 'grpo',
    eval: 'valid',
    when: 'after',
    n: 8,
    metrics: { accuracy: 0.7, 'avg@8': 0.5 },
  } as AnyEvent);
  assert.equal(keyMetric(st.findStage('grpo')!), 'acc 0.700 avg@8 0.500');
});

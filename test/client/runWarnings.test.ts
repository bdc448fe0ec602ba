import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunState } from '../../runtime/src/events/state';
import type { AnyEvent } from '../../runtime/src/events/lines';
import { newRunWarnings } from '../../client/src/runs/runWarnings';

const warning = (o: Record<string, unknown>) =>
  ({ v: 1, run_id: 'r1', type: 'warning', time: 1_700_000_000, ...o }) as unknown as AnyEvent;

test('a no-signal warning is notified once per run and stage; other warnings are not', () => {
  const state = new RunState();
  state.apply(warning({ message: 'vocab sliced', code: 'kd_vocab_sliced' }));
  state.apply(
    warning({
      stage: 'rl',
      step: 5,
      code: 'no_learning_signal',
      message: 'all groups uniform for 5 steps: nothing to learn',
      hint: 'raise temperature',
    }),
  );
  const seen = new Set<string>();
  const first = newRunWarnings([{ id: 'r1', state }], seen);
  assert.equal(first.length, 1);
  assert.equal(first[0]!.runId, 'r1');
  assert.equal(first[0]!.warning.stage, 'rl');
  assert.equal(first[0]!.warning.hint, 'raise temperature');
  assert.deepEqual(newRunWarnings([{ id: 'r1', state }], seen), [], 'already notified');
  state.apply(warning({ stage: 'rl2', code: 'no_learning_signal', message: 'again', time: 1_700_000_100 }));
  assert.deepEqual(
    newRunWarnings([{ id: 'r1', state }], seen).map((n) => n.warning.stage),
    ['rl2'],
  );
});

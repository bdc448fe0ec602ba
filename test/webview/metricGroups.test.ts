import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricFamily, orderFamilies } from '../../client/webview/dashboard/model';
import { METRIC_GROUPS } from '../../client/webview/dashboard/protocol';

test('metrics that belong together share a chart', () => {
  assert.equal(metricFamily('reward/accuracy'), 'reward');
  assert.equal(metricFamily('reward'), 'reward');
  assert.equal(metricFamily('reward_std/format'), 'reward_std');
  assert.equal(metricFamily('clip_ratio_low'), 'clip_ratio');
  assert.equal(metricFamily('clip_ratio_region'), 'clip_ratio');
  assert.equal(metricFamily('clip_fraction'), 'clip_ratio');
  assert.equal(metricFamily('completion_len_max'), 'completion_len');
  assert.equal(metricFamily('gen_time_s'), 'time_s');
  assert.equal(metricFamily('loss'), 'loss');
  for (const m of ['accuracy', 'avg@8', 'pass@8', 'maj@16'])
    assert.equal(metricFamily(`eval/arith/${m}`), 'eval/arith', "an eval block's scores share one chart");
  assert.equal(metricFamily('eval/arith/eval_time_s'), 'eval/arith/eval_time_s', 'other eval metrics: one each');
});

test('charts follow what matters for the stage kind, eval scores first', () => {
  const names = ['lr', 'time_s', 'zeta', 'kl', 'reward', 'eval/arith/completion_len_mean', 'eval/arith'];
  assert.deepEqual(orderFamilies(names, METRIC_GROUPS.rl), [
    'eval/arith',
    'eval/arith/completion_len_mean',
    'reward',
    'kl',
    'lr',
    'time_s',
    'zeta',
  ]);
  assert.deepEqual(orderFamilies(['tokens_per_s', 'ce', 'kd', 'loss'], METRIC_GROUPS.kd), [
    'loss',
    'kd',
    'ce',
    'tokens_per_s',
  ]);
});

// How eval results show outside the dashboard: the metric order and columns (runtime/src/events/evalMetrics.ts),
// the run summary's per-eval metrics, and `srlm show` / `srlm runs` on a run folder with a validation and a test
// eval, the validation one with sampled metrics (written by hand: no engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compactEvals, compareMetrics, evalColumns, scoreEntries } from '../../runtime/src/events/evalMetrics';
import { RunStore } from '../../runtime/src/store/runStore';
import { listRuns } from '../../runtime/src/store/runSummary';
import { createRun } from '../../runtime/src/supervisor/control';
import { makePlan, stage, tmpDir } from './helpers';
import { srlm } from './cliHelpers';

test('score metrics come first, accuracy then avg@K, pass@K, maj@K by K; timings after', () => {
  const names = ['eval_time_s', 'maj@8', 'pass@16', 'avg@8', 'pass@2', 'accuracy', 'avg@16', 'completion_len_mean'];
  assert.deepEqual(names.sort(compareMetrics), [
    'accuracy',
    'avg@8',
    'avg@16',
    'pass@2',
    'pass@16',
    'maj@8',
    'completion_len_mean',
    'eval_time_s',
  ]);
  assert.deepEqual(scoreEntries({ eval_time_s: 2, 'pass@4': 0.9, accuracy: 0.5, 'maj@4': null }), [
    ['accuracy', 0.5],
    ['pass@4', 0.9],
  ]);
});

test('eval columns: bare metric names for one eval block, "<eval>/<metric>" for several', () => {
  const one = evalColumns([{ name: 'test', metrics: { accuracy: 0.5, 'avg@4': 0.3, eval_time_s: 1 } }]);
  assert.deepEqual(
    one.map((c) => c.label),
    ['accuracy', 'avg@4'],
  );
  const two = evalColumns([
    { name: 'valid', metrics: { 'maj@4': 0.5, accuracy: 0.5 } },
    { name: 'test', metrics: { accuracy: 0.4 } },
    { name: 'valid', metrics: { 'avg@4': 0.2 } },
  ]);
  assert.deepEqual(
    two.map((c) => c.label),
    ['valid/accuracy', 'valid/avg@4', 'valid/maj@4', 'test/accuracy'],
  );
  assert.equal(compactEvals({ 'test/accuracy': 0.5, 'test/avg@8': 0.25 }, String), 'acc 0.5 avg@8 0.25');
  assert.equal(
    compactEvals({ 'valid/pass@8': 0.9, 'valid/accuracy': 0.6, 'test/accuracy': 0.5 }, String),
    'valid acc 0.6 pass@8 0.9 · test acc 0.5',
  );
});

const SAMPLING = { temperature: 1, top_p: 0.95, samples_per_prompt: 4 };

/** A finished two-stage run whose events hold a validation eval (greedy and sampled) and a test eval. */
function finishedRun(): { dir: string; store: RunStore; id: string } {
  const dir = tmpDir('srlm-evals-');
  const store = new RunStore(path.join(dir, '.srlm', 'runs'));
  const plan = { ...makePlan([stage('kd1', 'kd', 'h1'), stage('grpo', 'rl', 'h2')]), pipeline: 'evals' };
  const rec = createRun({ store, plan, source: '/x.srlm', options: {}, minFreeBytes: 0 });
  store.write({ ...rec, status: 'completed', attempts: 1 });
  let t = 1_800_000_000;
  const e = (type: string, fields: Record<string, unknown>) =>
    JSON.stringify({ v: 1, type, time: (t += 1), run_id: rec.id, ...fields });
  const valid = (stageName: string | null, when: string, acc: number, avg: number) =>
    e('eval', {
      stage: stageName,
      eval: 'valid',
      when,
      n: 200,
      step: 10,
      metrics: { accuracy: acc, 'avg@4': avg, 'pass@4': 0.9, 'maj@4': acc, eval_time_s: 3, sampled_len_mean: 12 },
      sampling: SAMPLING,
    });
  const testEval = (stageName: string | null, when: string, acc: number) =>
    e('eval', { stage: stageName, eval: 'test', when, n: 100, step: 10, metrics: { accuracy: acc, eval_time_s: 1 } });
  const lines = [
    e('run_started', { pipeline: 'evals', stages: ['kd1', 'grpo'] }),
    valid(null, 'before', 0.1, 0.05),
    testEval(null, 'before', 0.12),
    e('stage_started', { stage: 'kd1', kind: 'kd', total_steps: 10 }),
    e('stage_finished', { stage: 'kd1', step: 10, status: 'completed', cached: false, checkpoint: null }),
    valid('kd1', 'after', 0.6, 0.4),
    testEval('kd1', 'after', 0.55),
    e('stage_started', { stage: 'grpo', kind: 'rl', total_steps: 10 }),
    valid('grpo', 'during', 0.61, 0.45),
    e('stage_finished', { stage: 'grpo', step: 10, status: 'completed', cached: false, checkpoint: null }),
    valid('grpo', 'after', 0.62, 0.5),
    testEval('grpo', 'after', 0.58),
    e('run_finished', { status: 'completed' }),
  ];
  fs.writeFileSync(store.file(rec.id, 'events'), `${lines.join('\n')}\n`);
  return { dir, store, id: rec.id };
}

test('the run summary keeps every eval block: the latest metrics per block and the final scores', () => {
  const { store, id } = finishedRun();
  const [s] = listRuns(store);
  assert.equal(s!.id, id);
  assert.deepEqual(s!.best, { metric: 'accuracy', value: 0.62 });
  assert.deepEqual(s!.final, {
    'valid/accuracy': 0.62,
    'valid/avg@4': 0.5,
    'valid/pass@4': 0.9,
    'valid/maj@4': 0.62,
    'test/accuracy': 0.58,
  });
  const grpo = s!.stages.find((x) => x.name === 'grpo')!;
  assert.deepEqual(Object.keys(grpo.evals ?? {}), ['valid', 'test']);
  assert.equal(grpo.evals!.valid!['avg@4'], 0.5, 'the after eval, not the one during the stage');
});

test('srlm show: a column per eval block and score metric, and how each eval decoded', async () => {
  const { dir, id } = finishedRun();
  const r = await srlm(['show', id], dir, {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^stage +kind +status +steps +time +last +valid\/accuracy +valid\/avg@4 +valid\/pass@4 +valid\/maj@4 +test\/accuracy$/m,
  );
  assert.match(r.stdout, /^kd1 +kd +completed .* 0\.6 +0\.4 +0\.9 +0\.6 +0\.55$/m);
  assert.match(r.stdout, /^grpo +rl +completed .* 0\.62 +0\.5 +0\.9 +0\.62 +0\.58$/m);
  assert.match(
    r.stdout,
    /before training:\n {2}valid: accuracy 0\.1, avg@4 0\.05, pass@4 0\.9, maj@4 0\.1\n {2}test: accuracy 0\.12\n/,
  );
  assert.match(
    r.stdout,
    /evals:\n {2}valid: 200 prompts; accuracy greedy; avg@4, pass@4, maj@4 from 4 samples per prompt at temperature 1, top_p 0\.95\n {2}test: 100 prompts; accuracy greedy\n/,
  );
  const json = JSON.parse((await srlm(['show', id, '--json'], dir, {})).stdout);
  assert.deepEqual(json.stages[1].evals[1].sampling, { temperature: 1, topP: 0.95, samplesPerPrompt: 4 });
});

test('srlm runs: best accuracy and the final scores of each eval block', async () => {
  const { dir, id } = finishedRun();
  const r = await srlm(['runs'], dir, {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^run +pipeline +status +started +duration +stages +best +final eval$/m);
  assert.match(
    r.stdout,
    new RegExp(
      `^${id} +evals +completed .* 2/2 +accuracy 0\\.62 +valid acc 0\\.62 avg@4 0\\.5 pass@4 0\\.9 maj@4 0\\.62 · test acc 0\\.58$`,
      'm',
    ),
  );
});

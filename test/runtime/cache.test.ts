import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyStageCache, CacheOptionError, finishedStagesByHash } from '../../runtime/src/plan/cache';
import type { RunSummary, StageSummary } from '../../runtime/src/store/runSummary';
import { makePlan, stage, tmpDir } from './helpers';

function checkpoint(dir: string, name: string, complete = true): string {
  const p = path.join(dir, name);
  fs.mkdirSync(p, { recursive: true });
  if (complete) fs.writeFileSync(path.join(p, 'meta.json'), '{}');
  return p;
}

function run(id: string, stages: Partial<StageSummary>[]): RunSummary {
  return {
    id,
    pipeline: 'fake',
    source: '/x.srlm',
    status: 'completed',
    created: '2026-01-01T00:00:00Z',
    attempts: 1,
    key: '',
    stages: stages.map((s) => ({ name: 'x', kind: 'sft', hash: undefined, status: 'completed', cached: false, ...s })),
  };
}

test('finished stages are found by hash, newest run first, only with a complete checkpoint', () => {
  const dir = tmpDir();
  const old = checkpoint(dir, 'old');
  const newer = checkpoint(dir, 'new');
  const partial = checkpoint(dir, 'partial', false);
  const runs = [
    run('r1', [{ hash: 'h-a', checkpoint: old }]),
    run('r2', [
      { hash: 'h-a', checkpoint: newer },
      { hash: 'h-b', checkpoint: partial },
      { hash: 'h-c', checkpoint: newer, status: 'failed' },
    ]),
  ];
  const hits = finishedStagesByHash(runs);
  assert.deepEqual(hits.get('h-a'), { checkpoint: newer, run: 'r2' });
  assert.equal(hits.has('h-b'), false, 'a checkpoint without meta.json is not complete');
  assert.equal(hits.has('h-c'), false, 'a failed stage is not reused');
});

test('applyStageCache: reuse, --from, --stage (dropping later stages and their eval references), --no-cache', () => {
  const dir = tmpDir();
  const ck = checkpoint(dir, 'a-final');
  const ckb = checkpoint(dir, 'b-final');
  const runs = [
    run('r1', [
      { hash: 'h-a', checkpoint: ck },
      { hash: 'h-b', checkpoint: ckb },
    ]),
  ];
  const plan = { ...makePlan(), evals: { test: { data: 'd', stages: ['a', 'c'] } } };
  const plain = applyStageCache(plan, runs);
  assert.deepEqual(
    plain.decisions.map((d) => [d.stage, d.action]),
    [
      ['a', 'reused'],
      ['b', 'reused'],
      ['c', 'train'],
    ],
  );
  assert.equal(plain.plan.stages[0]!.reuse, ck);
  assert.equal(plain.plan.stages[2]!.reuse, null);
  const from = applyStageCache(plan, runs, { from: 'b' });
  assert.deepEqual(
    from.decisions.map((d) => d.action),
    ['reused', 'forced', 'forced'],
  );
  const only = applyStageCache(plan, runs, { only: 'b' });
  assert.deepEqual(
    only.plan.stages.map((s) => [s.name, s.reuse]),
    [
      ['a', ck],
      ['b', null],
    ],
  );
  assert.deepEqual(only.plan.evals!.test!.stages, ['a']);
  const none = applyStageCache(plan, runs, { noCache: true });
  assert.ok(none.plan.stages.every((s) => s.reuse === null));
  assert.throws(() => applyStageCache(plan, runs, { from: 'a', only: 'b' }), CacheOptionError);
  assert.throws(
    () => applyStageCache(makePlan([stage('a', 'sft', 'h')]), runs, { only: 'zz' }),
    /--stage zz: no such stage \(stages: a\)/,
  );
});

// The Runs view takes a finished run's row from the runtime's run index while the index describes the run's
// files as they are now, and never from a stale or damaged index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RunIndexReader } from '../../client/src/runs/runIndex';
import { listRuns, summaryKey } from '../../runtime/src/store/runSummary';
import { tmpStore } from '../runtime/helpers';

const ev = (o: Record<string, unknown>) => JSON.stringify({ v: 1, run_id: 'r1', ...o }) + '\n';

test('summaries from index.json while the key matches; a changed run, a damaged index or a live run are misses', () => {
  const store = tmpStore();
  const t = 1_700_000_000;
  store.create({
    version: 1,
    id: 'r1',
    pipeline: 'demo',
    source: '/w/demo.srlm',
    created: new Date(t * 1000).toISOString(),
    status: 'completed',
    attempts: 1,
    options: {},
    stages: [{ name: 'sft', kind: 'sft', hash: 'h' }],
  });
  writeFileSync(
    store.file('r1', 'events'),
    ev({ type: 'run_started', time: t, pipeline: 'demo', stages: ['sft'] }) +
      ev({ type: 'stage_started', time: t, stage: 'sft', kind: 'sft', total_steps: 2 }) +
      ev({ type: 'eval', time: t + 5, stage: 'sft', step: 2, eval: 'test', n: 4, metrics: { accuracy: 0.75 } }) +
      ev({ type: 'stage_finished', time: t + 6, stage: 'sft', step: 2, status: 'completed', cached: false }) +
      ev({ type: 'run_finished', time: t + 8, status: 'completed', duration_s: 8 }),
  );
  const reader = new RunIndexReader(store.root);
  assert.equal(reader.get('r1', summaryKey(store, 'r1')), undefined, 'no index yet');
  listRuns(store); // what `srlm runs` does: writes index.json
  const s = reader.get('r1', summaryKey(store, 'r1'));
  assert.ok(s, 'the summary once the index exists');
  assert.equal(s.status, 'completed');
  assert.equal(s.pipeline, 'demo');
  assert.equal(s.durationS, 8);
  assert.deepEqual(s.best, { metric: 'accuracy', value: 0.75 });

  appendFileSync(store.file('r1', 'events'), ev({ type: 'log', time: t + 9, level: 'info', message: 'x' }));
  assert.equal(reader.get('r1', summaryKey(store, 'r1')), undefined, 'events changed since the index was written');

  listRuns(store);
  assert.ok(reader.get('r1', summaryKey(store, 'r1')), 'the rewritten index is read again');
  writeFileSync(path.join(store.root, 'index.json'), '{"version": 1, "runs": ');
  assert.equal(reader.get('r1', summaryKey(store, 'r1')), undefined, 'a damaged index is a miss');

  store.write({ ...store.read('r1'), status: 'running' });
  listRuns(store);
  assert.equal(reader.get('r1', summaryKey(store, 'r1')), undefined, 'a run recorded as live is never taken from it');
});

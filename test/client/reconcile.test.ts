// The Runs view's check of runs recorded as live: an engine that died while nobody watched is noticed and the
// run recorded as failed (through the runtime's reconcileRun), a live engine is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveRunReconciler, recordedLive } from '../../client/src/runs/reconcile';
import { createRun, engineAlive, launchRun, type RunRecord } from '../../runtime/src/supervisor';
import { RunStore } from '../../runtime/src/store/runStore';
import { fakeEnv, makePlan, readEvents, systemPython, tmpStore } from '../runtime/helpers';

test('a fake engine killed while nobody watched: the live run is reconciled to failed, once', async () => {
  const store = tmpStore();
  const rec = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  const engine = await launchRun(store, rec.id, {
    python: systemPython,
    env: fakeEnv({ FAKE_STEP_S: '0.2', FAKE_STEPS: '100' }),
  });
  const reconciler = new LiveRunReconciler();
  try {
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(recordedLive(store.read(rec.id).status));
    assert.equal(await reconciler.check(store.root, rec.id), false, 'a live engine is left alone');
    assert.ok(recordedLive(store.read(rec.id).status));
  } finally {
    process.kill(engine.pid, 'SIGKILL');
    // Polled rather than awaiting engine.exited: the detached engine's handle does not keep the loop alive.
    for (let i = 0; i < 200 && engineAlive(store.read(rec.id)); i++) await new Promise((r) => setTimeout(r, 25));
  }
  // run.json still says running: only a check notices.
  assert.ok(recordedLive(store.read(rec.id).status));
  assert.equal(await reconciler.check(store.root, rec.id), true);
  const after = store.read(rec.id);
  assert.equal(after.status, 'failed');
  const events = readEvents(store, rec.id);
  assert.deepEqual(
    events.filter((e) => e.origin === 'supervisor').map((e) => [e.type, e.code ?? e.status]),
    [
      ['error', 'engine_died'],
      ['run_finished', 'failed'],
    ],
  );
  // Checking again (the next refresh, or a second window) records nothing more.
  assert.equal(await reconciler.check(store.root, rec.id), true);
  assert.equal(readEvents(store, rec.id).filter((e) => e.type === 'run_finished').length, 1);
});

test('a hand-written run whose pid now belongs to another process is not taken for live', async () => {
  const store = tmpStore();
  const rec = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  // This test's own pid with a start time that is not its own: a recycled pid.
  store.write({ ...store.read(rec.id), status: 'running', attempts: 1, pid: process.pid, pidStart: '1' });
  assert.equal(await new LiveRunReconciler().check(store.root, rec.id), true);
  assert.equal(store.read(rec.id).status, 'failed');
  assert.match(store.read(rec.id).message ?? '', /\S/);
});

test('one check per run at a time; unreadable runs are left for next time', async () => {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reconciler = new LiveRunReconciler(async (_store: RunStore, id: string) => {
    calls++;
    await gate;
    return { id, status: 'failed' } as RunRecord;
  });
  const first = reconciler.check('/runs', 'r1');
  assert.equal(await reconciler.check('/runs', 'r1'), false, 'a second check of the same run is skipped');
  const other = reconciler.check('/runs', 'r2');
  release();
  assert.deepEqual(await Promise.all([first, other]), [true, true]);
  assert.equal(calls, 2);
  const failing = new LiveRunReconciler(() => Promise.reject(new Error('gone')));
  assert.equal(await failing.check('/runs', 'r1'), false);
});

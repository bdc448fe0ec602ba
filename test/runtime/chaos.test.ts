// Chaos suite, supervisor side (issue 13): forged run folders — pids that are not the run's engine, run ids and
// stage names that are paths, files that are symbolic links to somewhere else — driven through every command that reads a run folder (stop, runs, show, logs,
// resume) and the Runs view's reconciler. Failed = a file written or changed outside the runs folder, or a
// signal that reached the sentinel (a harmless `sleep` in its own process group standing for a foreign process).
// Prints one summary line: tried / failed. Bounded to a few seconds. The engine-side categories (kills during
// saves, faulty rewards) are in runtime/python/tests/test_chaos_runtime.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun } from '../../runtime/src/supervisor/control';
import { isProcessAlive, processStartTime, waitUntilDead } from '../../runtime/src/supervisor/process';
import { LiveRunReconciler } from '../../client/src/runs/reconcile';
import { fakeEnv, makePlan, systemPython, tmpDir } from './helpers';
import { srlm } from './cliHelpers';
import { RunStore } from '../../runtime/src/store/runStore';

/** Every file and folder under `dir` except the runs folder, with size and mtime: a write shows as a change. */
function snapshot(dir: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of fs.readdirSync(d)) {
      const p = path.join(d, n);
      if (p === skip) continue;
      const st = fs.lstatSync(p);
      out.set(p, `${st.size}:${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function changes(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k));
}

test('chaos: forged run folders cause 0 writes outside the runs folder and 0 signals to foreign processes', async () => {
  const ws = tmpDir('srlm-chaos-');
  const store = new RunStore(path.join(ws, '.srlm', 'runs'));
  fs.mkdirSync(path.join(ws, '.srlm', 'victim'), { recursive: true });
  fs.mkdirSync(path.join(ws, 'victim', 'checkpoints'), { recursive: true });
  const sentinel = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const sPid = sentinel.pid!;
  const sStart = processStartTime(sPid)!;
  const dead = spawnSync('true').pid!;
  const pids: Record<string, unknown>[] = [
    { pid: 0, pidStart: '1' },
    { pid: 1, pidStart: processStartTime(1) ?? '1' },
    { pid: -1 },
    { pid: -sPid, pidStart: sStart },
    { pid: process.pid, pidStart: processStartTime(process.pid) },
    { pid: sPid, pidStart: sStart },
    { pid: sPid, pidStart: '1' },
    { pid: sPid },
    { pid: String(sPid), pidStart: sStart },
    { pid: sPid + 0.5, pidStart: sStart },
    { pid: 2 ** 40 },
    { pid: dead, pidStart: '1' },
  ];
  const ids: unknown[] = ['../victim', '../../victim', 'a/../../victim', '..', '/tmp', '', 42, null, 'other-run'];
  const stages = ['../../victim', '../../../victim/x', 'a/b', '..', '/abs', '', 'ok_name'];
  const links = [
    '(the run folder)',
    'run.json',
    'plan.json',
    'events.jsonl',
    'engine.log',
    'checkpoints',
    '.resume.lock',
  ];
  const variants: { what: string; record: Record<string, unknown>; stage?: string; link?: string }[] = [];
  for (const p of pids) variants.push({ what: `pid ${JSON.stringify(p)}`, record: { status: 'running', ...p } });
  for (const id of ids)
    for (const status of ['running', 'failed'])
      variants.push({ what: `id ${JSON.stringify(id)} ${status}`, record: { id, status, pid: dead, pidStart: '1' } });
  for (const s of stages) variants.push({ what: `stage ${JSON.stringify(s)}`, record: { status: 'failed' }, stage: s });
  for (const link of links)
    for (const status of ['running', 'failed'])
      variants.push({ what: `link ${link} ${status}`, record: { status, pid: dead, pidStart: '1' }, link });

  const reconciler = new LiveRunReconciler();
  const failures: string[] = [];
  let tried = 0;
  const cwd = ws;
  const opts = ['--runs', store.root];
  try {
    for (const v of variants) {
      const rec = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
      const id = rec.id;
      fs.writeFileSync(store.file(id, 'record'), JSON.stringify({ ...rec, attempts: 1, ...v.record }));
      if (v.stage !== undefined) {
        const plan = makePlan();
        (plan.stages[0] as { name: string }).name = v.stage;
        fs.writeFileSync(store.file(id, 'plan'), JSON.stringify(plan));
        const ev = (o: Record<string, unknown>) => JSON.stringify({ v: 1, time: 1, run_id: id, ...o });
        fs.writeFileSync(
          store.file(id, 'events'),
          `${ev({ type: 'stage_started', stage: v.stage, kind: 'sft', total_steps: 3 })}\n` +
            `${ev({ type: 'run_finished', status: 'failed', duration_s: 1 })}\n`,
        );
      }
      fs.writeFileSync(store.file(id, 'log'), 'one\ntwo\nthree\n');
      if (v.link !== undefined) {
        // The entry becomes a symbolic link to a copy outside the runs folder: a write through it is a write outside.
        const inRun = v.link.startsWith('(') ? store.dir(id) : path.join(store.dir(id), v.link);
        if (!fs.existsSync(inRun)) fs.writeFileSync(inRun, '');
        const target = path.join(ws, `linked-${variants.indexOf(v)}`);
        fs.cpSync(inRun, target, { recursive: true });
        fs.rmSync(inRun, { recursive: true });
        fs.symlinkSync(target, inRun);
        // An old lock is taken over (rewritten) by a resume: the case where a followed link would be written.
        const old = new Date(Date.now() - 120_000);
        fs.utimesSync(target, old, old);
      }
      const actions: [string, () => Promise<unknown>][] = [
        ['stop', () => srlm(['stop', id, '--timeout', '1', ...opts], cwd, {})],
        ['runs', () => srlm(['runs', ...opts], cwd, {})],
        ['show', () => srlm(['show', id, ...opts], cwd, {})],
        ['logs', () => srlm(['logs', id, '-n', '2', ...opts], cwd, {})],
        ['resume', () => srlm(['resume', id, '--detach', '--python', systemPython, ...opts], cwd, fakeEnv())],
        ['runs view', () => reconciler.check(store.root, id)],
      ];
      for (const [name, act] of actions) {
        tried++;
        const before = snapshot(ws, store.root);
        let result: unknown;
        try {
          result = await act();
        } catch {
          // An exception is fine (nothing was done); a write outside or a signal is not.
        }
        // A resumed (fake) engine writes only inside its run folder; give it a moment to do anything else.
        if (name === 'resume' && (result as { code?: number } | undefined)?.code === 0)
          await new Promise((r) => setTimeout(r, 300));
        const outside = changes(before, snapshot(ws, store.root));
        if (outside.length > 0) failures.push(`${v.what} / ${name}: wrote ${outside.join(', ')}`);
        if (!isProcessAlive(sPid, sStart)) {
          failures.push(`${v.what} / ${name}: the sentinel was signalled`);
          break;
        }
      }
      if (!isProcessAlive(sPid, sStart)) break;
    }
  } finally {
    sentinel.kill('SIGKILL');
    // Engines that a resume of a well-formed variant started finish (in their own folders) before cleanup.
    for (const id of store.ids()) {
      const r = store.tryRead(id);
      if (r?.pid) await waitUntilDead(() => isProcessAlive(r.pid!, r.pidStart), 20_000);
    }
  }
  console.log(
    `# chaos: forged run folders: ${tried} tried / ${failures.length} failed (writes outside, foreign signals)`,
  );
  assert.deepEqual(failures, []);
});

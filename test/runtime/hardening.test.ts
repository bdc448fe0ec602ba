// Issue 13, supervisor side: what a run folder says is untrusted. A forged pid is never signalled, a forged id or
// stage name never becomes a path outside the runs folder, `srlm logs -n` reads from the end, and a resume right
// after a failure waits for the exiting engine instead of calling it live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun, launchRun, resumeRun } from '../../runtime/src/supervisor/control';
import { isProcessAlive, processStartTime, refuseSignal, waitUntilDead } from '../../runtime/src/supervisor/process';
import { RunWatcher } from '../../runtime/src/supervisor/watch';
import { NAME_RE, RUN_ID_RE } from '../../runtime/src/store/runFolder';
import type { RunRecord, RunStore } from '../../runtime/src/store/runStore';
import { lex } from '../../server/src/core/syntax/lexer';
import { SyntaxKind } from '../../server/src/core/syntax/kinds';
import { fakeEnv, makePlan, systemPython, tmpStore } from './helpers';
import { srlm } from './cliHelpers';

/** A harmless process in its own group that must outlive every forged stop. */
function sentinel(): { child: ChildProcess; start: string } {
  const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
  const start = processStartTime(child.pid!);
  assert.ok(start, 'start time readable');
  return { child, start };
}

function forge(store: RunStore, fields: Partial<RunRecord> & Record<string, unknown>): string {
  const rec = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  const forged = { ...rec, status: 'running', attempts: 1, ...fields };
  fs.writeFileSync(store.file(rec.id, 'record'), JSON.stringify(forged));
  return rec.id;
}

function deadPid(): number {
  return spawnSync('true').pid!;
}

test('srlm stop signals only the run’s own engine: forged pids 0, 1, own, foreign are refused; the sentinel lives', async () => {
  const store = tmpStore();
  const s = sentinel();
  const cwd = path.dirname(store.root);
  const runs = ['--runs', store.root, '--timeout', '1'];
  try {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['pid 0 (own group)', { pid: 0, pidStart: '1' }, /run\.json: pid: 0 is not a process id/],
      ['pid 1 (kill(-1))', { pid: 1, pidStart: processStartTime(1) ?? '1' }, /run\.json: pid: 1 is not a process id/],
      ['pid -5', { pid: -5 }, /pid: -5 is not a process id/],
      ['own pid', { pid: process.pid, pidStart: processStartTime(process.pid) }, /this process or its group/],
      ['foreign, true start time', { pid: s.child.pid, pidStart: s.start }, /is not the engine of /],
      ['foreign, no start time', { pid: s.child.pid, pidStart: undefined }, /records no start time/],
      ['foreign, other start time', { pid: s.child.pid, pidStart: '12345' }, /is not running/],
    ];
    for (const [what, fields, message] of cases) {
      const id = forge(store, fields);
      const r = await srlm(['stop', id, ...runs], cwd, {});
      assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.ok(isProcessAlive(s.child.pid!, s.start), `${what}: the sentinel was signalled`);
      assert.equal(JSON.parse(fs.readFileSync(store.file(id, 'record'), 'utf8')).stopRequested, undefined, what);
    }
    // The guard itself, for the values a reader would never let through.
    for (const pid of [0, 1, -1, 1.5, Number.NaN])
      assert.match(refuseSignal({ pid, pidStart: '1', runDir: store.root }) ?? '', /is not a process/);
  } finally {
    s.child.kill('SIGKILL');
  }
});

test('a run.json naming another folder, or a traversal id, is refused and nothing is written outside the runs folder', async () => {
  const store = tmpStore();
  const victim = path.join(path.dirname(store.root), 'victim');
  fs.mkdirSync(victim, { recursive: true });
  const cwd = path.dirname(store.root);
  const id = forge(store, { id: '../victim', pid: deadPid(), pidStart: '1' });
  const good = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 }).id;
  const runs = await srlm(['runs', '--runs', store.root], cwd, {});
  assert.equal(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, new RegExp(good));
  assert.doesNotMatch(runs.stdout, new RegExp(id), 'a forged record is not listed as a run');
  const show = await srlm(['show', id, '--runs', store.root], cwd, {});
  assert.equal(show.code, 1);
  assert.match(show.stderr, /run\.json: id: "\.\.\/victim" is not the name of its folder/);
  assert.deepEqual(fs.readdirSync(victim), [], 'nothing written outside the runs folder');
  // A run id that is a path is refused where it would become one.
  assert.throws(() => store.dir('../victim'), /is not a run id/);
  for (const bad of ['..', '.', '.hidden', 'a/b', '', '-x']) assert.equal(RUN_ID_RE.test(bad), false, bad);
  assert.ok(RUN_ID_RE.test(store.newId('some_pipeline')));
});

test('stage names from plan.json and events.jsonl that are paths are refused before they become paths', async () => {
  const store = tmpStore();
  const cwd = path.dirname(store.root);
  const rec = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  fs.writeFileSync(store.file(rec.id, 'record'), JSON.stringify({ ...rec, status: 'failed', attempts: 1 }));
  const ev = (o: Record<string, unknown>) => JSON.stringify({ v: 1, time: 1, run_id: rec.id, ...o });
  fs.writeFileSync(
    store.file(rec.id, 'events'),
    [
      ev({ type: 'run_started', pipeline: 'fake', stages: ['a'] }),
      ev({ type: 'stage_started', stage: '../../../outside', kind: 'sft', total_steps: 3 }),
      ev({ type: 'run_finished', status: 'failed', duration_s: 1 }),
    ].join('\n') + '\n',
  );
  const r = await srlm(['resume', rec.id, '--runs', store.root, '--python', systemPython], cwd, fakeEnv());
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /events\.jsonl: stage name "\.\.\/\.\.\/\.\.\/outside" is not a name/);
  assert.equal(store.read(rec.id).attempts, 1, 'no engine was launched');
  // plan.json: a forged stage name makes the plan unreadable for show, with file and field.
  const plan = JSON.parse(fs.readFileSync(store.file(rec.id, 'plan'), 'utf8'));
  plan.stages[1].name = '../x';
  fs.writeFileSync(store.file(rec.id, 'plan'), JSON.stringify(plan));
  const show = await srlm(['show', rec.id, '--runs', store.root], cwd, {});
  assert.equal(show.code, 1);
  assert.match(show.stderr, /plan\.json: stages\[1\]\.name: "\.\.\/x" is not a stage name/);
});

test('a run folder whose files are symbolic links is refused: nothing is appended or written through them', async () => {
  const store = tmpStore();
  const cwd = path.dirname(store.root);
  const id = forge(store, { pid: deadPid(), pidStart: '1' });
  const outside = path.join(cwd, 'bashrc');
  fs.writeFileSync(outside, 'export PATH\n');
  fs.rmSync(store.file(id, 'events'), { force: true });
  fs.symlinkSync(outside, store.file(id, 'events'));
  const runs = await srlm(['runs', '--runs', store.root], cwd, {});
  assert.equal(runs.code, 0, runs.stderr);
  const show = await srlm(['show', id, '--runs', store.root], cwd, {});
  assert.equal(show.code, 1);
  assert.match(show.stderr, /events\.jsonl is a symbolic link; a run folder's files must be its own/);
  assert.equal(fs.readFileSync(outside, 'utf8'), 'export PATH\n', 'nothing appended through the link');
});

test('NAME_RE is the language’s name: a name matches it exactly when the lexer reads it as one identifier', () => {
  for (const s of ['a', '_x', 'warm_up2', 'A9', '9a', 'a-b', 'a.b', 'é', '', ' a', 'a b', '../x']) {
    const toks = lex(s).tokens;
    const one = toks.length === 1 && toks[0]!.kind === SyntaxKind.Ident && toks[0]!.end === s.length;
    assert.equal(NAME_RE.test(s), one, JSON.stringify(s));
  }
});

test('srlm logs -n reads from the end: the last lines of a 3 GB (sparse) log at once, a log without a final newline too', async () => {
  const store = tmpStore();
  const cwd = path.dirname(store.root);
  const id = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 }).id;
  const log = store.file(id, 'log');
  const fd = fs.openSync(log, 'w');
  fs.ftruncateSync(fd, 3 * 1024 ** 3); // a hole: no disk, but every byte a whole-file read would have to copy
  fs.writeSync(fd, 'line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n', 3 * 1024 ** 3);
  fs.closeSync(fd);
  const t0 = process.hrtime.bigint();
  const r = await srlm(['logs', id, '-n', '5', '--runs', store.root], cwd, {});
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'line 2\nline 3\nline 4\nline 5\nline 6\n');
  assert.ok(ms < 2000, `took ${ms} ms`);
  fs.writeFileSync(log, 'a\nb\nc');
  assert.equal((await srlm(['logs', id, '-n', '2', '--runs', store.root], cwd, {})).stdout, 'b\nc');
  assert.equal((await srlm(['logs', id, '-n', '0', '--runs', store.root], cwd, {})).stdout, '');
  assert.equal((await srlm(['logs', id, '-n', '9', '--runs', store.root], cwd, {})).stdout, 'a\nb\nc');
  fs.rmSync(log);
});

test('resume right after a run is reported failed waits for the exiting engine instead of calling it running', async () => {
  const store = tmpStore();
  const env = fakeEnv({ FAKE_FAIL_AT: 'b:2', FAKE_LINGER_S: '4' });
  const rec = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  const engine = await launchRun(store, rec.id, { python: systemPython, env });
  // Re-attached like `srlm watch`: it reports the failure from the events while the engine is still exiting.
  const w = new RunWatcher(store, rec.id, { livenessMs: 50, pollMs: 20 }).start();
  const result = await w.done;
  await w.close();
  assert.equal(result.status, 'failed');
  assert.ok(isProcessAlive(engine.pid, engine.pidStart), 'the engine is still exiting');
  const r = await resumeRun(store, rec.id, { python: systemPython, env: fakeEnv() });
  assert.ok(r.engine.pid !== engine.pid);
  assert.ok(await waitUntilDead(() => isProcessAlive(r.engine.pid, r.engine.pidStart), 20_000));
  assert.equal(store.read(rec.id).attempts, 2);
});

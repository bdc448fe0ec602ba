// End to end through the real `srlm` CLI and the real Python engine, on a shortened demo pipeline (about a
// minute on two CPU cores): kill -9 mid-stage, resume, then the stage cache after an edit to the last stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../runtime/src/store/runStore';
import { metricSteps, range, readEvents, root, tmpDir } from './helpers';

const venvPython = path.join(root, '.venv', 'bin', 'python');
const engineReady =
  fs.existsSync(venvPython) &&
  spawnSync(venvPython, ['-c', 'import srlm_engine.run, torch'], { timeout: 60_000 }).status === 0;

function cli(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', require.resolve('tsx'), path.join(root, 'runtime/src/cli/main.ts'), ...args],
      {
        cwd,
        env: { ...process.env, SRLM_PYTHON: venvPython, NO_COLOR: '1' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, out }));
  });
}

test(
  'real engine: kill -9 mid-stage, resume with every step once, then cache reuse after editing the last stage',
  { skip: engineReady ? false : 'no .venv with torch and the engine (run scripts/setup-python.sh)', timeout: 240_000 },
  async () => {
    const dir = tmpDir('srlm-e2e-');
    const file = path.join(dir, 'short.srlm');
    const text = fs
      .readFileSync(path.join(root, 'test/fixtures/runtime/pipelines/short-demo.srlm'), 'utf8')
      .replaceAll('"../../../../runtime/', `"${path.join(root, 'runtime')}/`)
      .replace(
        'steps = 6\n    lr = 1e-3\n    batch_size = 8\n    max_len = 128\n    save_every = 2',
        'steps = 24\n    lr = 1e-3\n    batch_size = 8\n    max_len = 128\n    save_every = 4',
      );
    fs.writeFileSync(file, text);
    const store = new RunStore(path.join(dir, '.srlm', 'runs'));

    const started = await cli(['run', file, '--detach'], dir);
    assert.equal(started.code, 0, started.out);
    const id = store.ids()[0]!;
    // Kill once the teacher has a step checkpoint and has trained past it.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ev = readEvents(store, id);
      const ck = ev.some((e) => e.type === 'checkpoint' && e.stage === 'teacher' && e.final === false);
      const step = Math.max(
        0,
        ...ev.filter((e) => e.type === 'metrics' && e.stage === 'teacher').map((e) => e.step as number),
      );
      if (ck && step >= 5) break;
      assert.ok(
        Date.now() < deadline,
        `no teacher checkpoint in time; engine.log:\n${fs.readFileSync(store.file(id, 'log'), 'utf8')}`,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(store.read(id).pid!, 'SIGKILL');

    const watched = await cli(['watch', id], dir);
    assert.equal(watched.code, 1, watched.out);
    assert.match(watched.out, /failed: the engine process is gone before finishing the run/);
    assert.equal(store.read(id).status, 'failed');

    const resumed = await cli(['resume', id], dir);
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /resuming .*: stage teacher from step (4|8|12|16|20)/);
    assert.match(resumed.out, /run \S+ completed/);
    assert.deepEqual(metricSteps(store, id), { teacher: range(1, 24), student: range(1, 6), polish: range(1, 3) });
    const events = readEvents(store, id);
    const resumedFrom = events.find(
      (e) => e.type === 'stage_started' && typeof e.resumed_from_step === 'number' && e.resumed_from_step > 0,
    );
    assert.ok(resumedFrom, 'the engine continued the teacher from a checkpoint');
    assert.equal(events.filter((e) => e.type === 'stage_finished' && e.status === 'completed').length, 3);

    fs.writeFileSync(file, text.replace('steps = 3', 'steps = 2'));
    const second = await cli(['run', file], dir);
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, new RegExp(`teacher: reusing the checkpoint of run ${id}`));
    assert.match(second.out, new RegExp(`student: reusing the checkpoint of run ${id}`));
    assert.match(second.out, /polish: will train/);
    const id2 = store.ids()[1]!;
    assert.deepEqual(
      readEvents(store, id2)
        .filter((e) => e.type === 'stage_finished')
        .map((e) => [e.stage, e.cached]),
      [
        ['teacher', true],
        ['student', true],
        ['polish', false],
      ],
    );
    assert.deepEqual(metricSteps(store, id2), { polish: range(1, 2) });
  },
);

test(
  'srlm setup verifies the project environment through scripts/setup-python.sh',
  { skip: engineReady ? false : 'no .venv with torch and the engine', timeout: 120_000 },
  async () => {
    const r = await cli(['setup'], tmpDir('srlm-setup-'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /running .*scripts\/setup-python\.sh/);
    assert.match(r.out, /python environment (up to date|ready)/);
    assert.match(r.out, /^ready: .*\.venv\/bin\/python \(Python 3\.\d+\.\d+, engine 0\.1\.\d+, PyTorch found\)$/m);
  },
);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../runtime/src/store/runStore';
import { createRun } from '../../runtime/src/supervisor/control';
import {
  fakeEngineDir,
  fakeEnv,
  makePlan,
  metricSteps,
  range,
  readEvents,
  root,
  systemPython,
  tmpDir,
} from './helpers';
import { parseDetachedRun } from '../../client/src/cli';
import { srlm } from './cliHelpers';

const fixture = path.join(root, 'test', 'fixtures', 'runtime', 'pipelines', 'three.srlm');

/** A workspace with its own copy of the three-stage pipeline (model paths made absolute). */
function workspace(): { dir: string; file: string; store: RunStore } {
  const dir = tmpDir('srlm-cli-');
  const file = path.join(dir, 'three.srlm');
  const text = fs.readFileSync(fixture, 'utf8').replace('"../../../../runtime/', `"${path.join(root, 'runtime')}/`);
  fs.writeFileSync(file, text);
  return { dir, file, store: new RunStore(path.join(dir, '.srlm', 'runs')) };
}

const py = ['--python', systemPython];

test('srlm run refuses a file with errors, printing them like srlm check', async () => {
  const { dir, file } = workspace();
  fs.writeFileSync(
    file,
    fs
      .readFileSync(file, 'utf8')
      .replace(
        'steps = 4\n    lr = 1e-3\n    batch_size = 4\n    max_len = 64\n  }\n\n  stage sft more',
        'stepz = 4\n    lr = 1e-3\n    batch_size = 4\n    max_len = 64\n  }\n\n  stage sft more',
      ),
  );
  const r = await srlm(['run', file, ...py], dir, fakeEnv());
  assert.equal(r.code, 1);
  assert.match(r.stderr, /three\.srlm:\d+:\d+: error SRLM\d+: .*stepz/);
  assert.match(r.stderr, /\^+/);
  assert.match(r.stderr, /1 error in .*three\.srlm .*fix them before running/);
  assert.equal(fs.existsSync(path.join(dir, '.srlm')), false, 'nothing was created');
});

test('srlm run refuses what only the environment checks see: max_len beyond the model positions', async () => {
  const { dir, file } = workspace();
  // The tiny models have 512 positions (max_position_embeddings in their config.json).
  fs.writeFileSync(
    file,
    fs
      .readFileSync(file, 'utf8')
      .replace('max_len = 64\n  }\n\n  stage sft more', 'max_len = 4096\n  }\n\n  stage sft more'),
  );
  const r = await srlm(['run', file, ...py], dir, fakeEnv());
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /three\.srlm:17:15: error SRLM061: max_len = 4096 tokens per row exceeds the 512 positions of model 'base'/,
  );
  assert.match(r.stderr, /1 error in .*three\.srlm .*fix them before running/);
  assert.equal(fs.existsSync(path.join(dir, '.srlm')), false, 'nothing was created');
});

test('engine set-up problems are one clear message each, before any run folder exists', async () => {
  const { dir, file } = workspace();
  const noTorch = tmpDir('srlm-notorch-');
  fs.cpSync(path.join(fakeEngineDir, 'srlm_engine'), path.join(noTorch, 'srlm_engine'), { recursive: true });
  const noTransformers = tmpDir('srlm-notransformers-');
  for (const m of ['srlm_engine', 'torch', 'peft', 'safetensors']) {
    fs.cpSync(path.join(fakeEngineDir, m), path.join(noTransformers, m), { recursive: true });
  }
  const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    [
      'no python',
      ['--python', '/nonexistent/python3'],
      fakeEnv(),
      /Python not found at \/nonexistent\/python3 \(from --python\).*srlm setup/,
    ],
    [
      'no engine',
      py,
      { PATH: process.env.PATH },
      /cannot import the training engine srlm_engine \(ModuleNotFoundError.*srlm setup/,
    ],
    ['no torch', py, { ...fakeEnv(), PYTHONPATH: noTorch }, /has the engine but not PyTorch.*srlm setup/],
    [
      'no transformers',
      py,
      { ...fakeEnv(), PYTHONPATH: noTransformers },
      /has the engine but not the packages it needs: transformers\. .*srlm setup/,
    ],
    [
      'wrong version',
      py,
      fakeEnv({ FAKE_ENGINE_VERSION: '0.2.0' }),
      /has engine srlm_engine 0\.2\.0, but this srlm needs 0\.1\.x.*srlm setup/,
    ],
  ];
  for (const [what, flags, env, message] of cases) {
    const r = await srlm(['run', file, ...flags], dir, env);
    assert.equal(r.code, 1, what);
    assert.match(r.stderr, message, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one message, got ${r.stderr}`);
  }
  assert.equal(fs.existsSync(path.join(dir, '.srlm')), false);
});

test('an unwritable runs folder and a full disk are reported before the engine starts', async () => {
  const { dir, file } = workspace();
  fs.writeFileSync(path.join(dir, '.srlm'), 'a file where the runs folder should be');
  let r = await srlm(['run', file, ...py], dir, fakeEnv());
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /cannot create the runs folder .*\.srlm\/runs.*a part of the path is a file, not a folder.*output/,
  );
  fs.rmSync(path.join(dir, '.srlm'));
  r = await srlm(['run', file, ...py], dir, fakeEnv({ SRLM_MIN_FREE_MB: String(1e12) }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is full: [\d,]+ MB free, a run needs at least/);
});

test('run, runs, show, logs: plain progress lines and a summary table off a terminal', async () => {
  const { dir, file, store } = workspace();
  const r = await srlm(['run', file, ...py], dir, fakeEnv({ SRLM_PROGRESS_INTERVAL_MS: '0' }));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no terminal control codes off a terminal');
  assert.match(r.stdout, /^\d\d:\d\d:\d\d \[1\/3\] warm \(sft\): started, 4 steps$/m);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d \[2\/3\] more \(sft\)  step \d\/4  \d+%  loss [\d.]+/m);
  assert.match(r.stdout, /^stage +kind +status +steps +time +last +accuracy$/m);
  assert.match(r.stdout, /^polish +rl +completed +4\/4 .* reward 1 +0\.3$/m);
  assert.match(r.stdout, /run \S+ completed in \d+(m \d\d)?s; best accuracy 0\.3/);
  const id = store.ids()[0]!;
  const runs = await srlm(['runs'], dir, {});
  assert.match(runs.stdout, new RegExp(`^${id} +three +completed .* 3/3 +accuracy 0\\.3 +acc 0\\.3$`, 'm'));
  const show = await srlm(['show', 'three'], dir, {});
  assert.equal(show.code, 0);
  assert.match(show.stdout, /status +completed/);
  assert.match(show.stdout, /checkpoints:\n {2}warm: .*checkpoints\/warm\/final/);
  const json = JSON.parse((await srlm(['show', 'last', '--json'], dir, {})).stdout);
  assert.equal(json.stages[2].metrics.reward, 1);
  const logs = await srlm(['logs', id, '-n', '1'], dir, {});
  assert.equal(logs.stdout, 'polish step 4/4\n');
  const byPath = await srlm(['show', store.dir(id)], '/', {});
  assert.match(byPath.stdout, new RegExp(`^run +${id}$`, 'm'), 'a run folder path names the run');
  const fromRunsFolder = await srlm(['show', id], store.root, {});
  assert.match(fromRunsFolder.stdout, /status +completed/, 'the working folder may be the runs folder itself');
  const missing = await srlm(['show', 'nope'], dir, {});
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no run matches 'nope'/);
});

test('stage cache: after an edit to the last stage only, earlier stages are reused and only it trains', async () => {
  const { dir, file, store } = workspace();
  assert.equal((await srlm(['run', file, ...py], dir, fakeEnv())).code, 0);
  const first = store.ids()[0]!;
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('group = 2', 'group = 4'));
  const r = await srlm(['run', file, ...py], dir, fakeEnv());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`warm: reusing the checkpoint of run ${first}`));
  assert.match(r.stdout, new RegExp(`more: reusing the checkpoint of run ${first}`));
  assert.match(r.stdout, /polish: will train/);
  const second = store.ids()[1]!;
  const finished = readEvents(store, second).filter((e) => e.type === 'stage_finished');
  assert.deepEqual(
    finished.map((e) => [e.stage, e.cached]),
    [
      ['warm', true],
      ['more', true],
      ['polish', false],
    ],
  );
  assert.deepEqual(metricSteps(store, second), { polish: range(1, 4) });
  const plan = JSON.parse(fs.readFileSync(store.file(second, 'plan'), 'utf8'));
  assert.equal(plan.stages[0].reuse, path.join(store.dir(first), 'checkpoints', 'warm', 'final'));
  // A change that only affects logging keeps the cache.
  fs.writeFileSync(
    file,
    fs.readFileSync(file, 'utf8').replace('max_new_tokens = 16\n  }', 'max_new_tokens = 16\n    log_every = 2\n  }'),
  );
  const r3 = await srlm(['run', file, ...py], dir, fakeEnv());
  assert.match(r3.stdout, /polish: reusing/);
  // --from, --stage, --no-cache.
  const from = await srlm(['run', file, '--from', 'more', ...py], dir, fakeEnv());
  assert.match(
    from.stdout,
    /warm: reusing[\s\S]*more: will train \(requested\)[\s\S]*polish: will train \(requested\)/,
  );
  const only = await srlm(['run', file, '--stage', 'more', ...py], dir, fakeEnv());
  assert.match(only.stdout, /warm: reusing[\s\S]*more: will train \(requested\)/);
  assert.doesNotMatch(only.stdout, /polish/);
  const none = await srlm(['run', file, '--no-cache', ...py], dir, fakeEnv());
  assert.doesNotMatch(none.stdout, /reusing/);
  const bad = await srlm(['run', file, '--from', 'nope', ...py], dir, fakeEnv());
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--from nope: no such stage \(stages: warm, more, polish\)/);
});

test('run --detach --json prints one JSON object (id, folder, pid, stage decisions) and nothing else on stdout', async () => {
  const { dir, file, store } = workspace();
  const r = await srlm(['run', file, '--detach', '--json', ...py], dir, fakeEnv({ FAKE_STEP_S: '0.01' }));
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  const run = JSON.parse(lines[0]!) as {
    id: string;
    dir: string;
    pid: number;
    stages: { stage: string; action: string }[];
  };
  assert.deepEqual(store.ids(), [run.id]);
  assert.equal(run.dir, store.dir(run.id));
  assert.ok(Number.isInteger(run.pid) && run.pid > 1);
  assert.deepEqual(
    run.stages.map((s) => `${s.stage}:${s.action}`),
    ['warm:train', 'more:train', 'polish:train'],
  );
  assert.match(r.stderr, new RegExp(`run ${run.id} `), 'the human lines go to stderr');
  assert.equal(parseDetachedRun(r.stdout)?.id, run.id);
  const usage = await srlm(['run', file, '--json', ...py], dir, fakeEnv());
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--json goes with --detach/);
});

test('detach, watch, stop and resume through the CLI; kill -9 shows as failed in srlm runs', async () => {
  const { dir, file, store } = workspace();
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('steps = 4', 'steps = 30'));
  const d = await srlm(['run', file, '--detach', ...py], dir, fakeEnv({ FAKE_STEP_S: '0.05' }));
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /engine started in the background \(pid \d+\)/);
  const id = store.ids()[0]!;
  await new Promise((r) => setTimeout(r, 800));
  const follow = srlm(['logs', id, '-f'], dir, {});
  const stop = await srlm(['stop', id], dir, {});
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /stopped/);
  assert.equal(store.read(id).status, 'stopped');
  const followed = await follow;
  assert.equal(followed.code, 0);
  assert.match(followed.stdout, /^--- srlm .* -m srlm_engine run --plan .*plan\.json --run-dir /m);
  assert.match(followed.stdout, /warm step \d+\/30\n$/, 'logs -f ends when the engine does');
  const resumed = await srlm(['resume', id, ...py], dir, fakeEnv({ FAKE_STEP_S: '0.01' }));
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /resuming .*: stage warm from step \d+/);
  assert.deepEqual(metricSteps(store, id), { warm: range(1, 30), more: range(1, 30), polish: range(1, 30) });
  const again = await srlm(['resume', id, ...py], dir, fakeEnv());
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already completed/);

  // A detached run whose engine is killed: nobody watches, srlm runs notices.
  const k = await srlm(['run', file, '--detach', '--no-cache', ...py], dir, fakeEnv({ FAKE_DIE_AT: 'more:7' }));
  assert.equal(k.code, 0);
  const killed = store.ids()[1]!;
  const w = await srlm(['watch', killed], dir, {});
  assert.equal(w.code, 1);
  assert.match(w.stdout, /failed: the engine process is gone before finishing the run/);
  assert.match(w.stdout, /fake engine: dying now/);
  const runs = await srlm(['runs'], dir, {});
  assert.match(runs.stdout, new RegExp(`^${killed} +three +failed`, 'm'));
  const r2 = await srlm(['resume', 'last', ...py], dir, fakeEnv());
  assert.equal(r2.code, 0, r2.stdout);
  assert.match(r2.stdout, /stage more from step 6/);
  assert.deepEqual(metricSteps(store, killed).more, range(1, 30));
});

test('srlm setup --check reports a usable environment, or what is missing', async () => {
  const dir = tmpDir();
  const ok = await srlm(['setup', '--check', ...py], dir, fakeEnv());
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ready: .*python.* \(Python 3\.\d+\.\d+, engine 0\.1\.0, PyTorch found\)$/m);
  const bad = await srlm(['setup', '--check', ...py], dir, { PATH: process.env.PATH });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot import the training engine/);
});

test('a damaged run.json is named in a one-line error; srlm runs lists the other runs', async () => {
  const { dir, store } = workspace();
  const good = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  const bad = createRun({ store, plan: makePlan(), source: '/x.srlm', options: {}, minFreeBytes: 0 });
  fs.writeFileSync(store.file(bad.id, 'record'), '{"version": 1, "id": ');
  const show = await srlm(['show', bad.id], dir, {});
  assert.equal(show.code, 1);
  assert.match(show.stderr, /^srlm show: .*run\.json is not valid JSON \(.*\); was it edited or cut short\?\n$/);
  const runs = await srlm(['runs'], dir, {});
  assert.equal(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, new RegExp(good.id));
  assert.doesNotMatch(runs.stdout, new RegExp(bad.id));
});

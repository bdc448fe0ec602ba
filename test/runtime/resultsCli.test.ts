// The results commands through the CLI with the real engine: the environment check of report_to in `srlm check`
// and before `srlm run`, then `srlm card`, `srlm export` and `srlm push` on a tiny finished run. The back-ends'
// own behaviour is tested in runtime/python/tests (test_sinks.py, test_results_commands.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../runtime/src/store/runStore';
import { srlm } from './cliHelpers';
import { root, tmpDir } from './helpers';

const venvPython = path.join(root, '.venv', 'bin', 'python');
const engineReady =
  fs.existsSync(venvPython) &&
  spawnSync(venvPython, ['-c', 'import srlm_engine.sinks, torch, tensorboard, matplotlib'], { timeout: 60_000 })
    .status === 0;
const skip = engineReady ? false : 'no .venv with torch, the engine and its dev extras (run scripts/setup-python.sh)';
const assets = path.join(root, 'runtime/python/srlm_engine/assets/models/tiny-student');

function pipeline(reportTo: string): string {
  return `pipeline tiny {
  seed = 3
  device = cpu
  report_to = ${reportTo}

  model m { source = "${assets}"  weights = random }
  dataset train { builtin = arithmetic  split = train  limit = 32 }
  dataset test { builtin = arithmetic  split = test  limit = 4 }

  stage sft warm { init = m  data = train  steps = 3  lr = 1e-3  batch_size = 8  max_len = 64  log_every = 1 }

  eval arith { data = test  max_new_tokens = 4 }
}
`;
}

/** The real engine's Python, with some modules made to look uninstalled. */
function engineEnv(hide: string[] = []): NodeJS.ProcessEnv {
  const pythonPath = [path.join(root, 'test/fixtures/runtime/hide-modules'), path.join(root, 'runtime/python')];
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SRLM_PYTHON: venvPython,
    PYTHONPATH: pythonPath.join(path.delimiter),
    SRLM_TEST_HIDE_MODULES: hide.join(','),
    SRLM_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    NO_COLOR: '1',
  };
}

test('srlm check: a report_to back-end missing from the engine Python is an error on its name', { skip }, async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'p.srlm');
  const text = pipeline('[tensorboard, wandb]');
  fs.writeFileSync(file, text);
  const ok = await srlm(['check', file, '--json'], dir, engineEnv());
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), []);
  const bad = await srlm(['check', file, '--json'], dir, engineEnv(['wandb']));
  assert.equal(bad.code, 1, bad.stderr);
  const [d, ...rest] = JSON.parse(bad.stdout) as { code: string; message: string; range: { start: unknown } }[];
  assert.equal(rest.length, 0);
  assert.equal(d!.code, 'SRLM070');
  assert.match(d!.message, /'wandb' is not installed in the engine's Python .*pip install 'srlm-engine\[wandb\]'/);
  const line = text.split('\n').findIndex((l) => l.includes('report_to'));
  assert.deepEqual(d!.range.start, { line, character: text.split('\n')[line]!.indexOf('wandb') });
});

test('srlm run refuses to launch when a report_to back-end is missing, before any run folder', { skip }, async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'p.srlm');
  fs.writeFileSync(file, pipeline('[mlflow]'));
  const r = await srlm(['run', file], dir, engineEnv(['mlflow']));
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /report_to names a back-end not installed in .*: mlflow \(pip install 'srlm-engine\[mlflow\]'\)/,
  );
  assert.deepEqual(new RunStore(path.join(dir, '.srlm', 'runs')).ids(), []);
});

test('card, export and push on a tiny run reported live to TensorBoard', { skip, timeout: 180_000 }, async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'p.srlm');
  const text = pipeline('[tensorboard]');
  fs.writeFileSync(file, text);
  const run = await srlm(['run', file], dir, engineEnv());
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const store = new RunStore(path.join(dir, '.srlm', 'runs'));
  const id = store.ids()[0]!;
  assert.equal(fs.readFileSync(path.join(store.dir(id), 'pipeline.srlm'), 'utf8'), text, 'the text beside the plan');
  assert.ok(fs.readdirSync(path.join(store.dir(id), 'tensorboard')).some((f) => f.startsWith('events.out.tfevents')));

  const card = await srlm(['card', id], dir, engineEnv());
  assert.equal(card.code, 0, card.stderr);
  const ckpt = path.join(store.dir(id), 'checkpoints', 'warm', 'final');
  assert.match(card.stdout, new RegExp(`wrote the model card of stage warm: ${ckpt}/README.md, curves `));
  const readme = fs.readFileSync(path.join(ckpt, 'README.md'), 'utf8');
  assert.ok(readme.includes('```hcl\n' + text.trimEnd() + '\n```'), 'the pipeline text, from the run folder');
  assert.ok(fs.statSync(path.join(ckpt, 'training_curves.png')).size > 1000);

  const csv = await srlm(['export', id, '--to', 'csv', '--json'], dir, engineEnv());
  assert.equal(csv.code, 0, csv.stderr);
  const result = JSON.parse(csv.stdout) as { points: number; location: string };
  const rows = fs.readFileSync(result.location, 'utf8').trim().split('\n');
  assert.equal(rows.length - 1, result.points);
  assert.ok(rows.some((r) => r.startsWith('warm,3,') && r.includes(',loss,')));
  const tb = await srlm(['export', id, '--to', 'tensorboard'], dir, engineEnv());
  assert.equal(tb.code, 1);
  assert.match(tb.stderr, /^srlm export: .*already holds TensorBoard event files/);

  const env = { ...engineEnv(), HF_HOME: path.join(dir, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9' };
  const push = await srlm(['push', id, '--stage', 'warm', '--repo', 'me/tiny'], dir, env);
  assert.equal(push.code, 1);
  assert.match(push.stderr, /^srlm push: not logged in to the Hugging Face Hub: run `hf auth login` or set HF_TOKEN/);
  const missing = await srlm(['push', id, '--repo', 'me/tiny'], dir, env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /srlm push: missing --stage/);
});

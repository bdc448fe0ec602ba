// `srlm pull` and the hub preflight of `srlm run`, through the bundled CLI as a process (`node srlm.js`) and the
// real engine, offline: a Hugging Face cache laid out as huggingface_hub writes it (refs/main → snapshots/<commit>)
// holds a tiny Qwen2 model under a hub id. A missing model or revision stops `srlm run` with one message before a
// run folder exists; a cached one runs with its commit in plan.json and the checkpoint's meta.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { PassThrough } from 'node:stream';
import { compilePlan } from '../../runtime/src/plan/compile';
import { hubProgressPrinter, type HubEvent } from '../../runtime/src/supervisor/resolve';
import { root, tmpDir } from './helpers';

const python = path.join(root, '.venv', 'bin', 'python');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const bundle = path.join(tmpDir('srlm-bundle-'), 'srlm.js');
buildSync({
  entryPoints: [path.join(root, 'runtime/src/cli/main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'onnxruntime-node'],
  outfile: bundle,
  logLevel: 'silent',
});

const hfHome = tmpDir('srlm-hf-');
execFileSync(python, [path.join(root, 'runtime/python/tests/hub_cache.py'), hfHome, 'tiny-org/tiny-qwen', COMMIT], {
  env: { ...process.env, PYTHONPATH: path.join(root, 'runtime/python') },
  stdio: 'ignore',
});

function pipeline(dir: string, model: string): string {
  const file = path.join(dir, 'hub.srlm');
  fs.writeFileSync(
    file,
    `pipeline hubtest {
  device = cpu
  model m { ${model} }
  dataset d { builtin = arithmetic  limit = 8 }
  stage sft s { init = m  data = d  steps = 1  batch_size = 4  max_len = 64 }
}
`,
  );
  return file;
}

function srlm(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bundle, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: {
      ...process.env,
      HF_HOME: hfHome,
      HF_HUB_OFFLINE: '1',
      SRLM_PYTHON: python,
      PYTHONPATH: path.join(root, 'runtime/python'),
      SRLM_MIN_FREE_MB: '0',
      OMP_NUM_THREADS: '1',
      NO_COLOR: '1',
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('srlm pull resolves a cached hub model offline and prints its commit', () => {
  const dir = tmpDir();
  const file = pipeline(dir, 'source = "tiny-org/tiny-qwen"');
  const r = srlm(['pull', file, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { models: Record<string, { commit: string; revision: string }> };
  assert.equal(out.models.m!.commit, COMMIT);
  assert.match(r.stderr, /resolving model m \(tiny-org\/tiny-qwen@main\)/);
  assert.match(r.stderr, /model m: tiny-org\/tiny-qwen@main = commit 0123456789ab/);
});

test('srlm run stops in preflight with one message when a model or revision is not cached offline', () => {
  for (const [model, needle] of [
    ['source = "tiny-org/absent"', 'model m (tiny-org/absent@main)'],
    ['source = "tiny-org/tiny-qwen"  revision = "v2"', 'model m (tiny-org/tiny-qwen@v2)'],
  ] as const) {
    const dir = tmpDir();
    const r = srlm(['run', pipeline(dir, model)], dir);
    assert.equal(r.code, 1, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('srlm run:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.ok(errors[0]!.includes(needle), errors[0]);
    assert.match(errors[0]!, /not in the Hugging Face cache .* HF_HUB_OFFLINE=1 is set\. Run `srlm pull`/);
    // Nothing started: no run folder was created.
    assert.equal(
      fs.existsSync(path.join(dir, '.srlm', 'runs')) && fs.readdirSync(path.join(dir, '.srlm', 'runs')).length,
      false,
    );
  }
});

test('srlm run trains from the resolved commit and records it in plan.json and meta.json', () => {
  const dir = tmpDir();
  const r = srlm(['run', pipeline(dir, 'source = "tiny-org/tiny-qwen"')], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const runs = path.join(dir, '.srlm', 'runs');
  const run = path.join(runs, fs.readdirSync(runs)[0]!);
  const plan = JSON.parse(fs.readFileSync(path.join(run, 'plan.json'), 'utf8'));
  assert.equal(plan.models.m.resolved_revision, COMMIT);
  const meta = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 's', 'final', 'meta.json'), 'utf8'));
  assert.equal(meta.resolved_revision, COMMIT);
  assert.equal(meta.base_model, 'tiny-org/tiny-qwen');
});

test('the resolved commit is part of the stage hash: a new commit of a model is a different model', async () => {
  const dir = tmpDir();
  const file = pipeline(dir, 'source = "tiny-org/tiny-qwen"');
  const hash = async (resolvedRevisions?: Record<string, string>) =>
    (await compilePlan({ file, workspace: dir, fileChecks: false, resolvedRevisions })).plan.stages[0]!.hash;
  const a = await hash({ m: COMMIT });
  assert.equal(await hash({ m: COMMIT }), a);
  assert.notEqual(await hash({ m: 'f'.repeat(40) }), a);
  assert.notEqual(await hash(), a);
});

test("a hub dataset's resolved commit is in the plan and its stage hash; a local dataset has none", async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'ds.srlm');
  fs.writeFileSync(path.join(dir, 'local.jsonl'), '{"prompt": "p", "completion": "c"}\n');
  fs.writeFileSync(
    file,
    `pipeline hubdata {
  model m { source = "tiny-org/tiny-qwen" }
  dataset g { source = "openai/gsm8k"  subset = "main"  prompt = "question"  completion = "answer" }
  dataset l { source = "local.jsonl"  completion = "completion" }
  stage sft s { init = m  data = g }
  stage sft t { init = m  data = l }
}
`,
  );
  const compile = async (resolvedDatasetRevisions?: Record<string, string>) =>
    (await compilePlan({ file, workspace: dir, fileChecks: false, resolvedDatasetRevisions })).plan;
  const a = await compile({ g: COMMIT, l: 'f'.repeat(40) });
  assert.equal(a.datasets.g!.resolved_revision, COMMIT);
  assert.equal(a.datasets.l!.resolved_revision, undefined, 'a local dataset is identified by its content');
  assert.equal((await compile({ g: COMMIT })).stages[0]!.hash, a.stages[0]!.hash);
  assert.notEqual((await compile({ g: 'e'.repeat(40) })).stages[0]!.hash, a.stages[0]!.hash);
  assert.equal((await compile({ g: 'e'.repeat(40) })).stages[1]!.hash, a.stages[1]!.hash);
});

test('download progress: one line redrawn on a terminal, a line per quarter in a log', () => {
  const events: HubEvent[] = [
    { event: 'resolving', kind: 'model', name: 'q', repo: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'main' },
    ...[0, 0.3, 0.6, 1].flatMap((f): HubEvent[] => [
      { event: 'progress', unit: 'B', done: f * 988e6, total: 988e6, what: 'Downloading bytes' },
      { event: 'progress', unit: 'B', done: f * 988e6, total: 988e6, what: 'Reconstructing (incomplete total...)' },
    ]),
    {
      event: 'resolved',
      kind: 'model',
      name: 'q',
      repo: 'Qwen/Qwen2.5-0.5B-Instruct',
      revision: 'main',
      commit: COMMIT,
    },
  ];
  const render = (tty: boolean) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const p = hubProgressPrinter(out, tty);
    events.forEach(p.onEvent);
    p.finish();
    return text;
  };
  const log = render(false).split('\n');
  assert.deepEqual(log, [
    'resolving model q (Qwen/Qwen2.5-0.5B-Instruct@main)…',
    '  downloading 0 kB / 988.0 MB',
    '  downloading 296.4 MB / 988.0 MB',
    '  downloading 592.8 MB / 988.0 MB',
    '  downloading 988.0 MB / 988.0 MB',
    '  model q: Qwen/Qwen2.5-0.5B-Instruct@main = commit 0123456789ab',
    '',
  ]);
  const term = render(true);
  assert.equal(term.split('\n').length, 4, 'the byte count stays on one line');
  assert.match(term, /\r {2}downloading 988\.0 MB \/ 988\.0 MB\x1b\[K\n {2}model q/);
});

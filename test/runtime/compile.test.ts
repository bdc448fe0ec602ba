import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { compilePlan, CompileError } from '../../runtime/src/plan/compile';
import { blockSpec } from '../../server/src/core';
import { PLAN_SCHEMA_PATH, renderPlanSchemaText } from '../../server/src/core/schema/planSchema';
import { PLAN_TYPES_PATH, renderPlanTypesText } from '../../server/src/core/schema/planTypes';
import { root, tmpDir } from './helpers';

const planSchema = JSON.parse(fs.readFileSync(path.join(root, PLAN_SCHEMA_PATH), 'utf8'));
const validatePlan = new Ajv2020({ strict: false }).compile(planSchema);
const examples = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.srlm'))
  .map((f) => path.join(root, 'examples', f));

test('every example compiles to a plan that validates against the plan schema', async () => {
  assert.ok(examples.length >= 2);
  for (const file of examples) {
    const { plan } = await compilePlan({ file, workspace: root, fileChecks: false });
    assert.ok(validatePlan(plan), `${file}: ${JSON.stringify(validatePlan.errors, null, 1)}`);
    for (const s of plan.stages) assert.match(s.hash, /^[0-9a-f]{64}$/);
  }
});

test('a demo-shaped plan: defaults resolved from the schema, absolute paths, parents, evals, output folder', async () => {
  const file = path.join(root, 'test', 'fixtures', 'runtime', 'pipelines', 'short-demo.srlm');
  const { plan } = await compilePlan({ file, workspace: '/ws' });
  assert.equal(plan.schema_version, 1);
  assert.equal(plan.pipeline, 'short_demo');
  assert.equal(plan.source!.file, file);
  assert.equal(plan.settings!.output, '/ws/.srlm/runs');
  assert.equal(plan.settings!.precision, 'auto', 'a default from the schema');
  const teacher = plan.models.teacher_init!;
  assert.equal(teacher.source, path.join(root, 'runtime/python/srlm_engine/assets/models/tiny-teacher'));
  assert.match(String(teacher.config_sha256), /^[0-9a-f]{64}$/);
  assert.equal(teacher.revision, 'main');
  assert.deepEqual(
    plan.stages.map((s) => [s.name, s.kind, s.parent, s.init]),
    [
      ['teacher', 'sft', null, { model: 'teacher_init' }],
      ['student', 'kd', null, { model: 'student_init' }],
      ['polish', 'rl', 'student', { stage: 'student' }],
    ],
  );
  const kd = plan.stages[1]!.config;
  assert.deepEqual(kd.loss, { name: 'jsd', beta: 0.5 });
  assert.deepEqual(kd.mix, { sft: 0.5, kd: 1 });
  assert.equal(kd.lora, null);
  const rl = plan.stages[2]!.config;
  assert.equal(rl.batch_size, 2, 'derived default: group (prompts_per_step × group would be 4)');
  assert.deepEqual(rl.reward, [{ fn: 'accuracy', weight: 1 }]);
  assert.deepEqual(plan.stages[0]!.evals, ['arith']);
  assert.deepEqual(plan.stages[0]!.source_range!.start, { line: 18, character: 2 }, '0-based, like LSP');
});

async function hashes(text: string, dir: string): Promise<string[]> {
  const file = path.join(dir, 'p.srlm');
  fs.writeFileSync(file, text);
  return (await compilePlan({ file, workspace: dir })).plan.stages.map((s) => s.hash);
}

test('stage hashes: an edit changes that stage and every stage built on it, nothing earlier', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'a.jsonl'), '{"prompt":"1+1","completion":"2","answer":"2"}\n');
  const base = `pipeline p {
  model m { source = "Qwen/Qwen2.5-0.5B" }
  dataset d { path = "a.jsonl"  completion = "completion"  answer = "answer" }
  stage sft one { init = m  data = d  steps = 2 }
  stage sft two { init = one  data = d  steps = 2 }
  stage sft side { init = m  data = d  steps = 3 }
}
`;
  const h0 = await hashes(base, dir);
  assert.equal(new Set(h0).size, 3);
  assert.deepEqual(await hashes(base, dir), h0, 'deterministic');
  const h1 = await hashes(
    base.replace('stage sft one { init = m  data = d  steps = 2 }', 'stage sft one { init = m  data = d  steps = 5 }'),
    dir,
  );
  assert.notEqual(h1[0], h0[0]);
  assert.notEqual(h1[1], h0[1], 'the child of an edited stage changes');
  assert.equal(h1[2], h0[2], 'an unrelated stage keeps its hash');
  const h2 = await hashes(
    base.replace(
      'stage sft two { init = one  data = d  steps = 2 }',
      'stage sft two { init = one  data = d  steps = 2  log_every = 5  save_every = 1 }',
    ),
    dir,
  );
  assert.deepEqual(h2, h0, 'logging and saving cadence do not change results');
  fs.appendFileSync(path.join(dir, 'a.jsonl'), '{"prompt":"2+2","completion":"4","answer":"4"}\n');
  const h3 = await hashes(base, dir);
  assert.ok(
    h3.every((h, i) => h !== h0[i]),
    'dataset content is part of every hash',
  );
  const h4 = await hashes(base.replace('seed', 'seed').replace('pipeline p {', 'pipeline p {\n  seed = 9'), dir);
  assert.ok(
    h4.every((h, i) => h !== h3[i]),
    'the seed is part of every hash',
  );
  const one = await hashes(base.replace('pipeline p {', 'pipeline p {\n  processes = 1'), dir);
  assert.deepEqual(one, h3, 'an explicit single process keeps the single-process hashes');
  const two = await hashes(base.replace('pipeline p {', 'pipeline p {\n  processes = 2'), dir);
  assert.ok(
    two.every((h, i) => h !== h3[i]),
    'the number of ranks is part of every hash (data order and sampled groups change)',
  );
  const sharded = await hashes(base.replace('pipeline p {', 'pipeline p {\n  processes = 2  sharding = fsdp'), dir);
  assert.ok(
    sharded.every((h, i) => h !== two[i]),
    'and so is sharding, once there are several ranks',
  );
  const threads = await hashes(base.replace('pipeline p {', 'pipeline p {\n  cpu_threads = 2'), dir);
  assert.deepEqual(threads, h3, 'forward threads change speed, not weights (test_cpu_threads.py), so no hash');
  const file = path.join(dir, 'p.srlm');
  await hashes(base.replace('pipeline p {', 'pipeline p {\n  seed = 9'), dir);
  const v2 = (await compilePlan({ file, workspace: dir, engineVersion: '0.2.0' })).plan.stages.map((s) => s.hash);
  assert.ok(
    v2.every((h, i) => h !== h4[i]),
    'the engine version is part of every hash',
  );
});

test('a file with errors is refused with every diagnostic, positions included', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'bad.srlm');
  fs.writeFileSync(
    file,
    'pipeline p {\n  model m { source = "x" }\n  stage sft s { init = m  data = nope  lr = -1 }\n}\n',
  );
  await assert.rejects(compilePlan({ file, workspace: dir }), (e: unknown) => {
    assert.ok(e instanceof CompileError);
    const errors = e.diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length >= 2, JSON.stringify(errors.map((d) => d.message)));
    assert.ok(errors.some((d) => /nope/.test(d.message) && d.range.start.line === 2));
    assert.match(e.message, /errors? in .*bad\.srlm \(first: .*bad\.srlm:3:\d+: /);
    return true;
  });
  await assert.rejects(
    compilePlan({ file: path.join(dir, 'missing.srlm'), workspace: dir }),
    /cannot read .*missing\.srlm: no such file or folder$/,
  );
});

test("the engine's plan schema is the one generated from the language schema", () => {
  // One declaration per field: blocks.ts. The engine's copy is generated (and checked in CI with --check).
  assert.equal(
    fs.readFileSync(path.join(root, PLAN_SCHEMA_PATH), 'utf8'),
    renderPlanSchemaText(),
    'run: npx tsx server/src/core/schema/planSchema.ts',
  );
});

test("the engine's typed plan is the one generated from the plan schema", () => {
  // The engine's dataclasses (plan_types.py) come from the same declaration; CI also runs planTypes.ts --check.
  assert.equal(
    fs.readFileSync(path.join(root, PLAN_TYPES_PATH), 'utf8'),
    renderPlanTypesText(),
    'run: npx tsx server/src/core/schema/planTypes.ts',
  );
});

test('the engine fills an absent field with the default the compiler writes', { timeout: 60_000 }, async (t) => {
  // A hand-written plan that leaves out every field at its default must mean what the compiled plan says.
  const python = path.join(root, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return t.skip('no .venv python (run scripts/setup-python.sh)');
  const file = path.join(root, 'test', 'fixtures', 'runtime', 'pipelines', 'short-demo.srlm');
  const { plan } = await compilePlan({ file, workspace: root });
  const bare = {
    ...plan,
    stages: plan.stages.map((s) => {
      const spec = blockSpec('stage', s.kind)!;
      const config = Object.fromEntries(
        Object.entries(s.config).filter(([k, v]) => {
          const d = spec.fields.find((f) => f.name === k)?.default;
          return d === undefined || JSON.stringify(d) !== JSON.stringify(v);
        }),
      );
      return { ...s, config };
    }),
  };
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(bare));
  const out = execFileSync(python, ['-m', 'srlm_engine', 'validate', '--plan', path.join(dir, 'plan.json')], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: path.join(root, 'runtime', 'python') },
  });
  const filled = JSON.parse(out) as { stages: { config: Record<string, unknown> }[] };
  plan.stages.forEach((s, i) => {
    for (const [k, v] of Object.entries(s.config)) {
      assert.deepEqual(filled.stages[i]!.config[k], v, `stage ${s.name}: ${k}`);
    }
  });
});

test('dataset sources: hub ids kept, files and folders made absolute and hashed by content, mixes in plan form', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'cot.jsonl'), '{"q":"1+1","c":"2"}\n');
  fs.mkdirSync(path.join(dir, 'data', 'gsm8k', 'main'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data', 'gsm8k', 'main', 'train-00000-of-00001.parquet'), 'PAR1');
  const file = path.join(dir, 'p.srlm');
  const text = `pipeline p {
  model m { source = "Qwen/Qwen2.5-0.5B" }
  dataset hub { source = "openai/gsm8k"  subset = "main"  prompt = "question"  completion = "answer"  answer = "answer" }
  dataset old { path = "cot.jsonl"  prompt = "q"  completion = "c" }
  dataset folder { source = "data/gsm8k"  subset = "main"  prompt = "question"  completion = "answer" }
  dataset val { builtin = arithmetic  split = validation }
  stage sft s { init = m  data = 0.7 * hub + 0.2 * old + 0.1 * folder  steps = 2 }
  eval e { data = val }
}
`;
  fs.writeFileSync(file, text);
  // The shards are stand-ins (not parquet): this test is about the plan, not the environment checks.
  const { plan } = await compilePlan({ file, workspace: dir, fileChecks: false });
  assert.ok(validatePlan(plan), JSON.stringify(validatePlan.errors));
  const ds = plan.datasets;
  assert.equal(ds.hub!.source, 'openai/gsm8k');
  assert.equal(ds.hub!.sha256, null, 'a hub dataset is identified by id, subset, split and revision');
  assert.equal(ds.hub!.revision, 'main');
  assert.equal(ds.old!.source, path.join(dir, 'cot.jsonl'), '`path` compiles to `source`');
  assert.equal(ds.old!.path, undefined);
  assert.match(String(ds.old!.sha256), /^[0-9a-f]{64}$/);
  assert.equal(ds.folder!.source, path.join(dir, 'data', 'gsm8k'), 'a hub-shaped name that exists is a folder');
  assert.match(String(ds.folder!.sha256), /^[0-9a-f]{64}$/);
  assert.equal(ds.val!.split, 'validation');
  assert.deepEqual(plan.stages[0]!.config.data, [
    { dataset: 'hub', weight: 0.7 },
    { dataset: 'old', weight: 0.2 },
    { dataset: 'folder', weight: 0.1 },
  ]);
  const before = plan.stages[0]!.hash;
  fs.writeFileSync(path.join(dir, 'data', 'gsm8k', 'main', 'train-00000-of-00001.parquet'), 'PAR1 changed');
  const after = (await compilePlan({ file, workspace: dir, fileChecks: false })).plan.stages[0]!.hash;
  assert.notEqual(after, before, 'a shard of a mixed-in folder is part of the stage hash');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { compilePlan, CompileError } from '../../runtime/src/plan/compile';
import { blockSpec, fieldsFor } from '../../server/src/core';
import { root, tmpDir } from './helpers';

const planSchema = JSON.parse(fs.readFileSync(path.join(root, 'runtime', 'plan.schema.json'), 'utf8'));
const validatePlan = new Ajv2020({ strict: false }).compile(planSchema);
const examples = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.srlm'))
  .map((f) => path.join(root, 'examples', f));

test('every example compiles to a plan that validates against runtime/plan.schema.json', async () => {
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

/** Field names of an object schema in plan.schema.json, following the stage kind's `config`. */
function schemaFields(def: Record<string, unknown>): Set<string> {
  return new Set(Object.keys((def.properties as Record<string, unknown>) ?? {}));
}

test('plan.schema.json and the language schema declare the same fields', () => {
  const defs = planSchema.$defs as Record<string, Record<string, unknown>>;
  const names = (fields: readonly { name: string }[]) => new Set(fields.map((f) => f.name));
  // Fields only the compiler adds (identity hashes for the stage cache).
  const compilerOnly: Record<string, string[]> = { model: ['config_sha256'], dataset: ['sha256'] };
  const check = (what: string, plan: Set<string>, lang: Set<string>) => {
    const onlyPlan = [...plan].filter((f) => !lang.has(f) && !(compilerOnly[what] ?? []).includes(f));
    const onlyLang = [...lang].filter((f) => !plan.has(f));
    assert.deepEqual({ onlyPlan, onlyLang }, { onlyPlan: [], onlyLang: [] }, what);
  };
  check('settings', schemaFields(planSchema.properties.settings), names(fieldsFor('pipeline')));
  check('model', schemaFields(defs.model!), names(fieldsFor('model')));
  check('dataset', schemaFields(defs.dataset!), names(fieldsFor('dataset')));
  check('eval', schemaFields(defs.eval!), names(fieldsFor('eval')));
  for (const kind of ['sft', 'kd', 'rl']) {
    const config = (defs[`stage_${kind}`]!.properties as Record<string, Record<string, unknown>>).config!;
    const spec = blockSpec('stage', kind)!;
    check(`stage ${kind}`, schemaFields(config), new Set([...names(spec.fields), ...spec.blocks]));
    for (const nested of spec.blocks) {
      const nestedDef = (config.properties as Record<string, Record<string, unknown>>)[nested]!;
      check(`stage ${kind} ${nested}`, schemaFields(nestedDef), names(blockSpec(nested, kind)!.fields));
    }
  }
});

test('plan.schema.json and the language schema give the same defaults', () => {
  // The engine fills absent fields from plan.schema.json's `default`s, the compiler from the language schema's:
  // a hand-written plan and a compiled one must mean the same. `output` is always written (as an absolute path).
  const defs = planSchema.$defs as Record<string, Record<string, unknown>>;
  const mismatches: string[] = [];
  const compare = (what: string, props: unknown, fields: readonly { name: string; default?: unknown }[]) => {
    for (const f of fields) {
      const p = (props as Record<string, Record<string, unknown>> | undefined)?.[f.name];
      if (!p || (what === 'settings' && f.name === 'output')) continue;
      const lang = JSON.stringify(f.default ?? null);
      const plan = JSON.stringify(p.default ?? null);
      if (lang !== plan) mismatches.push(`${what}.${f.name}: language ${lang}, plan.schema.json ${plan}`);
    }
  };
  compare('settings', planSchema.properties.settings.properties, fieldsFor('pipeline'));
  for (const kind of ['model', 'dataset', 'eval'] as const) compare(kind, defs[kind]!.properties, fieldsFor(kind));
  for (const kind of ['sft', 'kd', 'rl']) {
    const config = (defs[`stage_${kind}`]!.properties as Record<string, Record<string, unknown>>).config!;
    const spec = blockSpec('stage', kind)!;
    compare(`stage ${kind}`, config.properties, spec.fields);
    for (const nested of spec.blocks) {
      const nestedDef = (config.properties as Record<string, Record<string, unknown>>)[nested]!;
      compare(`stage ${kind} ${nested}`, nestedDef.properties, blockSpec(nested, kind)!.fields);
    }
  }
  assert.deepEqual(mismatches, []);
});

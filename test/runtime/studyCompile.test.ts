// compileStudy: one ordinary plan per variant of examples/study.srlm, through the plan compiler itself, so a
// stage that variants share has one hash (the stage cache trains it once) and every hash is the one a plain
// compile of the pipeline gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compilePlan, CompileError } from '../../runtime/src/plan/compile';
import { compileStudy } from '../../runtime/src/plan/study';
import type { Plan } from '../../runtime/src/plan/types';
import Ajv2020 from 'ajv/dist/2020';
import { PLAN_SCHEMA_PATH } from '../../server/src/core/schema/planSchema';
import { root, tmpDir } from './helpers';

const validatePlan = new Ajv2020({ strict: false }).compile(
  JSON.parse(fs.readFileSync(path.join(root, PLAN_SCHEMA_PATH), 'utf8')),
);

const example = path.join(root, 'examples', 'study.srlm');

function hashes(plan: Plan | undefined): Record<string, string> {
  assert.ok(plan);
  return Object.fromEntries(plan.stages.map((s) => [s.name, s.hash]));
}

test('examples/study.srlm: one plan per variant; shared stages have one hash, the usual one', async () => {
  const study = await compileStudy({ file: example, workspace: root, fileChecks: false });
  assert.equal(study.study, 'seed');
  assert.deepEqual(
    study.variants.map((v) => [
      v.name,
      v.plan?.stages.map((s) => `${s.name}<-${'stage' in s.init ? s.init.stage : s.init.model}`),
    ]),
    [
      ['untrained', undefined],
      ['sft_only', ['sft_student<-student_init']],
      ['kd_only', ['teacher<-teacher_init', 'kd_student<-student_init']],
      ['direct_rl', ['polish<-student_init']],
      ['sft_rl', ['sft_student<-student_init', 'polish<-sft_student']],
      ['kd_rl', ['teacher<-teacher_init', 'kd_student<-student_init', 'polish<-kd_student']],
      ['rl_kd_reg', ['teacher<-teacher_init', 'polish<-student_init']],
    ],
  );
  const h = Object.fromEntries(study.variants.filter((v) => v.plan).map((v) => [v.name, hashes(v.plan)]));
  // Shared prefixes: trained once.
  assert.equal(h.sft_rl!.sft_student, h.sft_only!.sft_student);
  assert.equal(h.kd_rl!.kd_student, h.kd_only!.kd_student);
  for (const v of ['kd_only', 'kd_rl', 'rl_kd_reg']) assert.equal(h[v]!.teacher, h.kd_only!.teacher);
  // Different parents or settings: different stages.
  const polish = new Set(['direct_rl', 'sft_rl', 'kd_rl', 'rl_kd_reg'].map((v) => h[v]!.polish));
  assert.equal(polish.size, 4);
  // The usual hashes: the pipeline as written compiles its stages to the same ones.
  const plain = hashes((await compilePlan({ file: example, workspace: root, fileChecks: false })).plan);
  for (const s of ['teacher', 'sft_student', 'kd_student']) assert.equal(h.kd_rl![s] ?? h.sft_rl![s], plain[s]);
  assert.equal(h.direct_rl!.polish, plain.polish, 'polish as declared (init = student_init)');
  // Plans are labelled by variant; the settings reach the configs.
  const byName = Object.fromEntries(study.variants.map((v) => [v.name, v]));
  assert.equal(byName.kd_rl!.plan!.pipeline, 'study.kd_rl');
  assert.equal(byName.kd_rl!.plan!.settings!.project, 'study', 'one W&B project / MLflow experiment per study');
  const reg = byName.rl_kd_reg!.plan!.stages.find((s) => s.name === 'polish')!;
  assert.deepEqual(reg.config.kd, { teacher: 'teacher', weight: 0.1, loss: { name: 'reverse_kl' }, temperature: 1 });
  assert.equal(byName.kd_rl!.plan!.stages.find((s) => s.name === 'polish')!.config.kd, null);
  // The untrained baseline is read from the first run that evaluates student_init before training.
  assert.deepEqual(byName.untrained!.baseline, { model: 'student_init', from: 'sft_only' });
  // Every variant's plan is a plan like any other: it validates against the plan schema.
  for (const v of study.variants)
    if (v.plan) assert.ok(validatePlan(v.plan), `${v.name}: ${JSON.stringify(validatePlan.errors)}`);
});

test('a baseline no variant evaluates, an unknown variant and a file without a study are CompileErrors', async () => {
  const dir = tmpDir('srlm-study-');
  const file = path.join(dir, 'p.srlm');
  const pipeline = (study: string) =>
    `pipeline p {\n  model m { source = "x" }\n  model other { source = "y" }\n  dataset d { builtin = arithmetic }\n  stage rl r { init = m  data = d }\n  eval e { data = d }\n${study}}\n`;
  fs.writeFileSync(
    file,
    pipeline('  study s {\n    variant a { stages = [r] }\n    variant base { stages = []  init = other }\n  }\n'),
  );
  await assert.rejects(compileStudy({ file, workspace: dir, fileChecks: false }), (err: unknown) => {
    assert.ok(err instanceof CompileError);
    assert.match(
      err.message,
      /variant base evaluates other before training, but no variant of study s starts its first stage from other/,
    );
    return true;
  });
  await assert.rejects(
    compilePlan({ file, workspace: dir, fileChecks: false, variant: 'nope' }),
    /no variant nope in study s \(variants: a, base\)/,
  );
  fs.writeFileSync(file, pipeline(''));
  await assert.rejects(compileStudy({ file, workspace: dir, fileChecks: false }), /declares no study/);
});

test("an eval that lists stages covers those of the variant's plan (the engine refuses others)", async () => {
  const dir = tmpDir('srlm-study-');
  const file = path.join(dir, 'p.srlm');
  fs.writeFileSync(
    file,
    `pipeline p {\n  model m { source = "x" }\n  dataset d { builtin = arithmetic }\n  stage sft a { init = m  data = d }\n  stage rl r { init = a  data = d }\n  eval e { data = d  stages = [a, r] }\n  eval late { data = d  stages = [r] }\n  study s {\n    variant only_a { stages = [a] }\n    variant both { }\n  }\n}\n`,
  );
  const study = await compileStudy({ file, workspace: dir, fileChecks: false });
  const [onlyA, both] = study.variants.map((v) => v.plan!);
  assert.deepEqual(onlyA!.evals!.e!.stages, ['a']);
  assert.deepEqual(onlyA!.evals!.late!.stages, []);
  assert.deepEqual(onlyA!.stages[0]!.evals, ['e']);
  assert.deepEqual(both!.evals!.e!.stages, ['a', 'r']);
  for (const plan of [onlyA!, both!]) assert.ok(validatePlan(plan), JSON.stringify(validatePlan.errors));
});

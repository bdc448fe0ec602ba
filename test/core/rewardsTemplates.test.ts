// Reward terms with keyword arguments in plan form, the one declaration of the reward call (shared with the
// engine through the generated plan schema), and chat-template fields: model `template` (file or inline) and
// `thinking`, pipeline `system`, compiled into the plan with the template's content in the stage hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, check, REWARD_ARGUMENTS, REWARD_SIGNATURE, rewardSignature } from '../../server/src/core';
import { NodeFileSystemHost } from '../../runtime/src/cli/host/nodeHost';
import { compilePlan } from '../../runtime/src/plan/compile';
import { root, tmpDir } from '../runtime/helpers';

const pipeline = (stage: string, extra = '') =>
  `pipeline p {\n${extra}\nmodel m { source = "Qwen/Qwen2.5-0.5B-Instruct" }\ndataset d { builtin = arithmetic }\n${stage}\n}\n`;

function rewardOf(src: string) {
  const doc = analyze(src);
  const errors = doc.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
  const sym = doc.symbols.find((s) => s.kind === 'stage')!;
  return { errors, reward: doc.configs.get(sym)?.values.reward };
}

test('built-in rewards take keyword arguments, carried in plan form', () => {
  const { errors, reward } = rewardOf(
    pipeline('stage rl r { init = m  data = d  reward = accuracy + 0.2 * format + 0.1 * length_penalty(max = 512) }'),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(reward, [
    { fn: 'accuracy', weight: 1 },
    { fn: 'format', weight: 0.2 },
    { fn: 'length_penalty', weight: 0.1, args: { max: 512 } },
  ]);
});

test('reward arguments are checked against the built-in and written by name', () => {
  const cases: [string, RegExp][] = [
    ['length_penalty(512)', /SRLM023 reward arguments are written by name, e.g. length_penalty\(max = …\)/],
    [
      'length_penalty(maxx = 5)',
      /'length_penalty' has no argument 'maxx': it takes max, cache, cache_fraction \(did you mean 'max'\?\)/,
    ],
    ['length_penalty(max = 0)', /SRLM021 'length_penalty\(max\)' must be ≥ 1, found 0/],
    ['length_penalty(max = 1.5)', /expects an integer/],
    ['format(strict = true)', /the built-in reward 'format' takes no arguments; write 'format'/],
    ['length_penalty(max = 8) + length_penalty(max = 9)', /'length_penalty' appears twice with different arguments/],
    ['length_penalty(max = 64, cache = 128)', /SRLM021 length_penalty: cache \(128\) must not exceed max \(64\)/],
  ];
  for (const [expr, want] of cases) {
    const { errors } = rewardOf(pipeline(`stage rl r { init = m  data = d  reward = ${expr} }`));
    assert.equal(errors.length, 1, `${expr}: ${errors.join('; ')}`);
    assert.match(errors[0]!, want, expr);
  }
});

test('user reward functions take any literal keyword arguments', () => {
  const { errors, reward } = rewardOf(
    pipeline(
      'stage rl r { init = m  data = d  reward_file = "r.py"  reward = 0.5 * brevity(target = 200, unit = "tokens") }',
    ),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(reward, [{ fn: 'brevity', weight: 0.5, args: { target: 200, unit: 'tokens' } }]);
});

test('the reward call is declared once, in the plan schema the engine reads', () => {
  const schema = JSON.parse(
    fs.readFileSync(path.join(root, 'runtime', 'python', 'srlm_engine', 'plan.schema.json'), 'utf8'),
  );
  const decl = schema.$defs.rewardFunction;
  assert.equal(REWARD_SIGNATURE, decl['x-signature']);
  assert.deepEqual(Object.keys(REWARD_ARGUMENTS), ['completions', 'answers', 'prompts']);
  assert.equal(rewardSignature('neat'), 'def neat(completions, answers, prompts, **kwargs) -> list[float]');
});

test('model template (file or inline), thinking and pipeline system reach the plan; the template is hashed', async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'chat.jinja'), "{{ messages[0]['content'] }}");
  const file = path.join(dir, 'p.srlm');
  const write = (model: string) =>
    fs.writeFileSync(
      file,
      `pipeline p {\n  system = "Think step by step."\n  model m { source = "Qwen/Qwen2.5-0.5B-Instruct"  ${model} }\n  dataset d { builtin = arithmetic }\n  stage sft s { init = m  data = d }\n}\n`,
    );
  const compile = async () => (await compilePlan({ file, workspace: dir, fileChecks: false })).plan;

  write('template = "chat.jinja"  thinking = false');
  const fromFile = await compile();
  assert.equal(fromFile.settings?.system, 'Think step by step.');
  assert.equal(fromFile.models.m!.template, "{{ messages[0]['content'] }}");
  assert.equal(fromFile.models.m!.thinking, false);

  write(`template = "{{ messages[0]['content'] }}"  thinking = false`);
  const inline = await compile();
  assert.equal(inline.models.m!.template, "{{ messages[0]['content'] }}");
  assert.equal(inline.stages[0]!.hash, fromFile.stages[0]!.hash, 'same template text, same stage');

  fs.writeFileSync(path.join(dir, 'chat.jinja'), "Q: {{ messages[0]['content'] }}");
  write('template = "chat.jinja"  thinking = false');
  assert.notEqual((await compile()).stages[0]!.hash, fromFile.stages[0]!.hash, 'edited template, new stage');

  write('template = "absent.jinja"');
  await assert.rejects(compile(), /model m: cannot read the template file 'absent\.jinja' \(ENOENT/);
});

test('srlm check and the editor flag a template file that does not exist (inline text is not looked up)', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'p.srlm');
  const src = (template: string) =>
    `pipeline p {\n  model m { source = "Qwen/Qwen2.5-0.5B-Instruct"  template = ${JSON.stringify(template)} }\n  dataset d { builtin = arithmetic }\n  stage sft s { init = m  data = d }\n}\n`;
  const errors = async (template: string) =>
    (await check(src(template), { host: NodeFileSystemHost.forFile(file) })).diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.code} ${d.message}`);
  assert.deepEqual(await errors('chat.jinja'), [
    `SRLM055 template file 'chat.jinja' not found (looked for ${path.join(dir, 'chat.jinja')}); give a .jinja file relative to the .srlm file, or inline template text`,
  ]);
  fs.writeFileSync(path.join(dir, 'chat.jinja'), '{{ messages[0].content }}');
  assert.deepEqual(await errors('chat.jinja'), []);
  assert.deepEqual(await errors('{{ messages[0].content }}'), []);
});

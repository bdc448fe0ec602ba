// Studies in the editor: completion, hover, navigation, highlighting and the outline of `study` and `variant`
// blocks and of a variant's settings blocks (named by stage, with that stage kind's fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  codeLenses,
  completion,
  definition,
  documentSymbols,
  hover,
  references,
  semanticTokens,
} from '../../server/src/ide';
import { env, fixture } from './helpers';

const PIPELINE = `pipeline p {
  model student { source = "./models/student" }
  dataset train { builtin = arithmetic }
  stage kd distill { init = student  teacher = student  data = train }
  stage rl polish { init = student  data = train }
`;

const labels = (src: string, marker = '0'): string[] => {
  const f = fixture(src);
  return completion(f.doc, f.at(marker), env()).map((c) => c.label);
};

test('pipeline body offers a study block; a study offers variants, again and again', () => {
  assert.ok(labels(`${PIPELINE}  $0\n}\n`).includes('study'));
  assert.ok(!labels(`${PIPELINE}  study s { }\n  $0\n}\n`).includes('study'), 'one study per pipeline');
  assert.deepEqual(labels(`${PIPELINE}  study s {\n    variant a { }\n    $0\n  }\n}\n`), ['variant']);
});

test('variant body: its fields, then one settings block per stage not yet changed', () => {
  const l = labels(`${PIPELINE}  study s {\n    variant a {\n      polish { }\n      $0\n    }\n  }\n}\n`);
  assert.deepEqual(l, ['stages', 'init', 'distill']);
  const f = fixture(`${PIPELINE}  study s {\n    variant a {\n      $0\n    }\n  }\n}\n`);
  const settings = completion(f.doc, f.at('0'), env()).find((c) => c.label === 'polish')!;
  assert.equal(settings.detail, 'settings of rl stage polish in this variant');
  assert.equal(settings.insertText, 'polish {\n  $0\n}');
});

test('stages = [ offers the stages only; init offers models and stages', () => {
  assert.deepEqual(labels(`${PIPELINE}  study s {\n    variant a { stages = [distill, $0] }\n  }\n}\n`), [
    'distill',
    'polish',
  ]);
  assert.deepEqual(labels(`${PIPELINE}  study s {\n    variant a { init = $0 }\n  }\n}\n`), [
    'student',
    'distill',
    'polish',
  ]);
});

test("a settings block offers its stage kind's fields (not marked required) and nested blocks", () => {
  const f = fixture(`${PIPELINE}  study s {\n    variant a {\n      polish {\n        $0\n      }\n    }\n  }\n}\n`);
  const items = completion(f.doc, f.at('0'), env());
  const names = items.map((c) => c.label);
  for (const x of ['lr', 'group', 'kl', 'reward', 'lora', 'kd']) assert.ok(names.includes(x), `${x} in ${names}`);
  assert.ok(!names.includes('loss'), 'loss is a kd-stage field, not an rl one');
  assert.ok(!items.find((c) => c.label === 'init')!.detail!.includes('required'));
  assert.ok(labels(`${PIPELINE}  study s {\n    variant a {\n      distill { $0 }\n    }\n  }\n}\n`).includes('loss'));
  // Values too: a kd stage's loss offers the divergences.
  const loss = labels(`${PIPELINE}  study s {\n    variant a {\n      distill { loss = $0 }\n    }\n  }\n}\n`);
  assert.ok(loss.includes('reverse_kl') && loss.includes('forward_kl'), loss.join(' '));
});

test('hover: study and variant keywords, variant fields, settings keys and the stage a settings block names', () => {
  const f = fixture(
    `${PIPELINE}  stu$0dy s {\n    vari$1ant a {\n      sta$2ges = [polish]\n      pol$3ish { l$4r = 1e-5 }\n    }\n  }\n}\n`,
  );
  const md = (k: string) => hover(f.doc, f.at(k), env())?.markdown ?? '';
  assert.match(md('0'), /^\*\*study\*\* block\n\nVariants of this pipeline compared as one study/);
  assert.match(md('1'), /^\*\*variant\*\* block\n\nOne row of the study/);
  assert.match(md('2'), /^\*\*stages\*\* — list of stage names\n\nThe stages this variant trains, in order/);
  assert.match(md('3'), /stage rl polish \{ init = student {2}data = train \}/);
  assert.match(md('4'), /^\*\*lr\*\* — number > 0/);
});

test('navigation: a variant names stages by reference (definition, references)', () => {
  const f = fixture(
    `${PIPELINE}  study s {\n    variant a {\n      stages = [pol$0ish]\n      polish { lr = 1e-5 }\n    }\n  }\n}\n`,
  );
  const def = definition(f.doc, f.at('0'), env());
  assert.ok(def && 'span' in def, 'definition found');
  assert.equal(f.text.slice(def.span.start, def.span.end), 'polish');
  assert.equal(f.text.lastIndexOf('stage rl polish', def.span.start), def.span.start - 'stage rl '.length);
  assert.equal(references(f.doc, f.at('0'), false).length, 2, 'the list entry and the settings block');
});

test('highlighting: a settings block name is a reference, study and variant are keywords; the outline nests them', () => {
  const f = fixture(`${PIPELINE}  study s {\n    variant a { polish { lr = 1e-5 } }\n  }\n}\n`);
  const tokens = semanticTokens(f.doc);
  const at = (word: string, from = 0) => {
    const start = f.text.indexOf(word, from);
    return tokens.find((t) => t.span.start === start)?.type;
  };
  const variantAt = f.text.indexOf('variant');
  assert.equal(at('study'), 'keyword');
  assert.equal(at('variant'), 'keyword');
  assert.equal(at('polish', variantAt), 'variable');
  const pipeline = documentSymbols(f.doc)[0]!;
  const study = pipeline.children.find((c) => c.name === 's')!;
  assert.equal(study.detail, 'study');
  assert.deepEqual(
    study.children.map((c) => [c.name, c.detail]),
    [['a', 'variant']],
  );
});

test('code lenses: a file with a study says Run study (above the pipeline and the study), not Run pipeline', () => {
  const lenses = (src: string) =>
    codeLenses(fixture(src).doc).map((l) => [l.title, src.slice(l.span.start, l.span.end), l.command]);
  const plain = `${PIPELINE}}\n`;
  assert.deepEqual(lenses(plain), [
    ['▶ Run pipeline', 'pipeline p', 'srlm.runPipeline'],
    ['▶ Run from here', 'stage kd distill', 'srlm.runFromStage'],
    ['▶ Run from here', 'stage rl polish', 'srlm.runFromStage'],
  ]);
  const study = `${PIPELINE}  study s {\n    variant a { stages = [polish] }\n    variant b { stages = [distill, polish] }\n  }\n}\n`;
  assert.deepEqual(lenses(study).slice(0, 2), [
    ['▶ Run study s (2 variants)', 'pipeline p', 'srlm.runPipeline'],
    ['▶ Run study s (2 variants)', 'study s', 'srlm.runPipeline'],
  ]);
});

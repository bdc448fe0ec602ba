// Completion on cursor-marker fixtures, including broken files (unclosed braces, missing values).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completion } from '../../server/src/ide';
import { env, fixture } from './helpers';

const labels = (src: string, marker = '0'): string[] => {
  const f = fixture(src);
  return completion(f.doc, f.at(marker), env()).map((c) => c.label);
};

test('top level of an empty file offers the pipeline block', () => {
  assert.deepEqual(labels('$0'), ['pipeline']);
});

test('pipeline body: settings not set, block kinds and one snippet per stage kind', () => {
  const l = labels('pipeline p {\n  seed = 1\n  $0\n}\n');
  assert.ok(!l.includes('seed'));
  for (const x of [
    'output',
    'device',
    'precision',
    'gpu_memory',
    'model',
    'dataset',
    'eval',
    'stage sft',
    'stage kd',
    'stage rl',
  ]) {
    assert.ok(l.includes(x), `${x} missing from ${l.join(',')}`);
  }
});

test('stage snippet offers existing models as init choices', () => {
  const f = fixture('pipeline p {\n  model m { source = "x/y" }\n  $0\n}\n');
  const sft = completion(f.doc, f.at('0'), env()).find((c) => c.label === 'stage sft')!;
  assert.ok(sft.snippet);
  assert.match(sft.insertText!, /init = \$\{2\|m\|\}/);
});

test('in an unclosed stage, fields of that stage kind (rl) are offered', () => {
  const l = labels('pipeline p {\n  stage rl b {\n    group = 8\n    $0');
  assert.ok(l.includes('kl') && l.includes('reward') && l.includes('algorithm'));
  assert.ok(!l.includes('group'));
  assert.ok(!l.includes('epochs'), 'epochs is an sft field');
  assert.ok(l.includes('lora') && l.includes('kd'), 'nested blocks of rl');
});

test('nested lora block fields; a present lora block is not offered again', () => {
  assert.deepEqual(
    labels('pipeline p {\n  stage sft a {\n    lora {\n      rank = 8\n      $0\n    }\n  }\n}').sort(),
    ['alpha', 'dropout', 'targets'],
  );
  assert.ok(!labels('pipeline p {\n  stage sft a {\n    lora { rank = 8 }\n    $0\n  }\n}').includes('lora'));
});

test('value after "=" with nothing typed yet, in a broken file', () => {
  assert.deepEqual(labels('pipeline p {\n  stage rl b {\n    algorithm = $0\n'), ['grpo', 'dr_grpo', 'dapo']);
  assert.deepEqual(labels('pipeline p {\n  stage rl b {\n    loss_agg = d$0\n  }\n}'), [
    'grpo',
    'bnpo',
    'dr_grpo',
    'dapo',
  ]);
});

test('KD loss values include the jsd call snippet; inside the call, its argument', () => {
  const f = fixture('pipeline p {\n  stage kd b {\n    loss = $0\n    x = 1\n  }\n}');
  const items = completion(f.doc, f.at('0'), env());
  assert.deepEqual(
    items.map((i) => i.filterText ?? i.label),
    ['forward_kl', 'reverse_kl', 'jsd'],
  );
  assert.equal(items[2]!.insertText, 'jsd(beta = ${1:0.5})');
  assert.deepEqual(labels('pipeline p {\n  stage kd b {\n    loss = jsd($0)\n  }\n}'), ['beta']);
});

test('eval metrics inside a list; lora targets inside a list', () => {
  assert.deepEqual(labels('pipeline p {\n  eval e {\n    metrics = [accuracy, $0]\n  }\n}'), [
    'accuracy',
    'avg@K',
    'pass@K',
    'maj@K',
  ]);
  assert.ok(labels('pipeline p {\n  stage sft a {\n    lora { targets = [q_proj, $0] }\n  }\n}').includes('v_proj'));
});

test('report_to offers the metric back-ends; tags (free names) offer nothing', () => {
  assert.deepEqual(labels('pipeline p {\n  report_to = [wandb, $0]\n}'), ['tensorboard', 'wandb', 'mlflow']);
  assert.deepEqual(labels('pipeline p {\n  tags = [$0]\n}'), []);
});

test('references filtered by kind; eval stages list offers stages only', () => {
  const src =
    'pipeline p {\n  model m { source = "x/y" }\n  dataset d { path = "data/train.jsonl" }\n  stage sft a { init = m  data = d }\n  eval e { data = d  stages = [$0] }\n}';
  assert.deepEqual(labels(src), ['a']);
});

test('dataset column names come from the file', () => {
  const l = labels('pipeline p {\n  dataset d {\n    path = "data/cot.jsonl"\n    completion = "$0"\n  }\n}');
  assert.deepEqual(l.sort(), ['question', 'solution']);
});

test('model source: local model folders, hub models in the Hugging Face cache, built-in models', () => {
  const inside = labels('pipeline p {\n  model m { source = "$0" }\n}');
  assert.ok(inside.includes('Qwen/Qwen2.5-0.5B-Instruct'), inside.join(','));
  assert.ok(inside.includes('./models/student'));
  assert.ok(inside.includes('builtin:tiny-student') && inside.includes('builtin:tiny-teacher'));
  const path = labels('pipeline p {\n  model m { source = "./models/$0" }\n}');
  assert.deepEqual(path.sort(), ['llama', 'nogen', 'student', 'teacher7b']);
});

test('no completion while naming a block or inside a comment-free value of unknown field', () => {
  assert.deepEqual(labels('pipeline p {\n  model $0\n}'), []);
  assert.deepEqual(labels('pipeline p {\n  bogus = $0\n}'), []);
});

test('nothing is offered inside a comment', () => {
  assert.deepEqual(labels('pipeline p {\n  # set the se$0ed here\n}'), []);
  assert.ok(labels('pipeline p {\n  # comment\n  $0\n}').includes('seed'));
});

test('dataset block: the new fields, with enum values; the source offers data files and folders', () => {
  const l = labels('pipeline p {\n  dataset d {\n    source = "openai/gsm8k"\n    $0\n  }\n}');
  for (const f of ['subset', 'split', 'revision', 'reasoning', 'calculator_notes', 'final_answer', 'holdout', 'part'])
    assert.ok(l.includes(f), `${f} missing from ${l.join(',')}`);
  assert.ok(!l.includes('source') && !l.includes('path'), 'a synonym is not offered beside its field');
  assert.deepEqual(labels('pipeline p {\n  dataset d { calculator_notes = $0 }\n}'), ['keep', 'strip']);
  assert.deepEqual(labels('pipeline p {\n  dataset d { final_answer = $0 }\n}'), ['keep', 'boxed']);
  assert.deepEqual(labels('pipeline p {\n  dataset d { part = $0 }\n}'), ['rest', 'holdout']);
  assert.deepEqual(labels('pipeline p {\n  dataset d { split = $0 }\n}'), ['train', 'validation', 'test']);
  assert.deepEqual(labels('pipeline p {\n  dataset d { split = "v$0" }\n}'), ['train', 'validation', 'test']);
  const files = labels('pipeline p {\n  dataset d { source = "data/$0" }\n}');
  assert.ok(files.includes('cot.jsonl'), files.join(','));
  const body = fixture('pipeline p {\n  $0\n}');
  const block = completion(body.doc, body.at('0'), env()).find((c) => c.label === 'dataset')!;
  assert.match(block.insertText!, /source = "\$\{2\}"/, 'the dataset snippet starts with a source');
});

test('a weighted data mix offers datasets after each weight', () => {
  const src =
    'pipeline p {\n  model m { source = "x/y" }\n  dataset cot { builtin = arithmetic }\n  dataset r1 { builtin = arithmetic }\n' +
    '  stage sft a { init = m  data = 0.7 * cot + 0.3 * $0 }\n}';
  assert.deepEqual(labels(src).sort(), ['cot', 'r1']);
});

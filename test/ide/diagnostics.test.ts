// File-system diagnostics of the IDE layer on the fixture workspace: vocabulary (padding vs real mismatch),
// chat template, the offline hub cache, truncation, memory against the GPU, and the quick fixes they carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeActions, slowDiagnostics } from '../../server/src/ide';
import { compareVocab } from '../../server/src/ide/modelFacts';
import { env, fixture } from './helpers';

const codes = async (src: string, e = env()) => {
  const f = fixture(src);
  const d = await slowDiagnostics(f.doc, e);
  return { f, d };
};

test('vocabulary: Qwen2.5 0.5B vs 7B is padding (warning), Qwen vs Llama is a real mismatch (error)', async () => {
  assert.equal(compareVocab(151936, 152064), 'padding');
  assert.equal(compareVocab(151936, 128256), 'mismatch');
  const padded = await codes(
    'pipeline p {\n  model s { source = "./models/student" }\n  model t { source = "./models/teacher7b" }\n  dataset d { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage kd k { init = s  teacher = t  data = d }\n}\n',
  );
  const w = padded.d.filter((x) => x.code === 'SRLM054');
  assert.equal(w.length, 1, 'the core vocabulary diagnostic is replaced, not duplicated');
  assert.equal(w[0]!.severity, 'warning');
  const bad = await codes(
    'pipeline p {\n  model s { source = "./models/student" }\n  model t { source = "./models/llama" }\n  dataset d { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage rl k {\n    init = s  data = d\n    kd { teacher = t }\n  }\n}\n',
  );
  const e = bad.d.find((x) => x.code === 'SRLM054')!;
  assert.equal(e.severity, 'error');
  assert.equal(bad.f.text.slice(e.span.start, e.span.end), 't');
});

test('hub models: known to the cache are read from it, unknown ones warn that srlm pull fetches them', async () => {
  const { d } = await codes(
    'pipeline p {\n  model a { source = "Qwen/Qwen2.5-0.5B-Instruct" }\n  model b { source = "Qwen/Qwen2.5-7B-Instruct" }\n}\n',
  );
  const notes = d.filter((x) => x.code === 'SRLM053');
  assert.equal(notes.length, 1);
  assert.equal(notes[0]!.severity, 'warning');
  assert.match(
    notes[0]!.message,
    /Qwen2\.5-7B-Instruct.*`srlm run` fetches it before the first stage, and `srlm pull scratch\.srlm` fetches it now/,
  );
});

test('chat template: a tokenizer without one warns for chat_template = true, with a fix', async () => {
  const { f, d } = await codes(
    'pipeline p {\n  model m { source = "./models/llama" }\n  dataset c { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a {\n    init = m\n    data = c\n  }\n}\n',
  );
  const w = d.find((x) => x.code === 'SRLM055');
  assert.ok(w, d.map((x) => x.code).join(','));
  const fixes = codeActions(f.doc, w.span);
  assert.ok(fixes.some((a) => a.edits.some((e) => e.newText.includes('chat_template = false'))));
  const off = await codes(
    'pipeline p {\n  model m { source = "./models/llama" }\n  dataset c { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a {\n    init = m\n    data = c\n    chat_template = false\n  }\n}\n',
  );
  assert.ok(!off.d.some((x) => x.code === 'SRLM055'));
  const own = await codes(
    'pipeline p {\n  model m { source = "./models/llama"  template = "{{ messages[0].content }}" }\n  dataset c { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a {\n    init = m\n    data = c\n  }\n}\n',
  );
  assert.ok(!own.d.some((x) => x.code === 'SRLM055'), "a model's own template replaces the tokenizer's");
});

test('chat template without add_generation_prompt: completion-only loss would train on the header', async () => {
  const src = (model: string) =>
    `pipeline p {\n  model m { source = "./models/${model}" }\n  dataset c { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a { init = m  data = c }\n}\n`;
  const bad = await codes(src('nogen'));
  assert.ok(bad.d.some((x) => x.code === 'SRLM055' && /add_generation_prompt/.test(x.message)));
  const good = await codes(src('student'));
  assert.ok(!good.d.some((x) => x.code === 'SRLM055'));
});

test('max_new_tokens shorter than most reference completions warns', async () => {
  const { f, d } = await codes(
    'pipeline p {\n  model m { source = "./models/student" }\n  dataset l { path = "data/long.jsonl"  prompt = "question"  completion = "solution"  answer = "answer" }\n  stage rl r {\n    init = m\n    data = l\n    max_new_tokens = 128\n  }\n}\n',
  );
  const w = d.find((x) => x.code === 'SRLM058')!;
  assert.ok(w);
  assert.equal(f.text.slice(w.span.start, w.span.end), '128');
});

test('memory: a full fine-tune above gpu_memory warns on the stage with fixes; LoRA on a big card does not', async () => {
  const src = (gpu: number, lora: string) =>
    `pipeline p {\n  gpu_memory = ${gpu}\n  model m { source = "./models/student" }\n  dataset c { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a {\n    init = m\n    data = c\n    batch_size = 4\n    max_len = 1024\n${lora}  }\n}\n`;
  const small = await codes(src(8, ''));
  const w = small.d.find((x) => x.code === 'SRLM059')!;
  assert.ok(w, small.d.map((x) => x.code).join(','));
  assert.match(w.message, /exceeds 8\.0 GiB \(gpu_memory\)/);
  assert.equal(small.f.text.slice(w.span.start, w.span.end), 'a');
  const titles = codeActions(small.f.doc, w.span).map((a) => a.title);
  assert.ok(titles.includes('Enable gradient checkpointing') && titles.some((t) => t.includes('LoRA')));
  const big = await codes(src(80, '    lora { rank = 16 }\n'));
  assert.ok(!big.d.some((x) => x.code === 'SRLM059'));
  assert.ok(!w.message.includes('sharding'), 'one process: sharding would change nothing');
  const replicas = await codes(src(8, '').replace('gpu_memory = 8', 'gpu_memory = 8\n  processes = 4'));
  const r = replicas.d.find((x) => x.code === 'SRLM059')!;
  assert.match(r.message, /per GPU, 4 replicas/);
  assert.match(r.message, /try .*sharding = fsdp/);
});

test('the nvidia-smi value is used when the file sets no gpu_memory', async () => {
  const e = env();
  e.gpu = { name: 'NVIDIA T4', memoryBytes: 15 * 1024 ** 3, count: 1 };
  const { d } = await codes(
    'pipeline p {\n  model m { source = "./models/student" }\n  dataset c { path = "data/long.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a { init = m  data = c  batch_size = 8 }\n}\n',
    e,
  );
  const w = d.find((x) => x.code === 'SRLM059')!;
  assert.match(w.message, /NVIDIA T4, nvidia-smi/);
});

test('dataset problems from the core host checks arrive through the server host', async () => {
  const { d } = await codes('pipeline p {\n  dataset d { path = "data/missing.jsonl" }\n}\n');
  assert.ok(d.some((x) => x.code === 'SRLM050'));
});

test('a cancelled run skips the remaining checks', async () => {
  const f = fixture('pipeline p {\n  dataset d { path = "data/missing.jsonl" }\n}\n');
  const d = await slowDiagnostics(f.doc, env(), () => true);
  assert.deepEqual(d, []);
});

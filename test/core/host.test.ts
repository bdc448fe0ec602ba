// File checks through an in-memory CheckHost: datasets (missing, bad rows, missing columns), model folders
// and config.json (vocabulary mismatch between teacher and student), reward files, and a throwing host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, defaultHostChecks, type CheckHost, type FileStat, type HostCheck } from '../../server/src/core';

class MemoryHost implements CheckHost {
  constructor(readonly files: Record<string, string>) {}
  resolve(p: string): string {
    return p.startsWith('/') ? p : `/w/${p.replace(/^\.\//, '')}`;
  }
  async stat(p: string): Promise<FileStat | undefined> {
    if (p in this.files) return { type: 'file', size: this.files[p].length };
    if (Object.keys(this.files).some((f) => f.startsWith(p.endsWith('/') ? p : p + '/')))
      return { type: 'directory', size: 0 };
    return undefined;
  }
  async readText(p: string, maxBytes: number): Promise<string | undefined> {
    return p in this.files ? this.files[p].slice(0, maxBytes) : undefined;
  }
}

const rows = (...r: object[]) => r.map((x) => JSON.stringify(x)).join('\n') + '\n';

async function codes(src: string, files: Record<string, string>, checks?: HostCheck[]) {
  const { diagnostics } = await check(src, { host: new MemoryHost(files), hostChecks: checks });
  return diagnostics.filter((d) => d.severity !== 'hint').map((d) => `${d.code} ${d.message}`);
}

// Pipelines without a stage get SRLM045; this one keeps the file-check tests about files.
const STAGE = 'dataset gen { builtin = arithmetic }\nstage sft s { init = m  data = gen }';
const pipeline = (body: string) => `pipeline p {\n${body}\n}\n`;

test('dataset sources: hub ids are not looked up, folders are left to the engine, missing local ones are errors', async () => {
  const body = (d: string) =>
    pipeline(
      `dataset d { ${d}  completion = "c" }\nmodel m { source = "Qwen/Qwen2.5-0.5B" }\nstage sft s { init = m  data = d }`,
    );
  assert.deepEqual(await codes(body('source = "openai/gsm8k"  subset = "main"'), {}), []);
  const shards = { '/w/gsm8k/main/train-00000-of-00001.parquet': 'PAR1' };
  assert.deepEqual(await codes(body('source = "gsm8k"  subset = "main"'), shards), [], 'a hub-shaped folder on disk');
  assert.deepEqual(await codes(body('source = "./saved"'), {}), [
    "SRLM050 dataset folder './saved' not found (looked for /w/saved)",
  ]);
  assert.deepEqual(await codes(body('source = "d.parquet"'), { '/w/d.parquet': 'PAR1' }), [], 'parquet is not sampled');
  assert.deepEqual(await codes(body('source = "d.arrow"'), { '/w/d.arrow': 'ARROW1' }), [], 'nor is arrow');
});

test('null and blank values in the sampled rows are errors, as in the engine', async () => {
  const src = pipeline(
    'dataset d { source = "d.jsonl"  answer = "a" }\nmodel m { source = "Qwen/Qwen2.5-0.5B" }\nstage rl s { init = m  data = d }',
  );
  const file = (a: unknown) => ({ '/w/d.jsonl': rows({ prompt: 'x', a: '1' }, { prompt: 'y', a }) });
  assert.deepEqual(await codes(src, file(null)), ["SRLM051 d.jsonl row 2: answer column 'a' is null"]);
  assert.deepEqual(await codes(src, file(' ')), ["SRLM051 d.jsonl row 2: answer column 'a' is empty"]);
  assert.deepEqual(await codes(src, file('2')), []);
});

test('missing dataset file is an error at the path', async () => {
  const src = pipeline(
    'dataset d { path = "data/x.jsonl"  completion = "c" }\nmodel m { source = "Qwen/Qwen2.5-0.5B" }\nstage sft s { init = m  data = d }',
  );
  const out = await codes(src, {});
  assert.equal(out.length, 1);
  assert.match(out[0], /^SRLM050 dataset file 'data\/x.jsonl' not found \(looked for \/w\/data\/x.jsonl\)/);
});

test('invalid JSON lines and missing columns are reported with the columns rows do have', async () => {
  const src = pipeline(
    'dataset d { path = "d.jsonl"  prompt = "question"  completion = "solution" }\nmodel m { source = "Qwen/Qwen2.5-0.5B" }\nstage sft s { init = m  data = d }',
  );
  const out = await codes(src, {
    '/w/d.jsonl': rows({ question: 'q', answer: 'a' }, { question: 'q2', answer: 'b' }) + '{broken\n',
  });
  assert.equal(out.length, 2, out.join('\n'));
  assert.match(out[0], /^SRLM051 d.jsonl line 3: not valid JSON/);
  assert.match(
    out[1],
    /^SRLM052 column 'solution' is not in any of the first 2 rows of d.jsonl; rows have: question, answer/,
  );
});

test('default prompt column is checked unless messages are used; csv headers count as columns', async () => {
  const src = pipeline(
    'dataset a { path = "a.csv"  answer = "gold" }\ndataset b { path = "b.jsonl"  messages = "msgs"  answer = "gold" }\nmodel m { source = "Qwen/Qwen2.5-0.5B" }\neval e { data = a }\neval f { data = b }\n' +
      STAGE,
  );
  const out = await codes(src, {
    '/w/a.csv': 'question,gold\n"what, exactly",4\n',
    '/w/b.jsonl': rows({ msgs: [], gold: '1' }),
  });
  assert.deepEqual(
    out.map((o) => o.slice(0, 7)),
    ['SRLM052'],
  );
  assert.match(out[0], /column 'prompt' is not in any of the first 1 rows of a.csv; rows have: question, gold/);
});

test('local model folders: missing folder, broken config.json, vocabulary mismatch in KD', async () => {
  const src = pipeline(
    [
      'model student { source = "./models/s" }',
      'model teacher { source = "./models/t" }',
      'model gone { source = "./models/none" }',
      'model broken { source = "./models/b" }',
      'model hub { source = "Qwen/Qwen2.5-7B"  weights = random }',
      'dataset d { builtin = arithmetic }',
      'stage kd k { init = student  teacher = teacher  data = d }',
      'stage rl r { init = k  data = d  kd { teacher = teacher } }',
      'stage sft x { init = gone  data = d }',
      'stage sft y { init = broken  data = d }',
      'stage sft z { init = hub  data = d }',
    ].join('\n'),
  );
  const out = await codes(src, {
    '/w/models/s/config.json': JSON.stringify({ vocab_size: 151936 }),
    '/w/models/t/config.json': JSON.stringify({ vocab_size: 152064 }),
    '/w/models/b/config.json': '{ nope',
  });
  assert.deepEqual(out.map((o) => o.slice(0, 7)).sort(), ['SRLM053', 'SRLM053', 'SRLM053', 'SRLM054', 'SRLM054']);
  assert.ok(
    out.some((o) =>
      /teacher vocabulary \(152064 tokens, model 'teacher'\) differs from the student's \(151936, model 'student'\)/.test(
        o,
      ),
    ),
  );
  assert.ok(out.some((o) => /model folder not found: \/w\/models\/none/.test(o)));
  assert.ok(out.some((o) => /config.json is not valid JSON/.test(o)));
  assert.ok(out.some((o) => /weights = random builds the model from a local config.json/.test(o)));
});

test('reward files: missing file, and user functions looked up by def', async () => {
  const base = 'model m { source = "Qwen/Qwen2.5-0.5B" }\ndataset d { builtin = arithmetic }\n';
  const src = pipeline(
    base + 'stage rl r { init = m  data = d  reward = accuracy + 0.5 * brevity + neat  reward_file = "rewards.py" }',
  );
  assert.match((await codes(src, {}))[0], /^SRLM057 reward file 'rewards.py' not found/);
  const out = await codes(src, { '/w/rewards.py': 'import re\n\ndef brevity(completions, **kw):\n    return [0.0]\n' });
  assert.deepEqual(out, [
    "SRLM056 reward function 'neat' is not defined in rewards.py (expected 'def neat(completions, answers, prompts, **kwargs) -> list[float]', called by keyword)",
  ]);
});

test('a check that throws becomes SRLM060 and the others still run', async () => {
  const src = pipeline(
    'dataset d { path = "x.jsonl"  answer = "a" }\nmodel m { source = "Qwen/Qwen2.5-0.5B" }\neval e { data = d }\n' +
      STAGE,
  );
  const boom: HostCheck = async () => {
    throw new Error('disk on fire');
  };
  const out = await codes(src, {}, [boom, ...defaultHostChecks]);
  assert.deepEqual(
    out.map((o) => o.slice(0, 7)),
    ['SRLM060', 'SRLM050'],
  );
  assert.match(out[0], /disk on fire/);
});

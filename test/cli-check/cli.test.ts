// `srlm check` and `srlm fmt` through the CLI entry in-process: exit codes, human output with the source
// line and caret, the JSON shape the issue specifies, and fmt --check / in-place rewriting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../runtime/src/cli/main';
import { workspace } from '../runtime/cliHelpers';

const HUB_CACHE = path.resolve(__dirname, '../fixtures/hubcache');

async function run(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  // The fixture hub cache holds the examples' models and GSM8K; no GPU is asked for (the machine's own would make
  // the memory check depend on where the test runs).
  const code = await main(args, {
    stdout,
    stderr,
    cwd,
    env: { HF_HUB_CACHE: HUB_CACHE, SRLM_DETECT_GPU: '0', ...extraEnv },
  });
  return { code, out, err };
}

const GOOD = `pipeline p {
  model m { source = "Qwen/Qwen2.5-0.5B-Instruct" }
  dataset d { path = "data/d.jsonl"  prompt = "q"  completion = "c" }
  stage sft s { init = m  data = d }
}
`;
const BAD = `pipeline p {
  model m { source = "Qwen/Qwen2.5-0.5B-Instruct" }
  dataset d { path = "data/missing.jsonl"  prompt = "q"  completion = "c" }
  stage sft s {
    init = m
    data = d
    lrr = 1e-5
  }
}
`;

test('check: clean file exits 0 with a summary', async () => {
  const dir = workspace({ 'good.srlm': GOOD, 'data/d.jsonl': '{"q": "1+1?", "c": "2"}\n' });
  const r = await run(['check', 'good.srlm'], dir);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.out, '0 errors, 0 warnings in 1 file\n');
});

test('check: errors exit 1; human output has file:line:col, code, source line and caret', async () => {
  const dir = workspace({ 'bad.srlm': BAD });
  const r = await run(['check', 'bad.srlm'], dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /^bad\.srlm:3:22: error SRLM050: dataset file 'data\/missing\.jsonl' not found/m);
  assert.ok(r.out.includes(' 7 |     lrr = 1e-5\n   |     ^^^\n'), r.out);
  assert.match(r.out, /bad\.srlm:7:5: error SRLM012: unknown field 'lrr' in stage sft s \(did you mean 'lr'\?\)/);
  assert.match(r.out, /2 errors, 0 warnings in 1 file\n$/);
});

test('check --format json: an array of {file, range, severity, code, message}', async () => {
  const dir = workspace({ 'bad.srlm': BAD, 'good.srlm': GOOD, 'data/d.jsonl': '{"q": "x", "c": "y"}\n' });
  for (const flags of [['--format', 'json'], ['--format=json'], ['--json']]) {
    const r = await run(['check', ...flags, 'good.srlm', 'bad.srlm'], dir);
    assert.equal(r.code, 1);
    const arr = JSON.parse(r.out) as Record<string, unknown>[];
    assert.deepEqual(arr[1], {
      file: 'bad.srlm',
      range: { start: { line: 6, character: 4 }, end: { line: 6, character: 7 } },
      severity: 'error',
      code: 'SRLM012',
      message: "unknown field 'lrr' in stage sft s (did you mean 'lr'?)",
    });
    for (const d of arr) assert.deepEqual(Object.keys(d), ['file', 'range', 'severity', 'code', 'message']);
  }
});

test('check --no-files skips the file system', async () => {
  const dir = workspace({ 'bad.srlm': BAD });
  const r = await run(['check', '--no-files', '--json', 'bad.srlm'], dir);
  assert.deepEqual(
    (JSON.parse(r.out) as { code: string }[]).map((d) => d.code),
    ['SRLM012'],
  );
});

test('bad usage exits 2', async () => {
  const dir = workspace({});
  assert.equal((await run(['check'], dir)).code, 2);
  assert.equal((await run(['check', '--format', 'xml', 'a.srlm'], dir)).code, 2);
  assert.equal((await run(['check', '--bogus', 'a.srlm'], dir)).code, 2);
  const missing = await run(['check', 'nope.srlm'], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^srlm check: cannot read nope\.srlm: no such file or folder\n$/);
  assert.equal((await run(['fmt'], dir)).code, 2);
});

test('fmt --check lists unformatted files; fmt rewrites them; syntax errors exit 1', async () => {
  const dir = workspace({
    'a.srlm': 'pipeline p{seed=1}\n',
    'b.srlm': 'pipeline p { seed = 1 }\n',
    'c.srlm': 'pipeline p {\n',
  });
  const check = await run(['fmt', '--check', 'a.srlm', 'b.srlm'], dir);
  assert.equal(check.code, 1);
  assert.equal(check.out, 'a.srlm: not formatted\n');
  assert.equal(readFileSync(path.join(dir, 'a.srlm'), 'utf8'), 'pipeline p{seed=1}\n', '--check changes nothing');
  const fix = await run(['fmt', 'a.srlm', 'b.srlm'], dir);
  assert.equal(fix.code, 0);
  assert.equal(fix.out, 'formatted a.srlm\n');
  assert.equal(readFileSync(path.join(dir, 'a.srlm'), 'utf8'), 'pipeline p { seed = 1 }\n');
  assert.equal((await run(['fmt', '--check', 'a.srlm'], dir)).code, 0);
  const broken = await run(['fmt', 'c.srlm'], dir);
  assert.equal(broken.code, 1);
  assert.match(broken.err, /c\.srlm: not formatted: line 1, column 13: expected '}'/);
});

test('the examples check clean through the CLI', async () => {
  const root = path.resolve(__dirname, '..', '..');
  const r = await run(['check', 'examples/sft.srlm', 'examples/rl_kd_reg.srlm', 'examples/demo.srlm'], root);
  assert.equal(r.code, 0, r.out);
});

test('check --estimate prints each stage the memory, parameters and time the editor shows', async () => {
  const root = path.resolve(__dirname, '../..');
  const r = await run(['check', '--estimate', 'examples/sft_rl.srlm'], root);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^examples\/sft_rl\.srlm: estimates \(docs\/memory-estimator\.md\)$/m);
  assert.match(
    r.out,
    /^ {2}grpo \(rl\): peak GPU memory \d+\.\d GiB in train, 494\.0M parameters \(494\.0M trained\), about .+ for 300 steps on an assumed A100$/m,
  );
  assert.match(r.out, /^ {2}warmup \(sft\): peak GPU memory .* \(2\.2M trained\)/m);
});

test('check: SRLM_GPU_MEMORY_GIB is the memory the estimate is held to when no GPU is detected', async () => {
  const root = path.resolve(__dirname, '../..');
  const r = await run(['check', 'examples/sft_rl.srlm'], root, { SRLM_GPU_MEMORY_GIB: '8' });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /warning SRLM059: estimated peak GPU memory \d+\.\d GiB \(train\) exceeds 8\.0 GiB \(setting\)/);
  assert.match(r.out, /0 errors, 1 warning in 1 file\n$/);
});

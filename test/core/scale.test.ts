// The checker's cost grows with the file, not with its square: generated pipelines of tens of thousands of
// stages (chains, loops, unknown names) check in bounded time with bounded output. The limits are generous
// (a loaded CI machine); before the fixes these inputs took 40 s to several minutes. Timings: docs/BENCHMARKS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, check, type CheckHost } from '../../server/src/core';

/** Every path is a small JSONL file with the columns the stages need. */
const host: CheckHost = {
  resolve: (p) => `/w/${p}`,
  stat: async () => ({ type: 'file', size: 40 }),
  readText: async () => '{"q": "1+1", "c": "2", "a": "2"}\n',
};

function pipeline(stages: number, stage: (i: number) => string): string {
  const lines = [
    'pipeline p {',
    '  model m { source = "Qwen/Qwen2.5-0.5B" }',
    '  model t { source = "Qwen/Qwen2.5-0.5B" }',
    '  dataset d { path = "d.jsonl"  prompt = "q"  completion = "c"  answer = "a" }',
  ];
  for (let i = 0; i < stages; i++) lines.push(stage(i));
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** CPU milliseconds (user + system) of `f`: fairer than wall time on a shared machine. */
async function cpuMs<T>(f: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const c0 = process.cpuUsage();
  const result = await f();
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, result };
}

test('a 20,000-stage chain with file checks is linear (was 42 s: the base model was walked per stage)', async () => {
  const text = pipeline(20_000, (i) => `  stage kd s${i} { init = ${i ? `s${i - 1}` : 'm'}  teacher = t  data = d }`);
  const { ms, result } = await cpuMs(() => check(text, { host }));
  assert.deepEqual(
    result.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.ok(ms < 8000, `took ${ms.toFixed(0)} ms CPU`);
});

test('a 4,000-stage loop is one bounded SRLM034, not 4,000 messages of 30 KB each', async () => {
  const n = 4000;
  const text = pipeline(n, (i) => `  stage sft s${i} { init = s${(i + 1) % n}  data = d }`);
  const { ms, result } = await cpuMs(() => analyze(text));
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => d.code),
    ['SRLM034'],
  );
  assert.match(errors[0].message, /^4000 stages form a cycle: s0 → s1 → s2 → s3 → s4 → … → s3999 → s0$/);
  assert.ok((errors[0].related ?? []).length <= 6);
  assert.ok(JSON.stringify(result.diagnostics).length < 4096);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms CPU`);
});

test('loops closing over one long chain are found in linear time, each component once', async () => {
  // s0 ← s1 ← … and every kd stage also learns from the last one: 10,000 back edges into a 10,000-deep path,
  // each of which used to copy the path.
  const n = 10_000;
  const text = pipeline(
    n,
    (i) => `  stage kd s${i} { init = ${i ? `s${i - 1}` : 'm'}  teacher = s${n - 1}  data = d }`,
  );
  const { ms, result } = await cpuMs(() => analyze(text));
  const cycles = result.diagnostics.filter((d) => d.code === 'SRLM034');
  assert.equal(cycles.length, 1);
  assert.match(cycles[0].message, /^10000 stages form a cycle: s0 → s9999 → s9998 → s9997 → s9996 → … → s1 → s0$/);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms CPU`);
});

test('20,000 references to unknown names: each reported, "did you mean" within a budget', async () => {
  const text = pipeline(20_000, (i) => `  stage sft s${i} { init = z${i}  data = d }`);
  const { ms, result } = await cpuMs(() => analyze(text));
  const unknown = result.diagnostics.filter((d) => d.code === 'SRLM030');
  // Capped per file (MAX_DIAGNOSTICS); the first ones still carry a suggestion.
  assert.ok(unknown.length > 900);
  assert.match(unknown[0].message, /^no model or stage named 'z0' \(did you mean 's0'\?\)$/);
  assert.ok(ms < 8000, `took ${ms.toFixed(0)} ms CPU`);
});

test('required references missing in 20,000 stages get their placeholder fix in linear time', async () => {
  const text = pipeline(20_000, (i) => `  stage sft s${i} { data = d }`).replace(/ {2}model [mt] .*\n/g, '');
  const { ms, result } = await cpuMs(() => analyze(text));
  const missing = result.diagnostics.filter((d) => d.code === 'SRLM015');
  assert.ok(missing.length > 0);
  // No model: the second stage's fix names the first stage.
  assert.equal(missing[1].fixes?.[0].edits[0].newText, ' init = s0');
  assert.equal(missing[0].fixes, undefined);
  assert.ok(ms < 8000, `took ${ms.toFixed(0)} ms CPU`);
});

test('messages quoting a huge name are cut, so output stays bounded', () => {
  const name = 'n'.repeat(200_000);
  const fields = Array.from({ length: 200 }, (_, i) => `bogus${i} = 1`).join('  ');
  const doc = analyze(pipeline(1, () => `  stage sft ${name} { init = m  data = d  ${fields} }`));
  const unknown = doc.diagnostics.filter((d) => d.code === 'SRLM012');
  assert.equal(unknown.length, 200);
  for (const d of unknown) assert.ok(d.message.length <= 1000 && d.message.endsWith('…'), String(d.message.length));
});

test('file checks are bounded too: 5,000 missing dataset files give 1,000 diagnostics and one note', async () => {
  const missing: CheckHost = {
    resolve: (p) => `/w/${p}`,
    stat: async () => undefined,
    readText: async () => undefined,
  };
  const lines = ['pipeline p {', '  model m { source = "Qwen/Qwen2.5-0.5B" }'];
  for (let i = 0; i < 5000; i++)
    lines.push(
      `  dataset d${i} { path = "d${i}.jsonl"  prompt = "q"  completion = "c" }`,
      `  stage sft s${i} { init = m  data = d${i} }`,
    );
  const { diagnostics } = await check(lines.join('\n') + '\n}\n', { host: missing });
  assert.equal(diagnostics.length, 1001);
  assert.equal(diagnostics.filter((d) => d.code === 'SRLM050').length, 1000);
  assert.deepEqual(diagnostics.at(-1)?.code, 'SRLM007');
  assert.equal(diagnostics.at(-1)?.message, '4000 more diagnostics not shown');
});

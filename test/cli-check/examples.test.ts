// Every pipeline in examples/ checks clean through `srlm check` — the full environment checks the editor runs too.
// The environment is fixed so the verdict does not depend on the machine: a fixture hub cache holding what the
// examples name (the Qwen2.5 models' real config.json values, GSM8K laid out as the hub lays it out) and no GPU
// detection. Without the cache the only findings are the warnings that `srlm pull FILE` fetches what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../runtime/src/cli/main';
import type { JsonDiagnostic } from '../../runtime/src/cli/commands/check';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLES = readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.srlm'))
  .map((f) => `examples/${f}`);

async function checkJson(files: string[], hubCache: string): Promise<JsonDiagnostic[]> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  await main(['check', '--json', ...files], {
    stdout,
    stderr: new PassThrough(),
    cwd: ROOT,
    env: { HF_HUB_CACHE: hubCache, SRLM_DETECT_GPU: '0' },
  });
  return JSON.parse(out) as JsonDiagnostic[];
}

const show = (ds: JsonDiagnostic[]) => ds.map((d) => `${d.file}:${d.range.start.line + 1}: ${d.code} ${d.message}`);

test('the seed pipelines ship as examples', () => {
  for (const f of ['gsm8k-grpo', 'gsm8k-sft-grpo', 'gsm8k-lora-kd-grpo'])
    assert.ok(EXAMPLES.includes(`examples/${f}.srlm`), `examples/${f}.srlm missing`);
});

test('every example checks clean (no errors, no warnings) with its models and data in the hub cache', async () => {
  const found = await checkJson(EXAMPLES, path.join(ROOT, 'test/fixtures/hubcache'));
  assert.deepEqual(show(found.filter((d) => d.severity === 'error' || d.severity === 'warning')), []);
});

test('with an empty hub cache the examples only warn that srlm pull fetches the hub models and datasets', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'srlm-empty-hub-'));
  const found = await checkJson(EXAMPLES, empty);
  assert.deepEqual(show(found.filter((d) => d.severity === 'error')), []);
  const warnings = found.filter((d) => d.severity === 'warning');
  for (const w of warnings) {
    assert.ok(['SRLM053', 'SRLM062'].includes(w.code), show([w])[0]);
    assert.ok(w.message.includes(`\`srlm pull ${path.basename(w.file)}\` fetches it`), w.message);
  }
  // GSM8K in each seed pipeline, and the student model.
  const pulls = (file: string, code: string) => warnings.filter((w) => w.file === file && w.code === code).length;
  assert.equal(pulls('examples/gsm8k-grpo.srlm', 'SRLM062'), 3);
  assert.equal(pulls('examples/gsm8k-grpo.srlm', 'SRLM053'), 1);
  assert.equal(pulls('examples/gsm8k-lora-kd-grpo.srlm', 'SRLM053'), 2);
});

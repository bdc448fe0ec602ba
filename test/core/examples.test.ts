// Every example pipeline checks clean — text checks and file checks through the CLI's real file-system host
// (sample data under examples/data, hub ids unchecked) — with no warnings either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { check } from '../../server/src/core';
import { NodeFileSystemHost } from '../../runtime/src/cli/host/nodeHost';
import { exampleFiles } from './helpers';

const required = ['sft', 'lora_sft', 'kd', 'rl', 'sft_rl', 'kd_rl', 'sft_kd_mix_rl', 'rl_kd_reg', 'demo'];

test('the study recipes and the demo exist', () => {
  const names = exampleFiles().map((f) => path.basename(f, '.srlm'));
  for (const r of required) assert.ok(names.includes(r), `examples/${r}.srlm missing`);
});

for (const file of exampleFiles()) {
  test(`example checks clean: ${path.basename(file)}`, async () => {
    const { document, diagnostics } = await check(readFileSync(file, 'utf8'), {
      host: NodeFileSystemHost.forFile(file),
    });
    const shown = diagnostics.filter((d) => d.severity !== 'hint');
    assert.deepEqual(
      shown.map((d) => `${d.range.start.line + 1}: ${d.code} ${d.message}`),
      [],
    );
    assert.ok(
      document.symbols.some((s) => s.kind === 'stage'),
      'has stages',
    );
  });
}

test('recipes use the stage kinds their names promise', () => {
  const kinds = (name: string) => {
    const text = readFileSync(path.join(__dirname, '..', '..', 'examples', `${name}.srlm`), 'utf8');
    return [...text.matchAll(/^\s*stage (\w+) /gm)].map((m) => m[1]);
  };
  assert.deepEqual(kinds('sft'), ['sft']);
  assert.deepEqual(kinds('kd'), ['kd']);
  assert.deepEqual(kinds('rl'), ['rl']);
  assert.deepEqual(kinds('sft_rl'), ['sft', 'rl']);
  assert.deepEqual(kinds('kd_rl'), ['kd', 'rl']);
  assert.deepEqual(kinds('sft_kd_mix_rl'), ['kd', 'rl']);
  assert.deepEqual(kinds('rl_kd_reg'), ['rl']);
});

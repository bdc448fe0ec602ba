// `source = "builtin:NAME"` names the model folders shipped in the engine package: the checker accepts the known
// names (no folder lookup, no repository path), rejects unknown ones and weightful use, and the plan compiler
// keeps the source as written for the engine to resolve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { check } from '../../server/src/core';
import { NodeFileSystemHost } from '../../runtime/src/cli/host/nodeHost';
import { compilePlan } from '../../runtime/src/plan/compile';

const dir = mkdtempSync(path.join(tmpdir(), 'srlm-builtin-'));
const pipeline = (model: string) =>
  `pipeline p {\n  model m { ${model} }\n  dataset d { builtin = arithmetic }\n  stage sft s { init = m  data = d  steps = 1 }\n}\n`;

async function problems(model: string): Promise<string[]> {
  const { diagnostics } = await check(pipeline(model), { host: NodeFileSystemHost.forFile(path.join(dir, 'p.srlm')) });
  return diagnostics.filter((d) => d.severity !== 'hint').map((d) => `${d.code} ${d.message}`);
}

test('a known built-in model with random weights checks clean from any folder', async () => {
  assert.deepEqual(await problems('source = "builtin:tiny-student"  weights = random'), []);
  assert.deepEqual(await problems('source = "builtin:tiny-teacher"  weights = random'), []);
});

test('an unknown built-in name lists the known ones', async () => {
  const out = await problems('source = "builtin:tiny-giant"  weights = random');
  assert.equal(out.length, 1, out.join('\n'));
  assert.match(
    out[0],
    /builtin:tiny-giant: no such built-in model; expected one of builtin:tiny-teacher, builtin:tiny-student/,
  );
});

test('a built-in model without weights = random is an error (the folders carry no weights)', async () => {
  const out = await problems('source = "builtin:tiny-student"');
  assert.equal(out.length, 1, out.join('\n'));
  assert.match(out[0], /built-in models have no weights; set weights = random/);
});

test('the compiled plan keeps the builtin source for the engine to resolve', async () => {
  const file = path.join(dir, 'p.srlm');
  writeFileSync(file, pipeline('source = "builtin:tiny-student"  weights = random'));
  const { plan } = await compilePlan({ file, workspace: dir });
  assert.equal(plan.models.m.source, 'builtin:tiny-student');
  assert.equal(plan.models.m.config_sha256, null);
});

// The templates "SRLM: New Pipeline" offers are built from examples/ (scripts/build-templates.mjs) and must work
// in a folder with no repository around it: the demo's models become builtin: sources, the GSM8K templates carry
// their sample data, and every template checks clean and compiles where it is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { check } from '../../server/src/core';
import { NodeFileSystemHost } from '../../runtime/src/cli/host/nodeHost';
import { compilePlan } from '../../runtime/src/plan/compile';
import { freeName, instantiateTemplate, readTemplates } from '../../client/src/templates';

const root = path.resolve(__dirname, '..', '..');
const out = mkdtempSync(path.join(tmpdir(), 'srlm-templates-'));
execFileSync(process.execPath, [path.join(root, 'scripts', 'build-templates.mjs'), out]);
const templates = readTemplates(out);

test('the demo and the seed study pipelines are templates, and every examples/gsm8k-*.srlm is one', () => {
  const ids = templates.map((t) => t.id);
  assert.equal(ids[0], 'demo');
  for (const id of ['rl', 'sft_rl', 'kd_rl']) assert.ok(ids.includes(id), id);
  const gsm8k = readdirSync(path.join(root, 'examples')).filter((f) => /^gsm8k-.*\.srlm$/.test(f));
  for (const f of gsm8k) assert.ok(ids.includes(f.replace(/\.srlm$/, '')), f);
  for (const t of templates) assert.ok(t.description.length > 10, `${t.id} has a description`);
});

test('the demo template is examples/demo.srlm with builtin: model sources', () => {
  const example = readFileSync(path.join(root, 'examples', 'demo.srlm'), 'utf8');
  const template = readFileSync(path.join(out, 'demo.srlm'), 'utf8');
  assert.doesNotMatch(template, /srlm_engine\/assets/);
  assert.match(template, /source = "builtin:tiny-student"/);
  assert.equal(
    template,
    example.replace(/"[^"]*srlm_engine\/assets\/models\/([a-z-]+)"/g, '"builtin:$1"'),
    'only the sources differ',
  );
});

test('every template checks clean and compiles in an empty folder outside the repository', async () => {
  for (const t of templates) {
    const folder = mkdtempSync(path.join(tmpdir(), `srlm-new-${t.id}-`));
    const made = instantiateTemplate(out, t, folder);
    assert.deepEqual(made.copied, [...t.files]);
    const { diagnostics } = await check(readFileSync(made.file, 'utf8'), {
      host: NodeFileSystemHost.forFile(made.file),
    });
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
    assert.deepEqual(errors, [], `${t.id}: ${errors.join('\n')}`);
    const { plan } = await compilePlan({ file: made.file, workspace: folder });
    for (const m of Object.values(plan.models)) assert.doesNotMatch(String(m.source), /srlm_engine/);
  }
});

test('a new pipeline never replaces a file and keeps data the folder already has', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'srlm-new-twice-'));
  const rl = templates.find((t) => t.id === 'rl')!;
  const first = instantiateTemplate(out, rl, folder);
  writeFileSync(path.join(folder, 'data', 'gsm8k_train.jsonl'), '{"question": "mine", "answer": "1"}\n');
  const second = instantiateTemplate(out, rl, folder);
  assert.equal(path.basename(first.file), 'rl.srlm');
  assert.equal(path.basename(second.file), 'rl-2.srlm');
  assert.deepEqual(second.copied, []);
  assert.match(readFileSync(path.join(folder, 'data', 'gsm8k_train.jsonl'), 'utf8'), /mine/);
  assert.equal(freeName(folder, 'rl.srlm'), 'rl-3.srlm');
});

// The public API the language server and the plan compiler build on: positions, cursor context in broken
// files, symbols and references, fixes that apply cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, cursorContext, LineIndex, tokenAtOffset, type Diagnostic } from '../../server/src/core';

function applyFix(text: string, d: Diagnostic): string {
  const edits = [...(d.fixes?.[0]?.edits ?? [])].sort((a, b) => b.span.start - a.span.start);
  for (const e of edits) text = text.slice(0, e.span.start) + e.newText + text.slice(e.span.end);
  return text;
}

test('LineIndex maps offsets and positions both ways, CRLF and lone CR included', () => {
  const idx = new LineIndex('ab\r\ncd\ref\n');
  assert.deepEqual(idx.positionAt(0), { line: 0, character: 0 });
  assert.deepEqual(idx.positionAt(4), { line: 1, character: 0 });
  assert.deepEqual(idx.positionAt(7), { line: 2, character: 0 });
  assert.equal(idx.offsetAt({ line: 1, character: 1 }), 5);
  assert.equal(idx.offsetAt({ line: 0, character: 99 }), 2, 'clamped to the line end');
  assert.equal(idx.lineText(2), 'ef');
  assert.equal(idx.lineCount, 4);
});

test('symbols and references carry exact ranges and targets', () => {
  const text =
    'pipeline p {\n  model m { source = "x" }\n  dataset d { builtin = arithmetic }\n  stage sft s { init = m  data = d }\n}\n';
  const doc = analyze(text);
  assert.deepEqual(
    doc.symbols.map((s) => `${s.kind}:${s.name}@${text.slice(s.nameSpan.start, s.nameSpan.end)}`),
    ['model:m@m', 'dataset:d@d', 'stage:s@s'],
  );
  const refs = doc.references.map(
    (r) => `${r.field}->${r.target?.kind}:${r.name}@${doc.lineIndex.positionAt(r.span.start).line}`,
  );
  assert.deepEqual(refs, ['init->model:m@3', 'data->dataset:d@3']);
  assert.equal(doc.symbols[2].stageKind, 'sft');
});

test('cursor context: key position, value position, broken line, nested block', () => {
  const text = 'pipeline p {\n  stage rl r {\n    init = \n    lo\n    lora {\n      ra\n    }\n  }\n}\n';
  const doc = analyze(text);
  const after = (s: string, extra = 0) => text.indexOf(s) + s.length + extra;
  const v = cursorContext(doc, after('init = '));
  assert.equal(v.position, 'value');
  assert.equal(v.field?.name, 'init');
  const k = cursorContext(doc, after('    lo'));
  assert.equal(k.position, 'key');
  assert.equal(k.spec?.kind, 'stage');
  assert.ok(
    k.spec?.fields.some((f) => f.name === 'group'),
    'rl fields offered',
  );
  const nested = cursorContext(doc, after('      ra'));
  assert.equal(nested.spec?.kind, 'lora');
  assert.deepEqual(
    nested.blocks.map((b) => b.kind),
    ['pipeline', 'stage', 'lora'],
  );
  assert.equal(cursorContext(doc, 0).position, 'top');
});

test('tokenAtOffset prefers the name the cursor ends', () => {
  const text = 'pipeline p { seed = 1 }';
  const doc = analyze(text);
  const t = tokenAtOffset(doc.tree, text.indexOf('seed') + 4);
  assert.equal(t && text.slice(t.start, t.end), 'seed');
});

test('quick fixes produce files that check clean', () => {
  const cases: [string, string][] = [
    [
      'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic } stage sft s { init = m  data = d  learning_rate = 1e-5 } }',
      'SRLM013',
    ],
    [
      'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic } stage sft s { init = m  data = d  epoch = 2 } }',
      'SRLM012',
    ],
    [
      'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic } stage sft s { init = mm  data = d } }',
      'SRLM030',
    ],
    ['pipeline p { model m { source = "x" } dataset d { builtin = arithmetic } stage sft s { data = d } }', 'SRLM015'],
    [
      'pipeline p { model m { source = "x" dtype = bf61 } dataset d { builtin = arithmetic } stage sft s { init = m data = d } }',
      'SRLM022',
    ],
    [
      'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic } stage rl s { init = m  data = d  batch_size = 48 } }',
      'SRLM040',
    ],
    [
      'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic } stage sft s { init = m  data = d  max_len = "512" } }',
      'SRLM020',
    ],
    [
      'pipeline p { processes = 4  model m { source = "x" } dataset d { builtin = arithmetic } stage rl s { init = m  data = d  prompts_per_step = 6 } }',
      'SRLM040',
    ],
    [
      'pipeline p { processes = 3  model m { source = "x" } dataset d { builtin = arithmetic } stage rl s { init = m  data = d } }',
      'SRLM040',
    ],
    [
      'pipeline p { processes = 2  model m { source = "x" } dataset d { builtin = arithmetic } stage rl s { init = m  data = d  prompts_per_step = 16  group = 8  batch_size = 48 } }',
      'SRLM040',
    ],
    ['pipeline p { model m { source = "x } }', 'SRLM002'],
  ];
  for (const [text, code] of cases) {
    const d = analyze(text).diagnostics.find((x) => x.code === code);
    assert.ok(d?.fixes?.length, `${code} offers a fix`);
    const fixed = applyFix(text, d);
    const left = analyze(fixed).diagnostics.filter((x) => x.severity === 'error' || x.severity === 'warning');
    if (code === 'SRLM002') assert.ok(!left.some((x) => x.code === 'SRLM002'), fixed);
    else
      assert.deepEqual(
        left.map((x) => `${x.code} ${x.message}`),
        [],
        fixed,
      );
  }
});

test('diagnostics carry related locations for duplicates and batch arithmetic', () => {
  const text =
    'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic }\n stage rl r { init = m  data = d  group = 4  prompts_per_step = 3  batch_size = 5 seed = 1 seed = 2 } }';
  const doc = analyze(text);
  const batch = doc.diagnostics.find((d) => d.code === 'SRLM040');
  assert.equal(batch?.related?.length, 2);
  assert.equal(batch?.fixes?.[0].edits[0].newText, '4');
  assert.ok(doc.diagnostics.some((d) => d.code === 'SRLM012' && d.message.includes("'seed'")));
});

test('rank rules: per-rank batch arithmetic and fsdp refusals point at the pipeline settings', () => {
  const text =
    'pipeline p {\n processes = 2  sharding = fsdp  precision = fp16\n model m { source = "x" } dataset d { builtin = arithmetic }\n' +
    ' stage rl r { init = m  data = d  prompts_per_step = 16  group = 8  batch_size = 48  lora { rank = 4 } }\n' +
    ' stage rl q { init = m  data = d  prompts_per_step = 5 } }';
  const doc = analyze(text);
  const at = (d: Diagnostic | undefined) =>
    d &&
    d.range.start.line +
      ':' +
      text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character);
  const relatedText = (d: Diagnostic | undefined) =>
    d?.related?.map((r) => text.split('\n')[r.range.start.line].slice(r.range.start.character, r.range.end.character));
  const batch = doc.diagnostics.find((d) => d.code === 'SRLM040' && d.message.startsWith('batch_size'));
  assert.equal(
    batch?.message,
    "batch_size 48 must divide each rank's prompts_per_step / processes × group = 16 / 2 × 8 = 64 sequences",
  );
  assert.deepEqual(relatedText(batch), ['16', '8', '2']);
  assert.equal(batch?.fixes?.[0].edits[0].newText, '32');
  const prompts = doc.diagnostics.find((d) => d.code === 'SRLM040' && d.message.startsWith('prompts_per_step'));
  assert.equal(at(prompts), '4:5');
  assert.deepEqual(relatedText(prompts), ['2']);
  assert.deepEqual(
    prompts?.fixes?.map((f) => [f.title, f.preferred]),
    [['Change to 4', true]],
  );
  const incompatible = doc.diagnostics.filter((d) => d.code === 'SRLM041');
  assert.deepEqual(incompatible.map(at), ['1:fp16', '3:lora']);
  assert.deepEqual(incompatible.map(relatedText), [['fsdp'], ['fsdp']]);
});

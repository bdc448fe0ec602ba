// Formatter: golden input/output pairs, idempotence on every example and fixture, comments kept, and the
// meaning of the file unchanged (same checked block values before and after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyze, format, forEachToken, parse, SyntaxKind } from '../../server/src/core';
import { assertGolden, exampleFiles, fixtures, srlmFiles } from './helpers';

function comments(text: string): string[] {
  const out: string[] = [];
  const { tree } = parse(text);
  forEachToken(tree, (t) => {
    if (t.kind === SyntaxKind.Comment) out.push(text.slice(t.start, t.end).trimEnd());
  });
  return out;
}

function semantics(text: string): string {
  const doc = analyze(text);
  const blocks = [...doc.configs].map(([s, c]) => [
    s.name,
    s.kind,
    s.stageKind,
    c.values,
    [...c.nested].map(([k, n]) => [k, n.values]),
  ]);
  return JSON.stringify({ blocks, codes: doc.diagnostics.map((d) => d.code) });
}

for (const file of srlmFiles(path.join(fixtures, 'format')).filter((f) => !f.endsWith('.out.srlm'))) {
  test(`format golden: ${path.basename(file)}`, () => {
    const r = format(readFileSync(file, 'utf8'));
    assert.ok(r.text !== undefined, r.error);
    assertGolden(file.replace(/\.srlm$/, '.out.srlm'), r.text);
  });
}

const all = [
  ...exampleFiles(),
  ...['parser', 'diagnostics', 'format'].flatMap((d) => srlmFiles(path.join(fixtures, d))),
];
for (const file of all) {
  test(`format idempotent, keeps comments and meaning: ${path.relative(path.join(__dirname, '..', '..'), file)}`, () => {
    const text = readFileSync(file, 'utf8');
    const once = format(text);
    if (once.text === undefined) {
      assert.ok(
        parse(text).diagnostics.some((d) => d.severity === 'error'),
        'only files with syntax errors are refused',
      );
      assert.match(once.error ?? '', /line \d+, column \d+/);
      return;
    }
    const twice = format(once.text);
    assert.equal(twice.text, once.text, 'second pass changes nothing');
    assert.equal(twice.changed, false);
    assert.deepEqual(comments(once.text), comments(text));
    assert.equal(semantics(once.text), semantics(text));
  });
}

test('examples are already formatted', () => {
  for (const file of exampleFiles()) assert.equal(format(readFileSync(file, 'utf8')).changed, false, file);
});

test('format refuses a file with syntax errors and names the position', () => {
  const r = format('pipeline p {\n  seed = \n');
  assert.equal(r.text, undefined);
  assert.match(r.error ?? '', /line 2, column 9: expected a value for 'seed'/);
});

test('format normalises spacing, blank lines and line endings', () => {
  const r = format('pipeline   p{\r\n\r\n\r\n  seed=1\r\n\r\n\r\n\r\n  device   =cpu   # dev\r\n\r\n}');
  assert.equal(r.text, 'pipeline p {\n  seed = 1\n\n  device = cpu  # dev\n}\n');
});

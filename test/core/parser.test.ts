// Golden parser tests: every input under test/fixtures/core/parser sits beside its tree dump (`.tree`).
// Each tree must also be lossless: its tokens concatenate back to the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { dumpTree, forEachToken, lex, parse, SyntaxKind, type SyntaxNode } from '../../server/src/core';
import { assertGolden, fixtures, srlmFiles } from './helpers';

function leaves(root: SyntaxNode, text: string): string {
  let s = '';
  forEachToken(root, (t) => (s += text.slice(t.start, t.end)));
  return s;
}

for (const file of srlmFiles(path.join(fixtures, 'parser'))) {
  test(`parser golden: ${path.basename(file)}`, () => {
    const text = readFileSync(file, 'utf8');
    const { tree, diagnostics } = parse(text);
    assert.equal(leaves(tree, text), text, 'tree is lossless');
    const diags = diagnostics.map(
      (d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code} ${d.message}`,
    );
    assertGolden(
      file.replace(/\.srlm$/, '.tree'),
      dumpTree(tree, text) + (diags.length ? `--- diagnostics\n${diags.join('\n')}\n` : ''),
    );
    const isError = path.basename(file).startsWith('err-');
    assert.equal(diagnostics.length > 0, isError, isError ? 'error fixture must report' : 'ok fixture must be clean');
  });
}

test('lexer: token kinds of every construct', () => {
  const text = 'a_1 = -4.5e-3 "s\\"x" true false pass@8 { } ( ) [ ] , + * / # c\r\n';
  const kinds = lex(text)
    .tokens.filter((t) => t.kind !== SyntaxKind.Whitespace)
    .map((t) => SyntaxKind[t.kind]);
  assert.deepEqual(kinds, [
    'Ident',
    'Eq',
    'Minus',
    'Number',
    'String',
    'True',
    'False',
    'Ident',
    'LBrace',
    'RBrace',
    'LParen',
    'RParen',
    'LBracket',
    'RBracket',
    'Comma',
    'Plus',
    'Star',
    'Slash',
    'Comment',
  ]);
});

test('lexer: malformed numbers, stray characters and bad escapes are reported, not thrown', () => {
  const r = lex('x = 4e\ny = 1.2.3\n$%^ "a\\qb"');
  const codes = r.diagnostics.map((d) => d.info.code);
  assert.deepEqual(codes, ['SRLM003', 'SRLM003', 'SRLM001', 'SRLM003']);
  assert.equal(
    r.tokens.map((t) => t.end - t.start).reduce((a, b) => a + b, 0),
    'x = 4e\ny = 1.2.3\n$%^ "a\\qb"'.length,
  );
});

test('parser: attributes on one line without separators', () => {
  const text = 'pipeline p { stage sft s { init = m  data = d  reward = accuracy + 0.2 * format  group = 8 } }';
  const { tree, diagnostics } = parse(text);
  assert.deepEqual(diagnostics, []);
  const attrs: string[] = [];
  const walk = (n: SyntaxNode) => {
    for (const c of n.children) {
      if ('children' in c) {
        if (c.kind === SyntaxKind.Attribute) attrs.push(text.slice(c.start, c.end));
        walk(c);
      }
    }
  };
  walk(tree);
  assert.deepEqual(attrs, ['init = m', 'data = d', 'reward = accuracy + 0.2 * format', 'group = 8']);
});

test('parser: missing value before a block header on the next line keeps the block', () => {
  const text = 'pipeline p {\n  seed =\n  model m { source = "x" }\n}\n';
  const { tree, diagnostics } = parse(text);
  assert.equal(diagnostics.length, 1);
  assert.match(diagnostics[0].message, /expected a value for 'seed'/);
  assert.equal(diagnostics[0].range.start.line, 1);
  assert.match(dumpTree(tree, text), /Block@\d+\.\.\d+\n\s+Ident@\d+\.\.\d+ "model"/);
});

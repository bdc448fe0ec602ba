// The TextMate grammar agrees with the lexer: every example and fixture is tokenised with vscode-textmate
// (the engine VS Code uses) and, for every lexer token, the scope at its first character must be the one its
// kind implies — comments, strings, numbers, booleans, operators, block keywords, names and properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { analyze, lex, SyntaxKind, type Token } from '../../server/src/core';

const root = path.resolve(__dirname, '..', '..');

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = readFileSync(path.join(root, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== 'source.srlm') return null;
      const file = path.join(root, 'syntaxes', 'srlm.tmLanguage.json');
      return vsctm.parseRawGrammar(readFileSync(file, 'utf8'), file);
    },
  });
  const g = await registry.loadGrammar('source.srlm');
  assert.ok(g);
  return g;
}

/** Scopes at every character offset of the text. */
function scopesByOffset(grammar: vsctm.IGrammar, text: string): string[][] {
  const out: string[][] = new Array(text.length);
  let stack = vsctm.INITIAL;
  let offset = 0;
  for (const line of text.split('\n')) {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens)
      for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) out[offset + i] = t.scopes;
    stack = r.ruleStack;
    offset += line.length + 1;
  }
  return out;
}

const EXPECTED: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.Comment]: 'comment.line.number-sign.srlm',
  [SyntaxKind.String]: 'string.quoted.double.srlm',
  [SyntaxKind.Number]: 'constant.numeric.srlm',
  [SyntaxKind.True]: 'constant.language.boolean.srlm',
  [SyntaxKind.False]: 'constant.language.boolean.srlm',
  [SyntaxKind.Eq]: 'keyword.operator.assignment.srlm',
  [SyntaxKind.Plus]: 'keyword.operator.arithmetic.srlm',
  [SyntaxKind.Minus]: 'keyword.operator.arithmetic.srlm',
  [SyntaxKind.Star]: 'keyword.operator.arithmetic.srlm',
  [SyntaxKind.Slash]: 'keyword.operator.arithmetic.srlm',
  [SyntaxKind.LBrace]: 'punctuation.section.block.srlm',
  [SyntaxKind.RBrace]: 'punctuation.section.block.srlm',
  [SyntaxKind.Comma]: 'punctuation.separator.comma.srlm',
};

function files(): string[] {
  const dirs = ['examples', 'test/fixtures/core/format', 'test/fixtures/core/diagnostics'];
  return dirs.flatMap((d) =>
    readdirSync(path.join(root, d))
      .filter((f) => f.endsWith('.srlm'))
      .map((f) => path.join(root, d, f)),
  );
}

test('grammar scopes agree with the lexer on every example and fixture', async () => {
  const grammar = await loadGrammar();
  let checked = 0;
  for (const file of files()) {
    const text = readFileSync(file, 'utf8');
    if (text.includes('\r')) continue;
    const scopes = scopesByOffset(grammar, text);
    const doc = analyze(text);
    const stringStarts = new Set<number>();
    const problems: string[] = [];
    const expect = (t: Token, scope: string) => {
      const got = scopes[t.start] ?? [];
      if (!got.includes(scope)) {
        const pos = doc.lineIndex.positionAt(t.start);
        problems.push(
          `${path.basename(file)}:${pos.line + 1}:${pos.character + 1} '${text.slice(t.start, t.end)}' expected ${scope}, got ${got.join(' ')}`,
        );
      }
      checked++;
    };
    for (const t of lex(text).tokens) {
      const scope = EXPECTED[t.kind];
      if (scope) expect(t, scope);
      if (t.kind === SyntaxKind.String) stringStarts.add(t.start);
    }
    // Names: block kinds and labels, properties, references.
    for (const s of doc.symbols) {
      const kindTok = s.block.kindToken;
      if (kindTok) expect(kindTok as Token, 'storage.type.block.srlm');
      // A quoted name is an error (SRLM016); the grammar shows it as the string it is.
      if (text[s.nameSpan.start] !== '"') {
        expect(
          { kind: SyntaxKind.Ident, start: s.nameSpan.start, end: s.nameSpan.end, parent: undefined },
          'entity.name.section.srlm',
        );
      }
    }
    for (const [, cfg] of doc.configs) {
      for (const [, attr] of cfg.attributes)
        if (attr.hasEq) expect(attr.keyToken as Token, 'variable.other.property.srlm');
      for (const [, nested] of cfg.nested)
        if (nested.block.kindToken) expect(nested.block.kindToken as Token, 'storage.type.block.nested.srlm');
    }
    assert.deepEqual(problems, [], path.basename(file));
  }
  assert.ok(checked > 500, `only ${checked} tokens checked`);
});

test('a # inside a string is not a comment; an unterminated string ends at the line end', async () => {
  const grammar = await loadGrammar();
  const text = 'model m { source = "a#b" }  # c\nx = "open\ny = 1';
  const scopes = scopesByOffset(grammar, text);
  assert.ok(scopes[text.indexOf('#b')].includes('string.quoted.double.srlm'));
  assert.ok(!scopes[text.indexOf('#b')].includes('comment.line.number-sign.srlm'));
  assert.ok(scopes[text.indexOf('# c')].includes('comment.line.number-sign.srlm'));
  assert.ok(!scopes[text.indexOf('y =')].includes('string.quoted.double.srlm'));
  assert.ok(scopes[text.indexOf('1', text.indexOf('y ='))].includes('constant.numeric.srlm'));
});

test('stage headers, calls and metrics get their own scopes', async () => {
  const grammar = await loadGrammar();
  const text = 'stage rl grpo { loss = jsd(beta = 0.5)  metrics = [accuracy, pass@8]  x = 4e }';
  const scopes = scopesByOffset(grammar, text);
  const at = (s: string) => scopes[text.indexOf(s)];
  assert.ok(at('rl').includes('support.type.stage-kind.srlm'));
  assert.ok(at('grpo').includes('entity.name.section.srlm'));
  assert.ok(at('jsd').includes('entity.name.function.srlm'));
  assert.ok(at('beta').includes('variable.other.property.srlm'));
  assert.ok(at('pass@8').includes('support.constant.metric.srlm'));
  assert.ok(at('4e').includes('invalid.illegal.number.srlm'), 'the lexer rejects 4e; so does the grammar');
});

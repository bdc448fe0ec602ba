// Hostile input: any byte sequence gives diagnostics, never an exception, a stack overflow or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyze,
  check,
  cursorContext,
  format,
  forEachToken,
  MAX_PARSE_CHARS,
  parse,
  type CheckHost,
} from '../../server/src/core';
import { rng } from './helpers';

function lossless(text: string): void {
  const { tree } = parse(text);
  let s = '';
  forEachToken(tree, (t) => (s += text.slice(t.start, t.end)));
  assert.equal(s.length, text.length);
  assert.ok(s === text, 'tree is lossless');
}

function timed<T>(limitMs: number, what: string, f: () => T): T {
  const t0 = performance.now();
  const r = f();
  const ms = performance.now() - t0;
  assert.ok(ms < limitMs, `${what} took ${ms.toFixed(0)} ms (limit ${limitMs})`);
  return r;
}

test('random binary input', () => {
  const r = rng(7);
  const bytes = Buffer.alloc(200_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  for (const text of [bytes.toString('utf8'), bytes.toString('latin1')]) {
    const doc = timed(3000, 'binary analyse', () => analyze(text));
    assert.ok(doc.diagnostics.length > 0 && doc.diagnostics.length <= 1001, `${doc.diagnostics.length} diagnostics`);
    lossless(text);
    assert.ok(format(text).error);
  }
});

test('NUL bytes, lone surrogates and a byte-order mark', () => {
  const doc = analyze('\uFEFFpipeline p { seed = 1 \u0000 x = "\uD800" }\n');
  assert.deepEqual(
    doc.diagnostics.map((d) => d.code).filter((c) => c !== 'SRLM045'),
    ['SRLM001', 'SRLM012'],
  );
  assert.equal(analyze('\uFEFFpipeline p {}\n').diagnostics[0].code, 'SRLM045');
});

test('unterminated strings everywhere', () => {
  for (const text of [
    '"',
    'pipeline p { model m { source = "abc',
    '"""""""\n"\\',
    'pipeline "p { a = "\\u12"\n}',
    '"\\',
  ]) {
    const doc = analyze(text);
    assert.ok(
      doc.diagnostics.some((d) => d.code === 'SRLM002'),
      text,
    );
    lossless(text);
  }
});

test('deep nesting of every bracket kind and of unary minus', () => {
  const n = 100_000;
  const cases = [
    'pipeline p { x = ' + '['.repeat(n),
    'pipeline p { x = ' + '['.repeat(n) + ']'.repeat(n) + ' }',
    'pipeline p { x = ' + '('.repeat(n) + '1' + ')'.repeat(n) + ' }',
    'pipeline p ' + 'a { '.repeat(n) + '}'.repeat(n),
    'pipeline p { x = ' + '-'.repeat(n) + '1 }',
    'pipeline p { x = ' + '1 + '.repeat(n) + '1 }',
    'pipeline p { x = f(' + 'g('.repeat(n) + ' }',
    '{'.repeat(n),
  ];
  for (const text of cases) {
    const doc = timed(5000, `nesting ${text.slice(0, 24)}`, () => analyze(text));
    assert.ok(
      doc.diagnostics.some((d) => d.code === 'SRLM005' || d.code === 'SRLM004'),
      text.slice(0, 30),
    );
    lossless(text);
    format(text);
    cursorContext(doc, Math.floor(text.length / 2));
  }
});

test('a 50 MB file is refused with one diagnostic, quickly', () => {
  const line = 'pipeline p { seed = 1 }  # padding padding padding padding padding padding\n';
  const text = line.repeat(Math.ceil((50 * 1024 * 1024) / line.length));
  assert.ok(text.length > MAX_PARSE_CHARS);
  const doc = timed(6000, '50 MB analyse', () => analyze(text));
  assert.deepEqual(
    doc.diagnostics.map((d) => d.code),
    ['SRLM006', 'SRLM010'],
  );
  assert.match(doc.diagnostics[0].message, /file is 50\.\d MiB; files above 8 MiB are not analysed/);
  assert.match(format(text).error ?? '', /SRLM006/);
});

test('a large valid file (1 MB) is analysed in bounded time', () => {
  const stage = (i: number) =>
    `  stage sft s${i} { init = ${i === 0 ? 'm' : `s${i - 1}`}  data = d  lr = 1e-5  epochs = 2 }\n`;
  let body = 'pipeline big {\n  model m { source = "Qwen/Qwen2.5-0.5B" }\n  dataset d { builtin = arithmetic }\n';
  for (let i = 0; body.length < 1024 * 1024; i++) body += stage(i);
  const text = body + '}\n';
  const doc = timed(8000, '1 MB analyse', () => analyze(text));
  assert.deepEqual(doc.diagnostics, []);
});

test('a host that returns garbage does not break check', async () => {
  const host: CheckHost = {
    resolve: (p) => p,
    stat: async () => ({ type: 'file', size: 10 }),
    readText: async () => '\u0000\u0001 not json {{{',
  };
  const text =
    'pipeline p { model m { source = "./m" } dataset d { path = "x.jsonl" completion = "c" } stage sft s { init = m data = d reward_file = "r.py" } }';
  const { diagnostics } = await check(text, { host });
  assert.ok(diagnostics.some((d) => d.code === 'SRLM051'));
  assert.ok(diagnostics.some((d) => d.code === 'SRLM053'));
});

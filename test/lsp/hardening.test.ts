// The server does not trust the client: a change that reuses or lowers a version still yields results for
// the text it produced; null or malformed params are InvalidParams (not an internal error); a body that is not
// JSON is a parse error and the server goes on; a broken frame (bad Content-Length) makes it exit, so the
// client starts a fresh one instead of talking to a deaf server.
import { test } from 'node:test';
import { fork } from 'node:child_process';
import { PassThrough } from 'node:stream';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocumentSymbol, FoldingRange, TextEdit } from 'vscode-languageserver-protocol';
import { format } from '../../server/src/core';
import { ensureServerBundle } from './harness';
import { FramedReader } from '../../server/src/lsp/transport';
import { RawLspClient } from './rawClient';

const URI = 'file:///ws/stale.srlm';
const T1 = 'pipeline p {\n  model m { source = "Qwen/Qwen2.5-0.5B" }\n}\n';
const T2 = `pipeline p {
  # a long comment block
  # that folds
  # over three lines
  model m { source = "Qwen/Qwen2.5-0.5B" }
  dataset d { builtin = arithmetic }
  stage sft s {
    init = m
    data = d
  }
}
`;
const T3 = 'pipeline q {\nmodel   base{source="Qwen/Qwen2.5-0.5B"}\n}\n';

test('a change that reuses or lowers the version: results follow the new text', { timeout: 30_000 }, async () => {
  const c = await RawLspClient.start();
  try {
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'srlm', version: 1, text: T1 } });
    const full = (version: number, text: string) =>
      c.notify('textDocument/didChange', { textDocument: { uri: URI, version }, contentChanges: [{ text }] });
    full(2, T2);
    const folds2 = (await c.request('textDocument/foldingRange', { textDocument: { uri: URI } }))
      .result as FoldingRange[];
    assert.ok(folds2.length >= 2);
    for (const [version, text] of [
      [2, T3],
      [1, T2],
      [1, T3],
    ] as const) {
      full(version, text);
      const doc = TextDocument.create(URI, 'srlm', 0, text);
      const edits = (await c.request('textDocument/formatting', { textDocument: { uri: URI }, options: {} }))
        .result as TextEdit[];
      assert.equal(TextDocument.applyEdits(doc, edits), format(text).text, `formatting after version ${version}`);
      const folds = (await c.request('textDocument/foldingRange', { textDocument: { uri: URI } }))
        .result as FoldingRange[];
      for (const f of folds) assert.ok(f.startLine >= 0 && f.endLine < doc.lineCount, JSON.stringify(f));
      const symbols = (await c.request('textDocument/documentSymbol', { textDocument: { uri: URI } }))
        .result as DocumentSymbol[];
      const names = JSON.stringify(symbols);
      assert.ok(names.includes(text === T3 ? '"base"' : '"s"'), names);
    }
    assert.equal(c.exit, undefined);
  } finally {
    c.kill();
  }
});

test('null and malformed params are InvalidParams, and the server answers the next request', async () => {
  const c = await RawLspClient.start();
  try {
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'srlm', version: 1, text: T2 } });
    const bad: [string, unknown][] = [
      ['textDocument/hover', null],
      ['textDocument/hover', {}],
      ['textDocument/hover', { textDocument: { uri: 5 }, position: { line: 0, character: 0 } }],
      ['textDocument/hover', { textDocument: { uri: URI }, position: { line: -1, character: 0 } }],
      ['textDocument/completion', { textDocument: { uri: URI }, position: null }],
      ['textDocument/formatting', null],
      ['textDocument/foldingRange', []],
      ['textDocument/rangeFormatting', { textDocument: { uri: URI }, range: { start: { line: 0 } } }],
      ['textDocument/selectionRange', { textDocument: { uri: URI }, positions: [null] }],
      [
        'textDocument/codeAction',
        { textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } },
      ],
      ['textDocument/rename', { textDocument: { uri: URI }, position: { line: 0, character: 0 }, newName: 3 }],
      ['workspace/symbol', null],
      ['textDocument/documentSymbol', 'text'],
    ];
    for (const [method, params] of bad) {
      const r = await c.request(method, params);
      assert.equal(r.error?.code, -32602, `${method} ${JSON.stringify(params)} → ${JSON.stringify(r)}`);
    }
    // Notifications with bad params are dropped, not fatal.
    c.notify('textDocument/didChange', null);
    c.notify('textDocument/didChange', { textDocument: { uri: URI, version: 2 }, contentChanges: [{ range: 1 }] });
    c.notify('textDocument/didOpen', { textDocument: null });
    const ok = await c.request('textDocument/documentSymbol', { textDocument: { uri: URI } });
    assert.ok(Array.isArray(ok.result) && ok.result.length > 0, JSON.stringify(ok));
  } finally {
    c.kill();
  }
});

test('a well-framed body that is not JSON is a parse error; the server goes on', async () => {
  const c = await RawLspClient.start();
  try {
    c.send('{"jsonrpc": "2.0", "id": 99, "method": ');
    c.send('[1, 2');
    c.send(Buffer.from([0xff, 0xfe]).toString('latin1'));
    c.send('"just a string"');
    const r = await c.request('workspace/symbol', { query: '' });
    assert.ok(Array.isArray(r.result));
    assert.deepEqual(
      c.nullIdErrors.map((e) => e.error?.code),
      [-32700, -32700, -32700, -32600],
    );
  } finally {
    c.kill();
  }
});

for (const header of [
  'Content-Length: abc',
  'Content-Length: -5',
  'Content-Length: 99999999999',
  'Content-Type: application/json',
  'garbage without a colon',
]) {
  test(`a broken frame (${header}) makes the server exit so the client restarts it`, async () => {
    const c = await RawLspClient.start();
    try {
      c.writeRaw(`${header}\r\n\r\n{"jsonrpc":"2.0","id":5,"method":"shutdown"}`);
      const exit = await c.exited(10_000);
      assert.notEqual(exit.code, 0);
      assert.match(c.stderr.join(''), /exiting so that the client restarts the server/);
    } finally {
      c.kill();
    }
  });
}

test('over node IPC (how VS Code starts the server) malformed params are InvalidParams too', async () => {
  const bundle = await ensureServerBundle();
  const proc = fork(bundle, ['--node-ipc'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  try {
    const answers = new Map<number, { error?: { code: number } }>();
    const answered = new Promise<void>((resolve) =>
      proc.on('message', (m: { id?: number; error?: { code: number } }) => {
        if (typeof m.id === 'number') answers.set(m.id, m);
        if (answers.has(1) && answers.has(2) && answers.has(3)) resolve();
      }),
    );
    proc.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, capabilities: {} } });
    proc.send({ jsonrpc: '2.0', id: 2, method: 'textDocument/hover', params: null });
    proc.send({ jsonrpc: '2.0', id: 3, method: 'textDocument/documentSymbol', params: { textDocument: {} } });
    await answered;
    assert.equal(answers.get(1)?.error, undefined);
    assert.equal(answers.get(2)?.error?.code, -32602);
    assert.equal(answers.get(3)?.error?.code, -32602);
  } finally {
    proc.kill();
  }
});

test('framing: messages split anywhere across chunks, or several in one chunk, arrive whole and in order', () => {
  const input = new PassThrough();
  const got: unknown[] = [];
  const replies: unknown[] = [];
  new FramedReader(input, (m) => replies.push(m)).listen((m) => got.push(m));
  const frame = (body: string) => Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const big = JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { text: 'é'.repeat(1_500_000) } });
  const all = Buffer.concat([
    frame('{"jsonrpc":"2.0","id":1,"method":"a"}'),
    frame(big),
    frame('nope'),
    frame('{"id":2}'),
  ]);
  for (let at = 0; at < all.length; at += 7919) input.write(all.subarray(at, at + 7919));
  assert.deepEqual(
    got.map((m) => JSON.stringify(m).length),
    [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'a' }).length, big.length, '{"id":2}'.length],
  );
  assert.equal((replies[0] as { error: { code: number } }).error.code, -32700);
});

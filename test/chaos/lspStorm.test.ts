// Chaos suite, language server: a seeded storm against the real bundle over stdio — random edits (some with
// reused or lowered versions), every feature request at random and out-of-range positions, null and malformed
// params, bodies that are not JSON or not JSON-RPC, unknown methods, cancellations, responses nobody asked
// for. Expected: 0 crashes, 0 internal errors, 0 unanswered requests, and after the storm the server's
// formatting and symbols are those of the text the edits produced. Prints tried / failed per category.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { format } from '../../server/src/core';
import { ROOT } from '../lsp/harness';
import { apply, randomEdit, rng } from '../lsp/randomEdits';
import { RawLspClient, type RawResponse } from '../lsp/rawClient';

const SEED = Number(process.env.SRLM_CHAOS_SEED ?? 20261202);
const STEPS = 2500;
const URI = 'file:///chaos/storm.srlm';

const POSITION_METHODS = [
  'textDocument/completion',
  'textDocument/hover',
  'textDocument/signatureHelp',
  'textDocument/definition',
  'textDocument/references',
  'textDocument/prepareRename',
];
const DOCUMENT_METHODS = [
  'textDocument/documentSymbol',
  'textDocument/foldingRange',
  'textDocument/formatting',
  'textDocument/semanticTokens/full',
  'textDocument/documentLink',
  'textDocument/codeLens',
];
const RANGE_METHODS = ['textDocument/rangeFormatting', 'textDocument/inlayHint', 'textDocument/codeAction'];

function positionAt(doc: TextDocument, offset: number): { line: number; character: number } {
  return doc.positionAt(offset);
}

test('chaos: LSP storm over stdio', { timeout: 180_000 }, async () => {
  const donors = readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.srlm'))
    .map((f) => readFileSync(join(ROOT, 'examples', f), 'utf8'));
  const r = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const c = await RawLspClient.start();
  const tally = new Map<string, { tried: number; failed: number }>();
  const count = (cat: string, failed = false): void => {
    const t = tally.get(cat) ?? { tried: 0, failed: 0 };
    t.tried++;
    if (failed) t.failed++;
    tally.set(cat, t);
  };
  // Every request id with the category it was sent under and the error codes it may get.
  const pending: { id: number; cat: string; expect: 'answer' | 'invalid' }[] = [];
  let nextId = 100_000;
  const request = (cat: string, method: string, params: unknown, expect: 'answer' | 'invalid'): void => {
    const id = nextId++;
    c.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    pending.push({ id, cat, expect });
  };
  try {
    let text = donors[0]!;
    let version = 1;
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'srlm', version, text } });
    for (let step = 0; step < STEPS; step++) {
      const doc = TextDocument.create(URI, 'srlm', version, text);
      const roll = r();
      if (roll < 0.3) {
        // An edit; one in five reuses or lowers the version, which the server must survive and follow.
        const e = randomEdit(r, text, donors);
        const stale = r() < 0.2;
        const v = stale ? Math.max(0, version - Math.floor(r() * 3)) : ++version;
        const range = { start: positionAt(doc, e.start), end: positionAt(doc, e.end) };
        c.notify('textDocument/didChange', {
          textDocument: { uri: URI, version: v },
          contentChanges: [{ range, text: e.text }],
        });
        text = apply(text, e);
        if (text.length > 12_000) {
          text = pick(donors);
          c.notify('textDocument/didChange', {
            textDocument: { uri: URI, version: ++version },
            contentChanges: [{ text }],
          });
        }
        count(stale ? 'stale edits' : 'edits');
      } else if (roll < 0.65) {
        // A well-formed request, at a position inside or (sometimes) beyond the text.
        const off = Math.floor(r() * (text.length + 1));
        const pos = r() < 0.1 ? { line: 100_000, character: 3 } : positionAt(doc, off);
        const which = r();
        if (which < 0.5)
          request('requests', pick(POSITION_METHODS), { textDocument: { uri: URI }, position: pos }, 'answer');
        else if (which < 0.8)
          request(
            'requests',
            pick(DOCUMENT_METHODS),
            { textDocument: { uri: URI }, options: { tabSize: 2, insertSpaces: true } },
            'answer',
          );
        else {
          const range = { start: positionAt(doc, Math.min(off, text.length)), end: pos };
          request(
            'requests',
            pick(RANGE_METHODS),
            { textDocument: { uri: URI }, range, context: { diagnostics: [] } },
            'answer',
          );
        }
      } else if (roll < 0.8) {
        // Params that are null, of the wrong type, or missing their document or position.
        const method = pick([...POSITION_METHODS, ...DOCUMENT_METHODS, ...RANGE_METHODS]);
        const broken: unknown[] = [null, [], 'text', 42, {}, { textDocument: null }, { textDocument: { uri: 7 } }];
        // Methods that read a position or range: a good document with a bad position or range.
        if (!DOCUMENT_METHODS.includes(method))
          broken.push(
            { textDocument: { uri: URI }, position: { line: -1, character: 0 }, range: null },
            { textDocument: { uri: URI }, position: { line: 0.5, character: 'x' }, range: { start: 1, end: 2 } },
          );
        const params = pick(broken);
        request('bad params', method, params, 'invalid');
      } else if (roll < 0.9) {
        // Messages that are not requests the server knows: all must be shrugged off.
        const junk = pick<() => void>([
          () => c.send('{"jsonrpc": "2.0", "id": '),
          () => c.send('[]'),
          () => c.send('null'),
          () => c.send({ jsonrpc: '1.0', method: 'x' }),
          () => c.send({ jsonrpc: '2.0', id: 999_999_999, result: { bogus: true } }),
          () => c.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: nextId + 5 } }),
          () => c.notify('textDocument/didChange', null),
          () => c.notify('textDocument/didOpen', { textDocument: { uri: 3 } }),
          () => c.notify('workspace/didChangeWatchedFiles', { changes: 'all' }),
          () => request('malformed', 'srlm/noSuchMethod', {}, 'invalid'),
          () =>
            request(
              'malformed',
              'textDocument/hover',
              { textDocument: { uri: 'file:///not/open.srlm' }, position: { line: 0, character: 0 } },
              'answer',
            ),
        ]);
        junk();
        count('malformed');
      } else {
        request('requests', 'workspace/symbol', { query: pick(['', 's', 'teacher', '\u0000']) }, 'answer');
      }
      if (step % 100 === 99) await new Promise((res) => setImmediate(res));
    }
    // Every request answered: a result, or an error that says what was wrong with it.
    const answers = await Promise.all(
      pending.map((p) =>
        c
          .response(p.id, 60_000)
          .catch((e: Error): RawResponse => ({ id: p.id, error: { code: 0, message: e.message } })),
      ),
    );
    let internal = 0;
    let unanswered = 0;
    answers.forEach((a, i) => {
      const p = pending[i]!;
      const code = a.error?.code;
      if (code === 0) unanswered++;
      if (code === -32603) internal++;
      const ok =
        p.expect === 'answer'
          ? code === undefined || code === -32800 // a result, or cancelled
          : code === -32602 || code === -32601; // InvalidParams, or MethodNotFound for an unknown method
      count(p.cat === 'malformed' ? 'malformed requests' : p.cat, !ok);
    });
    // The server still follows the text: formatting and symbols as the core computes them for it.
    const doc = TextDocument.create(URI, 'srlm', version, text);
    const edits = (await c.request('textDocument/formatting', { textDocument: { uri: URI }, options: {} }))
      .result as TextEdit[];
    const expected = format(text).text;
    const consistent = expected === undefined ? edits.length === 0 : TextDocument.applyEdits(doc, edits) === expected;
    count('final consistency', !consistent);
    const crashed = c.exit !== undefined;
    const summary = [...tally].map(([k, v]) => `${k} ${v.tried}/${v.failed}`).join(', ');
    console.log(
      `chaos LSP storm (tried/failed): ${summary}; crashes ${crashed ? 1 : 0}, internal errors ${internal}, unanswered ${unanswered} of ${pending.length} requests`,
    );
    assert.equal(crashed, false, c.stderr.join(''));
    assert.equal(internal, 0);
    assert.equal(unanswered, 0);
    for (const [k, v] of tally) assert.equal(v.failed, 0, `${k}: ${v.failed} of ${v.tried} failed`);
    assert.ok(consistent, 'formatting after the storm matches the text the edits produced');
  } finally {
    c.kill();
  }
});

// Robustness: 10,000 random inserts and deletes over the examples. In process (in a child, so a hang in the
// core fails by timeout) every IDE feature runs on every intermediate text and must not throw; over stdio,
// the server must answer every request and stay up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LspClient, ROOT, fileUri } from './harness';
import { apply, randomEdit, rng } from './randomEdits';

const EXAMPLES = join(ROOT, 'examples');
const sources = [
  join(ROOT, 'test/fixtures/lsp/ws/pipeline.srlm'),
  ...readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.srlm'))
    .map((f) => join(EXAMPLES, f)),
];

test('10,000 random edits: every IDE feature answers on every intermediate text', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fuzzChild.ts'), '10000'], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.signal, null, `the in-process fuzz did not finish in 240 s (a hang?)\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /edits ok/);
});

test('a parser input that once hung answers', { timeout: 20_000 }, async () => {
  const client = await LspClient.start({ initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false } });
  try {
    const uri = fileUri(join(EXAMPLES, 'hang-scratch.srlm'));
    await client.open(uri, 's[p{');
    const syms = await client.request('textDocument/documentSymbol', { textDocument: { uri } });
    assert.ok(Array.isArray(syms));
  } finally {
    await client.stop();
  }
});

test(
  'over stdio: random edits with interleaved requests, all answered, server alive',
  { timeout: 120_000 },
  async () => {
    const client = await LspClient.start({ initializationOptions: { diagnosticsDelayMs: 5, detectGpu: false } });
    try {
      const r = rng(7);
      const donors = sources.map((p) => readFileSync(p, 'utf8'));
      const uri = fileUri(join(EXAMPLES, 'fuzz-scratch.srlm'));
      let text = donors[0]!;
      let version = 1;
      await client.open(uri, text, version);
      const methods = [
        'textDocument/completion',
        'textDocument/hover',
        'textDocument/signatureHelp',
        'textDocument/definition',
        'textDocument/documentSymbol',
        'textDocument/foldingRange',
        'textDocument/semanticTokens/full',
        'textDocument/inlayHint',
        'textDocument/codeLens',
        'textDocument/codeAction',
        'textDocument/formatting',
        'textDocument/documentLink',
      ];
      let answered = 0;
      const pending: Promise<unknown>[] = [];
      for (let k = 0; k < 10000; k++) {
        const e = randomEdit(r, text, donors);
        const lines = text.slice(0, e.start).split('\n');
        const start = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
        const endLines = text.slice(0, e.end).split('\n');
        const end = { line: endLines.length - 1, character: endLines[endLines.length - 1]!.length };
        text = apply(text, e);
        await client.change(uri, ++version, [{ range: { start, end }, text: e.text }]);
        if (k % 10 === 0) {
          const m = methods[k % methods.length]!;
          const position = { line: Math.floor(r() * 60), character: Math.floor(r() * 40) };
          const range = { start: { line: 0, character: 0 }, end: position };
          pending.push(
            client
              .request(m, {
                textDocument: { uri },
                position,
                range,
                context: { diagnostics: [], triggerKind: 1 },
                options: { tabSize: 2, insertSpaces: true },
              })
              .then(() => answered++),
          );
        }
      }
      await Promise.all(pending);
      assert.equal(answered, 1000);
      // The server's copy of the text matches ours: formatting from both sides agrees on the symbols.
      const last = await client.waitForDiagnostics(uri, (p) => p.version === version, 10000, 0);
      assert.ok(Array.isArray(last.diagnostics));
      assert.equal(client.exited, undefined, `server exited: ${client.stderr.join('')}`);
    } finally {
      await client.stop();
    }
  },
);

// Cancellation over stdio: a request cancelled while queued behind others answers RequestCancelled
// (-32800) instead of being computed; the server keeps answering afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { generatePipeline } from '../../bench/core/generate';
import { LspClient, ROOT, fileUri } from './harness';

test('a queued request cancelled by the client answers RequestCancelled', { timeout: 60_000 }, async () => {
  const client = await LspClient.start({ initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false } });
  try {
    const uri = fileUri(join(ROOT, 'bench/lsp/cancel-scratch.srlm'));
    await client.open(uri, generatePipeline(1000));
    // Keep the server busy so the next request waits in its queue.
    const busy = Array.from({ length: 30 }, () =>
      client.request('textDocument/semanticTokens/full', { textDocument: { uri } }),
    );
    const source = new CancellationTokenSource();
    const victim = client.conn.sendRequest(
      'textDocument/hover',
      { textDocument: { uri }, position: { line: 3, character: 4 } },
      source.token,
    );
    source.cancel();
    await assert.rejects(victim, (e: { code?: number }) => e.code === -32800);
    await Promise.all(busy);
    const after = await client.request<unknown[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.equal(after.length, 1);
  } finally {
    await client.stop();
  }
});

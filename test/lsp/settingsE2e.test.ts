// Settings over the protocol: the `srlm` configuration section pulled from the client feeds the memory check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LspClient, ROOT, fileUri } from './harness';

const WS = join(ROOT, 'test/fixtures/lsp/ws');

test(
  'gpuMemoryGiB from workspace/configuration turns an oversized stage into SRLM059',
  { timeout: 30_000 },
  async () => {
    const client = await LspClient.start({
      rootDir: WS,
      initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false },
      configuration: { gpuMemoryGiB: 2 },
    });
    try {
      const uri = fileUri(join(WS, 'scratch-settings.srlm'));
      await client.open(
        uri,
        'pipeline p {\n  model m { source = "./models/student" }\n  dataset c { path = "data/cot.jsonl"  prompt = "question"  completion = "solution" }\n  stage sft a { init = m  data = c }\n}\n',
      );
      const p = await client.waitForDiagnostics(uri, (x) => x.diagnostics.some((d) => d.code === 'SRLM059'), 10_000, 0);
      const d = p.diagnostics.find((x) => x.code === 'SRLM059')!;
      assert.match(String(d.message), /exceeds 2\.0 GiB \(setting\)/);
    } finally {
      await client.stop();
    }
  },
);

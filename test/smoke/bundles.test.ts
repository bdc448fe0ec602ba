import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

test('manifest points at files that exist', () => {
  assert.equal(manifest.name, 'srlm-studio');
  assert.ok(existsSync(path.join(root, manifest.main)), `main bundle ${manifest.main} missing: run npm run build`);
  for (const g of manifest.contributes.grammars) assert.ok(existsSync(path.join(root, g.path)), g.path);
  for (const l of manifest.contributes.languages) {
    const conf = JSON.parse(readFileSync(path.join(root, l.configuration), 'utf8'));
    assert.equal(conf.comments.lineComment, '#');
  }
});

test('client bundle keeps vscode and onnxruntime-node external', () => {
  const js = readFileSync(path.join(root, 'dist', 'client.js'), 'utf8');
  assert.match(js, /require\("vscode"\)/);
  assert.doesNotMatch(js, /onnxruntime_binding\.node/);
});

test('srlm CLI prints its version', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'srlm.js'), '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^srlm \d+\.\d+\.\d+/);
});

test('language server answers initialize over stdio', async () => {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { processId: null, rootUri: null, capabilities: {} },
  });
  child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const reply = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no initialize reply; got ${buf}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\r\n\r\n');
      if (i >= 0 && buf.includes('"id":1')) {
        clearTimeout(timer);
        resolve(buf.slice(i + 4));
      }
    });
  });
  child.kill();
  const msg = JSON.parse(reply);
  assert.equal(msg.result.serverInfo.name, 'srlm-language-server');
  assert.ok(msg.result.capabilities.textDocumentSync);
});

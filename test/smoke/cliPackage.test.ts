// The stand-alone `srlm` npm package: staged from dist/ (scripts/build-cli-package.mjs), packed with `npm pack`,
// installed offline into a fresh prefix whose path has a space, and run from there, away from this repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

test('npm pack + npm install -g --offline gives a working srlm and language server', async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-cli-package.mjs')], { stdio: 'pipe' });
  const tmp = mkdtempSync(path.join(tmpdir(), 'srlm-pkg-'));
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: path.join(tmp, 'cache') },
    });
  const tarball = npm(['pack', path.join(root, 'packages', 'cli'), '--pack-destination', tmp], tmp)
    .trim()
    .split('\n')
    .pop()!;
  const version = JSON.parse(readFileSync(path.join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
  assert.equal(tarball, `srlm-studio-cli-${version}.tgz`);
  const listing = execFileSync('tar', ['tzf', path.join(tmp, tarball)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();
  assert.deepEqual(listing, [
    'package/LICENSE',
    'package/README.md',
    'package/dist/server.js',
    'package/dist/srlm.js',
    'package/dist/text-libs.js',
    'package/package.json',
  ]);
  const prefix = path.join(tmp, 'global prefix');
  npm(['install', '-g', '--prefix', prefix, path.join(tmp, tarball)], tmp);
  const srlm = path.join(prefix, 'bin', 'srlm');
  const work = mkdtempSync(path.join(tmpdir(), 'srlm-away-'));
  const v = spawnSync(srlm, ['--version'], { cwd: work, encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout, `srlm ${version}\n`);
  writeFileSync(path.join(work, 'p.srlm'), 'pipeline p {\nseed = 1\n}\n');
  const fmt = spawnSync(srlm, ['fmt', '--diff', 'p.srlm'], { cwd: work, encoding: 'utf8' });
  assert.equal(fmt.status, 1);
  assert.match(fmt.stdout, /^-seed = 1\n\+  seed = 1$/m);
  // The language server answers initialize over stdio from the installed bin.
  const lsp = spawn(path.join(prefix, 'bin', 'srlm-language-server'), ['--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { processId: null, rootUri: null, capabilities: {} },
  });
  lsp.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const reply = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no initialize reply; got ${buf}`)), 10_000);
    lsp.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"id":1')) {
        clearTimeout(timer);
        resolve(buf);
      }
    });
  });
  lsp.kill();
  assert.match(reply, /"name":"srlm-language-server"/);
});

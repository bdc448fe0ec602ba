// The launchers that put `srlm` on the integrated terminal's PATH: run through a shell from a folder whose name
// has spaces and a quote, with the CLI bundle, they print the version; rewriting the same content is a no-op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { installLaunchers, launcherScripts } from '../../client/src/terminalCli';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'srlm.js');

test('the sh launcher on PATH runs the bundled CLI with the given node', async () => {
  const bin = path.join(mkdtempSync(path.join(tmpdir(), 'srlm-bin-')), "Code's global storage", 'bin');
  await installLaunchers(bin, process.execPath, cli);
  assert.equal(statSync(path.join(bin, 'srlm')).mode & 0o777, 0o755);
  const r = spawnSync('sh', ['-c', 'srlm --version && srlm help check | head -1'], {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^srlm \d+\.\d+\.\d+\nusage: srlm check /);
  const before = statSync(path.join(bin, 'srlm')).mtimeMs;
  await new Promise((res) => setTimeout(res, 20));
  await installLaunchers(bin, process.execPath, cli);
  assert.equal(statSync(path.join(bin, 'srlm')).mtimeMs, before, 'unchanged launchers are not rewritten');
});

test('the Windows launcher quotes both paths, escapes % and passes every argument', async () => {
  const { cmd } = launcherScripts(
    'C:\\Program Files\\Microsoft VS Code\\Code.exe',
    'C:\\Users\\a%b\\ext\\dist\\srlm.js',
  );
  assert.match(cmd, /^@echo off\r\n/);
  assert.ok(cmd.includes('set ELECTRON_RUN_AS_NODE=1\r\n'));
  assert.ok(
    cmd.includes('"C:\\Program Files\\Microsoft VS Code\\Code.exe" "C:\\Users\\a%%b\\ext\\dist\\srlm.js" %*\r\n'),
  );
  const bin = mkdtempSync(path.join(tmpdir(), 'srlm-cmd-'));
  await installLaunchers(bin, process.execPath, cli);
  assert.equal(readFileSync(path.join(bin, 'srlm.cmd'), 'utf8'), launcherScripts(process.execPath, cli).cmd);
});

// Issue 15: paths with spaces and drive letters. Windows batch-file shims go through cmd.exe with every
// argument quoted for it (checked against the strings cmd.exe must receive); on this machine, a real
// interpreter and runs folder under paths with spaces are probed, launched, checked as the run's engine and stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRun, launchRun, stopRun } from '../../runtime/src/supervisor/control';
import { refuseSignal } from '../../runtime/src/supervisor/process';
import { checkEngine, pathVariable } from '../../runtime/src/supervisor/python';
import { isBatchFile, quoteForCmd, spawnCommand } from '../../runtime/src/supervisor/spawnCommand';
import { RunStore } from '../../runtime/src/store/runStore';
import { fakeEnv, makePlan, systemPython, tmpDir } from './helpers';

test('an .exe, or anything off Windows, starts directly with its arguments untouched', () => {
  const args = ['-m', 'srlm_engine', 'run', '--run-dir', 'C:\\Users\\A B\\runs\\r1'];
  assert.deepEqual(spawnCommand('C:\\Program Files\\Python312\\python.exe', args, 'win32'), {
    file: 'C:\\Program Files\\Python312\\python.exe',
    args,
  });
  assert.deepEqual(spawnCommand('/opt/my env/bin/python.cmd', args, 'linux'), {
    file: '/opt/my env/bin/python.cmd',
    args,
  });
  assert.equal(isBatchFile('C:\\x\\python.BAT', 'win32'), true);
  assert.equal(isBatchFile('C:\\x\\python.exe', 'win32'), false);
});

test('a Windows batch shim goes through cmd.exe /d /s /c with each argument quoted and escaped for it', () => {
  const c = spawnCommand(
    'C:\\Users\\A B\\.pyenv\\pyenv-win\\shims\\python.bat',
    ['-c', 'print("50% & more")', 'C:\\runs dir\\'],
    'win32',
    'C:\\Windows\\system32\\cmd.exe',
  );
  assert.equal(c.file, 'C:\\Windows\\system32\\cmd.exe');
  assert.equal(c.windowsVerbatimArguments, true);
  assert.deepEqual(c.args.slice(0, 3), ['/d', '/s', '/c']);
  assert.equal(
    c.args[3],
    '"C:\\Users\\A^ B\\.pyenv\\pyenv-win\\shims\\python.bat ^"-c^" ^"print^(\\^"50^%^ ^&^ more\\^"^)^" ^"C:\\runs^ dir\\\\^""',
  );
  // The C-runtime layer alone, for the plain cases.
  assert.equal(quoteForCmd('plain'), '^"plain^"');
  assert.equal(quoteForCmd('a\\"b'), '^"a\\\\\\^"b^"');
});

test('PATH is found whatever its case on Windows, and only as PATH elsewhere', () => {
  assert.equal(pathVariable({ Path: 'C:\\Python312;C:\\Windows' }, 'win32'), 'C:\\Python312;C:\\Windows');
  assert.equal(pathVariable({ Path: '/usr/bin' }, 'linux'), '');
  assert.equal(pathVariable({ PATH: '/usr/bin' }, 'linux'), '/usr/bin');
});

test('an interpreter and a runs folder under paths with spaces: probed, launched, recognised and stopped', async () => {
  const base = tmpDir('srlm spaces ');
  const binDir = path.join(base, 'my python');
  fs.mkdirSync(binDir);
  const python = path.join(binDir, 'python 3');
  fs.symlinkSync(systemPython, python);
  const env = fakeEnv({ FAKE_STEP_S: '0.2', FAKE_STEPS: '200' });
  const checked = await checkEngine({ explicit: python, env, searchFrom: [], installVenv: false });
  assert.equal(checked.python, python);
  const store = new RunStore(path.join(base, 'my project', '.srlm', 'runs'));
  const rec = createRun({
    store,
    plan: makePlan(),
    source: path.join(base, 'my project', 'p.srlm'),
    options: {},
    minFreeBytes: 0,
  });
  const engine = await launchRun(store, rec.id, { python, env });
  try {
    assert.equal(refuseSignal({ pid: engine.pid, pidStart: engine.pidStart, runDir: store.dir(rec.id) }), undefined);
    const s = await stopRun(store, rec.id, 10_000);
    assert.equal(s.record.status, 'stopped');
  } finally {
    try {
      process.kill(engine.pid, 'SIGKILL');
    } catch {
      // stopped already
    }
  }
});

// nvidia-smi is run by absolute path from a folder outside the workspace, never found through the working
// directory or a workspace folder (a workspace `nvidia-smi.exe` ran at server start on Windows, in Restricted
// Mode too). Platform facts are injected, so the Windows rules are tested on any machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { detectGpu, findNvidiaSmi, type ExecFile, type HostFacts } from '../../server/src/ide/gpu';

function facts(platform: NodeJS.Platform, env: HostFacts['env'], files: string[], untrusted: string[]): HostFacts {
  const set = new Set(files);
  return { platform, env, isFile: (p) => set.has(p), untrusted };
}

test('Windows: the driver install locations only, never the workspace or PATH', () => {
  const ws = 'C:\\Users\\me\\proj';
  const env = { SystemRoot: 'C:\\WINDOWS', ProgramFiles: 'C:\\Program Files', PATH: `.;${ws};${ws}\\bin;C:\\tools` };
  const planted = [`${ws}\\nvidia-smi.exe`, `${ws}\\bin\\nvidia-smi.exe`, 'C:\\tools\\nvidia-smi.exe'];
  assert.equal(findNvidiaSmi(facts('win32', env, planted, [ws])), undefined);
  assert.equal(
    findNvidiaSmi(facts('win32', env, [...planted, 'C:\\WINDOWS\\System32\\nvidia-smi.exe'], [ws])),
    'C:\\WINDOWS\\System32\\nvidia-smi.exe',
  );
  const nvsmi = 'C:\\Program Files\\NVIDIA Corporation\\NVSMI\\nvidia-smi.exe';
  assert.equal(findNvidiaSmi(facts('win32', env, [...planted, nvsmi], [ws])), nvsmi);
  // A workspace opened on the Windows folder itself (case differs): nothing in it is run.
  assert.equal(
    findNvidiaSmi(facts('win32', env, ['C:\\WINDOWS\\System32\\nvidia-smi.exe'], ['c:\\windows'])),
    undefined,
  );
});

test('Linux: absolute PATH entries outside the workspace; empty and relative entries are the cwd, skipped', () => {
  const ws = '/home/me/proj';
  const env = { PATH: `::.:bin:${ws}/tools:/opt/cuda/bin:/usr/bin` };
  const planted = ['nvidia-smi', './nvidia-smi', 'bin/nvidia-smi', `${ws}/tools/nvidia-smi`];
  assert.equal(findNvidiaSmi(facts('linux', env, planted, [ws])), undefined);
  assert.equal(
    findNvidiaSmi(facts('linux', env, [...planted, '/usr/bin/nvidia-smi', '/opt/cuda/bin/nvidia-smi'], [ws])),
    '/opt/cuda/bin/nvidia-smi',
  );
  assert.equal(
    findNvidiaSmi(facts('linux', { PATH: '' }, ['/usr/lib/wsl/lib/nvidia-smi'], [ws])),
    '/usr/lib/wsl/lib/nvidia-smi',
  );
});

test('detectGpu runs the absolute path from the temporary folder and parses its answer', async () => {
  const calls: { file: string; cwd: string }[] = [];
  const exec: ExecFile = (file, _args, options, done) => {
    calls.push({ file, cwd: options.cwd });
    done(null, 'NVIDIA H200, 143771\n');
  };
  const ws = 'C:\\Users\\me\\proj';
  const f = facts('win32', { SystemRoot: 'C:\\Windows' }, ['C:\\Windows\\System32\\nvidia-smi.exe'], [ws]);
  const gpu = await detectGpu({ facts: f, exec });
  assert.deepEqual(calls, [{ file: 'C:\\Windows\\System32\\nvidia-smi.exe', cwd: tmpdir() }]);
  assert.equal(gpu?.name, 'NVIDIA H200');
  // Not installed: nothing is run at all.
  calls.length = 0;
  assert.equal(await detectGpu({ facts: facts('win32', {}, [`${ws}\\nvidia-smi.exe`], [ws]), exec }), undefined);
  assert.deepEqual(calls, []);
});

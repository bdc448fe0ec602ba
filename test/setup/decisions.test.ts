// The set-up's decisions as pure functions over injected facts: nvidia-smi output, pip's output, the probes of the
// Pythons on PATH, and the marker a previous set-up left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseTorchBuild, parseNvidiaSmi } from '../../runtime/src/setup/torchBuild';
import { distillPipError } from '../../runtime/src/setup/pipErrors';
import { parseBaseProbe, pickBasePython } from '../../runtime/src/setup/basePython';
import { planSetup, type SetupMarker, type SetupWant } from '../../runtime/src/setup/marker';
import { defaultEnvDir, managedPython } from '../../runtime/src/setup/layout';
import { formatStepLine, parseStepLine } from '../../runtime/src/setup/stepLine';
import { findEngineWheel, TORCH_REQUIREMENT, torchRequirement } from '../../runtime/src/setup/environment';

const root = path.resolve(__dirname, '..', '..');

const H200 = 'NVIDIA H200, 570.133.20, 143771\n';
const TWO_OLD = 'Tesla K80, 470.256.02, 11441\nTesla K80, 470.256.02, 11441\n';
const NO_DRIVER =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n";

test('nvidia-smi output: GPUs, driver and memory; a failed or absent nvidia-smi means no GPU', () => {
  assert.deepEqual(parseNvidiaSmi(H200), {
    gpus: [{ name: 'NVIDIA H200', memoryMiB: 143771 }],
    driverVersion: '570.133.20',
  });
  assert.equal(parseNvidiaSmi(TWO_OLD).gpus.length, 2);
  assert.deepEqual(parseNvidiaSmi(NO_DRIVER), { gpus: [], driverVersion: undefined });
  assert.deepEqual(parseNvidiaSmi(undefined), { gpus: [], driverVersion: undefined });
});

test('auto picks the CUDA build the driver runs, CPU without a GPU or with a driver too old', () => {
  const cpu = chooseTorchBuild(parseNvidiaSmi(undefined), 'auto');
  assert.equal(cpu.tag, 'cpu');
  assert.equal(cpu.indexUrl, 'https://download.pytorch.org/whl/cpu');
  assert.match(cpu.reason, /no NVIDIA GPU/);
  const h200 = chooseTorchBuild(parseNvidiaSmi(H200), 'auto');
  assert.equal(h200.tag, 'cu128');
  assert.equal(h200.indexUrl, 'https://download.pytorch.org/whl/cu128');
  assert.match(h200.reason, /NVIDIA H200, driver 570\.133\.20/);
  assert.equal(chooseTorchBuild(parseNvidiaSmi('RTX 5090, 580.65.06, 32607'), 'auto').tag, 'cu130');
  assert.equal(chooseTorchBuild(parseNvidiaSmi('A100-SXM4-80GB, 535.104.05, 81920'), 'auto').tag, 'cu126');
  const old = chooseTorchBuild(parseNvidiaSmi(TWO_OLD), 'auto');
  assert.equal(old.tag, 'cpu');
  assert.match(old.reason, /driver 470\.256\.02, older than the 525 .*update the driver/);
});

test('an explicit choice wins over detection; the index setting is honoured', () => {
  assert.equal(chooseTorchBuild(parseNvidiaSmi(H200), 'cpu').tag, 'cpu');
  const forced = chooseTorchBuild(parseNvidiaSmi(undefined), 'cuda');
  assert.equal(forced.tag, 'cu130');
  assert.match(forced.reason, /no NVIDIA driver detected/);
  assert.match(chooseTorchBuild(parseNvidiaSmi(TWO_OLD), 'cuda').reason, /may be too old/);
  assert.equal(chooseTorchBuild(parseNvidiaSmi(undefined), 'auto', 'pip').indexUrl, undefined);
  assert.equal(
    chooseTorchBuild(parseNvidiaSmi(H200), 'auto', 'https://mirror.example/torch/{build}/simple').indexUrl,
    'https://mirror.example/torch/cu128/simple',
  );
  assert.equal(chooseTorchBuild(parseNvidiaSmi(H200), 'auto', '  ').indexUrl, 'https://download.pytorch.org/whl/cu128');
});

// pip's own words, as it prints them (pip 25/26).
const PIP = {
  refused: `Looking in indexes: https://download.pytorch.org/whl/cpu
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError("HTTPSConnection(host='download.pytorch.org', port=443): Failed to establish a new connection: [Errno 111] Connection refused")': /whl/cpu/torch/
ERROR: Could not find a version that satisfies the requirement torch>=2.6,<3 (from versions: none)
ERROR: No matching distribution found for torch>=2.6,<3`,
  dns: `WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NameResolutionError("<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve 'pypi.org' ([Errno -3] Temporary failure in name resolution)")': /simple/transformers/
ERROR: Could not find a version that satisfies the requirement transformers>=4.51 (from srlm-engine) (from versions: none)`,
  disk: `Installing collected packages: torch
ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device: '/home/u/.config/Code/User/globalStorage/srlm-studio.srlm-studio/python/venv/lib/python3.12/site-packages/torch/lib/libtorch_cpu.so'
`,
  managed: `error: externally-managed-environment

× This environment is externally managed
╰─> To install Python packages system-wide, try apt install python3-xyz`,
  noMatch: `ERROR: Could not find a version that satisfies the requirement torch==2.1.0 (from versions: 2.6.0, 2.7.0, 2.7.1, 2.8.0, 2.9.0, 2.10.0, 2.13.0)
ERROR: No matching distribution found for torch==2.1.0`,
  noVenv: `The virtual environment was not created successfully because ensurepip is not
available.  On Debian/Ubuntu systems, you need to install the python3-venv
package using the following command.

    apt install python3.12-venv
`,
  permission: `ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '/usr/lib/python3/dist-packages/torch'`,
  noPip: `/usr/bin/python3: No module named pip`,
  other: `Collecting srlm-engine
  error: subprocess-exited-with-error
ERROR: Failed building wheel for something`,
};

test("pip's failures become one message each: network, index, disk, permissions, system Python, venv", () => {
  const refused = distillPipError(PIP.refused, 'PyTorch', 'https://download.pytorch.org/whl/cpu');
  assert.equal(refused.kind, 'network');
  assert.match(
    refused.message,
    /^cannot reach the package index https:\/\/download\.pytorch\.org\/whl\/cpu to install PyTorch \(connection refused\)\. .*srlm\.setup\.torchIndexUrl/,
  );
  const dns = distillPipError(PIP.dns, 'the training engine');
  assert.equal(dns.kind, 'network');
  assert.match(dns.message, /pip's package index .*the host name does not resolve/);
  const disk = distillPipError(PIP.disk, 'PyTorch');
  assert.equal(disk.kind, 'disk');
  assert.match(disk.message, /the disk is full \(writing \/home\/u\/.*libtorch_cpu\.so\)\. Free some space/);
  assert.equal(distillPipError(PIP.managed, 'PyTorch').kind, 'externally-managed');
  const noMatch = distillPipError(PIP.noMatch, 'PyTorch', 'https://download.pytorch.org/whl/cpu');
  assert.equal(noMatch.kind, 'no-match');
  assert.match(noMatch.message, /has no release of torch==2\.1\.0 that fits \(it has: .*2\.13\.0\)/);
  const none = distillPipError('ERROR: No matching distribution found for torch (from versions: none)', 'PyTorch');
  assert.match(none.message, /is the index reachable/);
  const venv = distillPipError(PIP.noVenv, 'the environment');
  assert.equal(venv.kind, 'no-venv');
  assert.match(venv.message, /sudo apt install python3\.12-venv/);
  const perm = distillPipError(PIP.permission, 'PyTorch');
  assert.equal(perm.kind, 'permission');
  assert.match(perm.message, /permission denied writing \/usr\/lib\/python3\/dist-packages\/torch/);
  assert.equal(distillPipError(PIP.noPip, 'PyTorch').kind, 'no-pip');
  const other = distillPipError(PIP.other, 'the training engine');
  assert.equal(other.kind, 'other');
  assert.equal(other.message, 'installing the training engine failed: ERROR: Failed building wheel for something');
});

test('the base Python: the first that is 3.10+ with venv; else why none fits', () => {
  const ok = parseBaseProbe('/usr/bin/python3.12', '{"version": "3.12.3", "venv": true, "ensurepip": true}\n');
  const old = parseBaseProbe('/usr/bin/python3', '{"version": "3.8.10", "venv": true, "ensurepip": true}');
  const noVenv = parseBaseProbe('/usr/bin/python3.11', '{"version": "3.11.2", "venv": true, "ensurepip": false}');
  const broken = parseBaseProbe('/opt/x/python3', 'Segmentation fault');
  assert.deepEqual(broken, { python: '/opt/x/python3' });
  assert.deepEqual(pickBasePython([old, ok], false), { python: '/usr/bin/python3.12', version: '3.12.3' });
  const e1 = pickBasePython([old], false);
  assert.ok('error' in e1);
  assert.match(e1.error, /needs Python 3\.10 or newer; the only Python found is 3\.8\.10 \(\/usr\/bin\/python3\)/);
  const e2 = pickBasePython([old, noVenv], false);
  assert.ok('error' in e2);
  assert.match(
    e2.error,
    /python3\.11 \(Python 3\.11\.2\) cannot create virtual environments.*apt install python3\.11-venv/,
  );
  const e3 = pickBasePython([], false);
  assert.ok('error' in e3);
  assert.match(e3.error, /^no Python 3\.10 or newer found on PATH/);
  const e4 = pickBasePython([broken], true);
  assert.ok('error' in e4);
  assert.match(e4.error, /did not run as Python/);
});

const want: SetupWant = {
  python: '/g/python/venv/bin/python',
  managed: true,
  torch: { tag: 'cpu', requirement: TORCH_REQUIREMENT, indexUrl: 'https://download.pytorch.org/whl/cpu' },
  engine: { wheel: 'srlm_engine-0.1.0-py3-none-any.whl', sha256: 'a'.repeat(64) },
};
const done: SetupMarker = {
  version: 1,
  python: want.python,
  managed: true,
  pythonVersion: '3.12.3',
  torch: { ...want.torch, installed: '2.13.0+cpu', cuda: null },
  engine: { ...want.engine, version: '0.1.0' },
  finished: '2026-12-02T10:00:00.000Z',
};

test('the marker decides what a run must do: everything, nothing, only the engine, only torch', () => {
  assert.deepEqual(planSetup(undefined, want, false).steps, [
    'create-env',
    'install-torch',
    'install-engine',
    'verify',
  ]);
  assert.deepEqual(planSetup(undefined, want, true).steps, ['install-torch', 'install-engine', 'verify']);
  assert.deepEqual(planSetup(done, want, true).steps, ['verify'], 'all in place: only the quick check');
  const update = planSetup(
    done,
    { ...want, engine: { wheel: 'srlm_engine-0.2.0-py3-none-any.whl', sha256: 'b'.repeat(64) } },
    true,
  );
  assert.deepEqual(update.steps, ['install-engine', 'verify'], 'an extension update reinstalls only the engine');
  assert.match(update.why['install-engine']!, /0\.1\.0.*→.*0\.2\.0/);
  const gpu = planSetup(
    done,
    { ...want, torch: { ...want.torch, tag: 'cu128', indexUrl: 'https://download.pytorch.org/whl/cu128' } },
    true,
  );
  assert.deepEqual(gpu.steps, ['install-torch', 'verify']);
  assert.equal(gpu.replaceTorch, true, 'CPU and CUDA builds share version numbers: the install must replace');
  const pinned = planSetup(done, { ...want, torch: { ...want.torch, requirement: 'torch==2.13.0' } }, true);
  assert.deepEqual(pinned.steps, ['install-torch', 'verify']);
  assert.equal(pinned.replaceTorch, false);
  assert.deepEqual(planSetup(done, { ...want, python: '/usr/bin/python3', managed: false }, true).steps, [
    'install-torch',
    'install-engine',
    'verify',
  ]);
  assert.throws(() => planSetup(undefined, { ...want, managed: false }, false), /does not exist/);
});

test("torch requirement: the engine's floor from pyproject.toml, a pinned version, or a specifier", () => {
  const pyproject = fs.readFileSync(path.join(root, 'runtime', 'python', 'pyproject.toml'), 'utf8');
  const floor = /"(torch[^"]*)"/.exec(pyproject)?.[1];
  assert.equal(floor, TORCH_REQUIREMENT);
  assert.equal(torchRequirement(undefined), TORCH_REQUIREMENT);
  assert.equal(torchRequirement(' 2.13.0 '), 'torch==2.13.0');
  assert.equal(torchRequirement('>=2.6,<2.14'), 'torch>=2.6,<2.14');
});

test('where the environment lives on each platform, and the wheel an installation carries', () => {
  assert.equal(defaultEnvDir({ SRLM_ENV_DIR: '/x/env' }, 'linux', '/home/u'), '/x/env');
  assert.equal(defaultEnvDir({}, 'linux', '/home/u'), '/home/u/.local/share/srlm-studio/python');
  assert.equal(defaultEnvDir({ XDG_DATA_HOME: '/d' }, 'linux', '/home/u'), '/d/srlm-studio/python');
  assert.equal(defaultEnvDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/srlm-studio/python');
  assert.equal(
    defaultEnvDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'),
    'C:\\Users\\u\\AppData\\Local\\srlm-studio\\python',
  );
  assert.equal(managedPython('C:\\s\\python', 'win32'), 'C:\\s\\python\\venv\\Scripts\\python.exe');
  assert.equal(managedPython('/s/python', 'linux'), '/s/python/venv/bin/python');
  const inst = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-inst-'));
  try {
    assert.equal(findEngineWheel(inst), undefined);
    fs.mkdirSync(path.join(inst, 'dist', 'engine'), { recursive: true });
    fs.writeFileSync(path.join(inst, 'dist', 'engine', 'srlm_engine-0.1.0-py3-none-any.whl'), '');
    assert.equal(findEngineWheel(inst), path.join(inst, 'dist', 'engine', 'srlm_engine-0.1.0-py3-none-any.whl'));
  } finally {
    fs.rmSync(inst, { recursive: true, force: true });
  }
});

test("the CLI's step lines read back in the editor's progress; pip's lines are not steps", () => {
  const line = formatStepLine({ index: 2, total: 4, text: 'installing PyTorch (CPU build) from https://x/cpu' });
  assert.equal(line, '[2/4] installing PyTorch (CPU build) from https://x/cpu');
  assert.deepEqual(parseStepLine(`${line}\n`), {
    index: 2,
    total: 4,
    text: 'installing PyTorch (CPU build) from https://x/cpu',
  });
  assert.equal(parseStepLine('    Collecting transformers>=4.51'), undefined);
  assert.equal(parseStepLine('srlm setup: cannot reach the package index'), undefined);
});

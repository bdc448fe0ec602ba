// `srlm setup` outside a repository, as a process: it installs the engine wheel into a fresh virtual environment,
// verifies it, is a no-op the second time, reinstalls only the engine when the wheel changes, and fails with one
// message when Python or the index is missing, or when cancelled. No network: pip is told to use no index (or a
// closed local port), and PyTorch and the engine's packages come from the project environment through a path
// file, so nothing is downloaded and torch is not reinstalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../e2e/codeServer';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'srlm.js');
const venvPython = path.join(root, '.venv', 'bin', 'python');

/** A user's shell with pip cut off from every index and from this machine's pip configuration. */
function offlineEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PIP_CONFIG_FILE: os.devNull,
    PIP_NO_INDEX: '1',
    PIP_RETRIES: '0',
    PYTHONDONTWRITEBYTECODE: '1',
    ...extra,
  };
  for (const k of [
    'PYTHONPATH',
    'SRLM_PYTHON',
    'SRLM_ENV_DIR',
    'PIP_FIND_LINKS',
    'PIP_EXTRA_INDEX_URL',
    'PIP_INDEX_URL',
  ])
    if (!(k in extra)) delete env[k];
  return env;
}

function srlmSetup(args: string[], env: NodeJS.ProcessEnv) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, 'setup', ...args], { env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

function buildWheel(out: string, note?: string): string {
  const src = path.join(out, 'src');
  fs.cpSync(path.join(root, 'runtime', 'python'), src, {
    recursive: true,
    filter: (f) => !/(^|[\\/])(build|tests|__pycache__|[^\\/]*\.egg-info|\.pytest_cache)$/.test(f),
  });
  if (note) fs.appendFileSync(path.join(src, 'srlm_engine', '__init__.py'), `# ${note}\n`);
  const wheels = path.join(out, 'wheels');
  execFileSync(venvPython, ['-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', wheels, src], {
    stdio: 'ignore',
  });
  return path.join(
    wheels,
    fs.readdirSync(wheels).find((f) => f.endsWith('.whl'))!,
  );
}

const haveVenv = fs.existsSync(venvPython);

/** `srlm setup` arguments for a CPU PyTorch from `index` into `envDir`. */
const cpuSetupFrom = (index: string, envDir: string, wheel: string) => [
  '--env-dir',
  envDir,
  '--torch',
  'cpu',
  '--torch-index-url',
  index,
  '--engine-wheel',
  wheel,
];

test(
  'srlm setup installs the engine wheel into a fresh environment, keeps torch, and a second run does nothing',
  { skip: !haveVenv && 'no .venv python (run scripts/setup-python.sh)', timeout: 300_000 },
  () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-setup-'));
    try {
      const wheel = buildWheel(path.join(tmp, 'w1'));
      // The environment's folder already holds a fresh venv (with pip) that sees the project environment's
      // packages through a path file: its own site-packages has nothing, not even the engine.
      const envDir = path.join(tmp, 'global storage', 'python');
      const venv = path.join(envDir, 'venv');
      execFileSync(venvPython, ['-m', 'venv', venv], { stdio: 'ignore' });
      const python = path.join(venv, 'bin', 'python');
      // Python 3.11's venv brings an old setuptools of its own, which would shadow the newer one torch needs.
      execFileSync(python, ['-m', 'pip', 'uninstall', '-q', '-y', 'setuptools'], {
        stdio: 'ignore',
        env: offlineEnv(),
      });
      const site = (p: string) =>
        execFileSync(p, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], {
          encoding: 'utf8',
        }).trim();
      fs.writeFileSync(path.join(site(python), 'srlm_test_deps.pth'), `${site(venvPython)}\n`);

      const args = ['--env-dir', envDir, '--torch', 'cpu', '--engine-wheel', wheel, '--json'];
      const first = srlmSetup(args, offlineEnv());
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /\[1\/3\] PyTorch 2\.\d+\.\d+\S* is already installed \(CPU build\); keeping it/);
      assert.match(first.stderr, /\[2\/3\] installing the training engine \(srlm_engine-0\.1\.0-py3-none-any\.whl\)/);
      assert.match(first.stderr, /\[3\/3\] checking that the engine runs/);
      const result = JSON.parse(first.stdout) as {
        python: string;
        upToDate: boolean;
        torch: { tag: string; installed: string; cuda: string | null };
        engine: { version: string; sha256: string };
      };
      assert.equal(result.python, python);
      assert.equal(result.upToDate, false);
      assert.equal(result.torch.tag, 'cpu');
      assert.equal(result.torch.cuda, null);
      assert.equal(result.engine.version, '0.1.0');
      assert.ok(fs.existsSync(path.join(envDir, 'setup.json')), 'the marker is written');
      const where = execFileSync(python, ['-c', 'import srlm_engine; print(srlm_engine.__file__)'], {
        encoding: 'utf8',
        env: offlineEnv(),
        cwd: tmp,
      }).trim();
      assert.ok(where.startsWith(site(python)), `the engine imports from the new environment, not ${where}`);

      const again = srlmSetup(args, offlineEnv());
      assert.equal(again.code, 0, again.stderr);
      assert.equal((JSON.parse(again.stdout) as { upToDate: boolean }).upToDate, true);
      assert.doesNotMatch(again.stderr, /installing|PyTorch/);
      assert.match(again.stderr, /^\[1\/1\] checking that the engine runs$/m);
      console.log(`# setup: first run ${first.ms} ms, second run ${again.ms} ms`);
      assert.ok(again.ms < first.ms, `the second run (${again.ms} ms) is faster than the first (${first.ms} ms)`);

      // The extension updates with a new engine wheel of the same version: only the engine is reinstalled.
      const wheel2 = buildWheel(path.join(tmp, 'w2'), 'rebuilt for the update test');
      const update = srlmSetup(
        ['--env-dir', envDir, '--torch', 'cpu', '--engine-wheel', wheel2, '--json'],
        offlineEnv(),
      );
      assert.equal(update.code, 0, update.stderr);
      assert.doesNotMatch(update.stderr, /PyTorch/);
      assert.match(update.stderr, /\[1\/2\] installing the training engine .*the engine wheel changed/);
      assert.notEqual((JSON.parse(update.stdout) as typeof result).engine.sha256, result.engine.sha256);
      assert.match(
        fs.readFileSync(path.join(site(python), 'srlm_engine', '__init__.py'), 'utf8'),
        /rebuilt for the update test/,
      );

      // An environment the marker calls complete but that fails its check (the engine removed by hand) is set up
      // again instead of being reported as ready or sending the user in a circle ("run srlm setup").
      fs.rmSync(path.join(site(python), 'srlm_engine'), { recursive: true, force: true });
      const repair = srlmSetup(
        ['--env-dir', envDir, '--torch', 'cpu', '--engine-wheel', wheel2, '--json'],
        offlineEnv(),
      );
      assert.equal(repair.code, 0, repair.stderr);
      assert.match(
        repair.stderr,
        /failed its check \(the engine does not start in .*No module named srlm_engine\); setting it up again/,
      );
      assert.match(repair.stderr, /installing the training engine/);
      assert.equal((JSON.parse(repair.stdout) as { upToDate: boolean }).upToDate, false);

      // `srlm run`'s own search finds the set-up environment through SRLM_ENV_DIR (the integrated terminal's case).
      // The CLI bundle alone, outside the repository, as the npm package or a VSIX holds it: no .venv around it.
      const lone = path.join(tmp, 'installed', 'srlm.js');
      fs.mkdirSync(path.dirname(lone));
      fs.copyFileSync(cli, lone);
      const check = spawnSync(process.execPath, [lone, 'setup', '--check'], {
        env: offlineEnv({ SRLM_ENV_DIR: envDir, PATH: '/nonexistent' }),
        cwd: tmp,
        encoding: 'utf8',
      });
      assert.equal(check.status, 0, check.stderr);
      assert.equal(
        check.stdout.trim(),
        `ready: ${python} (Python ${check.stdout.match(/Python (\S+),/)?.[1]}, engine 0.1.0, PyTorch found)`,
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test(
  'srlm setup creates the environment, and an unreachable index ends in one message and no marker',
  { timeout: 180_000 },
  async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-setup-'));
    try {
      const wheel = path.join(tmp, 'srlm_engine-0.1.0-py3-none-any.whl');
      fs.writeFileSync(wheel, 'not used: the set-up stops before the engine');
      const envDir = path.join(tmp, 'env');
      const port = await freePort(); // closed again: connections are refused
      const r = srlmSetup(
        cpuSetupFrom(`http://127.0.0.1:${port}/simple`, envDir, wheel),
        offlineEnv({ PIP_NO_INDEX: undefined, PIP_RETRIES: '1' }),
      );
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /\[1\/4\] creating a Python 3\.\d+\.\d+ environment in /);
      assert.match(
        r.stderr,
        /\[2\/4\] installing PyTorch \(CPU build \(srlm\.setup\.torch = cpu\)\) from http:\/\/127\.0\.0\.1/,
      );
      assert.match(
        r.stderr.trim().split('\n').pop()!,
        new RegExp(
          `^srlm setup: cannot reach the package index http://127\\.0\\.0\\.1:${port}/simple to install PyTorch \\(connection refused\\)\\.`,
        ),
      );
      assert.ok(fs.existsSync(path.join(envDir, 'venv', 'bin', 'python')), 'the environment itself was made');
      assert.ok(!fs.existsSync(path.join(envDir, 'setup.json')), 'no marker for an unfinished set-up');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test('srlm setup names the Python that is too old, and a missing engine wheel', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-setup-'));
  try {
    const old = path.join(tmp, 'python3.8');
    fs.writeFileSync(old, `#!/bin/sh\necho '{"version": "3.8.10", "venv": true, "ensurepip": true}'\n`, {
      mode: 0o755,
    });
    const wheel = path.join(tmp, 'srlm_engine-0.1.0-py3-none-any.whl');
    fs.writeFileSync(wheel, '');
    const r = srlmSetup(
      ['--env-dir', path.join(tmp, 'env'), '--torch', 'cpu', '--python', old, '--engine-wheel', wheel],
      offlineEnv(),
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /srlm setup: the training engine needs Python 3\.10 or newer; the chosen Python found is 3\.8\.10/,
    );
    const noWheel = srlmSetup(
      ['--env-dir', path.join(tmp, 'env'), '--engine-wheel', path.join(tmp, 'none.whl')],
      offlineEnv(),
    );
    assert.equal(noWheel.code, 1);
    assert.match(noWheel.stderr, /^srlm setup: no engine wheel at .*none\.whl$/m);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('cancelling srlm setup (SIGTERM) ends pip too and says so', { timeout: 120_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-setup-'));
  // An index that accepts connections and never answers: pip waits on it until cancelled.
  const net = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  try {
    const wheel = path.join(tmp, 'srlm_engine-0.1.0-py3-none-any.whl');
    fs.writeFileSync(wheel, '');
    const envDir = path.join(tmp, 'env');
    const child = spawn(
      process.execPath,
      [cli, 'setup', ...cpuSetupFrom(`http://127.0.0.1:${port}/simple`, envDir, wheel)],
      { env: offlineEnv({ PIP_NO_INDEX: undefined, PIP_DEFAULT_TIMEOUT: '100' }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const deadline = Date.now() + 90_000;
    while (!(stderr.includes('installing PyTorch') && sockets.length > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    assert.ok(sockets.length > 0, `pip reached the index: ${stderr}`);
    const pipRunning = () =>
      spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
        .stdout.split('\n')
        .some((l) => l.includes(envDir) && l.includes('pip'));
    assert.ok(pipRunning(), 'pip runs');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 1);
    assert.match(stderr, /srlm setup: set-up cancelled; run it again to finish/);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!pipRunning(), 'pip ended with the set-up');
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

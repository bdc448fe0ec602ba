// The engine as users install it: a wheel built from runtime/python, installed into a fresh virtual environment
// outside the repository, runs a plan through `python -m srlm_engine` and through the CLI. Nothing here may read
// the repository's engine sources: the run happens in a temporary folder with no PYTHONPATH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compilePlan } from '../../runtime/src/plan/compile';
import { root } from './helpers';

const venvPython = path.join(root, '.venv', 'bin', 'python');
const cli = path.join(root, 'dist', 'srlm.js');

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts, timeout: 180_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The environment of a user's shell: no PYTHONPATH that could reach the repository's sources. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SRLM_MIN_FREE_MB: '0', PYTHONDONTWRITEBYTECODE: '1' };
  delete env.PYTHONPATH;
  delete env.SRLM_PYTHON;
  return env;
}

const pipeline = (assets: string) => `pipeline wheel_check {
  seed = 3
  device = cpu
  model m { source = "${assets}/models/tiny-student"  weights = random }
  dataset train { builtin = arithmetic  limit = 32 }
  dataset test { builtin = arithmetic  split = test  limit = 4 }
  stage sft s { init = m  data = train  steps = 2  batch_size = 4  max_len = 64 }
  eval e { data = test  max_new_tokens = 8  before = false }
}
`;

test(
  'the engine wheel installs into a fresh environment and runs a plan by itself and under srlm run',
  { skip: !fs.existsSync(venvPython) && 'no .venv python (run scripts/setup-python.sh)', timeout: 400_000 },
  async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-wheel-'));
    try {
      // Build from a copy, as a source distribution would: setuptools writes build/ and *.egg-info beside the
      // sources, which must not land in the checkout. The pyproject's own backend, the test environment's
      // setuptools (no download).
      const src = path.join(tmp, 'src');
      fs.cpSync(path.join(root, 'runtime', 'python'), src, {
        recursive: true,
        filter: (f) => !/(^|[\\/])(build|__pycache__|[^\\/]*\.egg-info|\.pytest_cache)$/.test(f),
      });
      const wheels = path.join(tmp, 'wheels');
      run(
        venvPython,
        ['-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', wheels, 'runtime/python'],
        {
          cwd: root,
        },
      );
      const wheel = fs.readdirSync(wheels).find((f) => /^srlm_engine-.*\.whl$/.test(f));
      assert.ok(wheel, `no wheel in ${fs.readdirSync(wheels).join(', ')}`);
      const listing = run(venvPython, [
        '-c',
        'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))',
        path.join(wheels, wheel),
      ]);
      for (const f of [
        'srlm_engine/plan.schema.json',
        'srlm_engine/assets/models/tiny-student/config.json',
        'srlm_engine/assets/tokenizer/tokenizer.json',
      ])
        assert.ok(listing.split('\n').includes(f), `${f} is not in the wheel`);
      assert.ok(!listing.includes('tests/'), 'the wheel carries the test suite');

      // A fresh environment outside the repository. Its dependencies (torch, transformers, …) come from the test
      // environment's site-packages through a path file, which adds that folder without running its .pth hooks,
      // so the repository's editable install of the engine stays out of reach.
      const env = path.join(tmp, 'env');
      run(venvPython, ['-m', 'venv', '--without-pip', env]);
      const python = path.join(env, 'bin', 'python');
      const [sitePackages, depsSite] = run(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])
        .trim()
        .split('\n')
        .concat(run(venvPython, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).trim());
      fs.writeFileSync(path.join(sitePackages!, 'srlm_test_deps.pth'), `${depsSite}\n`);
      run(venvPython, ['-m', 'pip', '--python', python, 'install', '-q', '--no-deps', path.join(wheels, wheel)]);
      const where = run(
        python,
        ['-c', 'import srlm_engine, srlm_engine.assets as a; print(srlm_engine.__file__); print(a.ASSETS_DIR)'],
        {
          cwd: tmp,
          env: userEnv(),
        },
      )
        .trim()
        .split('\n');
      assert.ok(
        where[0]!.startsWith(sitePackages!),
        `srlm_engine imported from ${where[0]}, not the fresh environment`,
      );
      const assets = where[1]!;

      // 1. The engine alone, on a plan compiled here.
      const srlm = path.join(tmp, 'wheel.srlm');
      fs.writeFileSync(srlm, pipeline(assets));
      const { plan } = await compilePlan({ file: srlm, workspace: tmp });
      fs.writeFileSync(path.join(tmp, 'plan.json'), JSON.stringify(plan));
      run(python, ['-m', 'srlm_engine', 'run', '--plan', 'plan.json', '--run-dir', 'run1'], {
        cwd: tmp,
        env: userEnv(),
      });
      const events = fs
        .readFileSync(path.join(tmp, 'run1', 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; status?: string });
      assert.equal(events.at(-1)?.type, 'run_finished');
      assert.equal(events.at(-1)?.status, 'completed');
      assert.ok(
        events.some((e) => e.type === 'eval'),
        'no eval event',
      );
      assert.ok(fs.existsSync(path.join(tmp, 'run1', 'checkpoints', 's', 'final', 'model.safetensors')));

      // 2. The CLI with that interpreter, as a user with a CUDA environment of their own would run it.
      const out = execFileSync(process.execPath, [cli, 'run', srlm, '--python', python, '--no-cache'], {
        cwd: tmp,
        env: userEnv(),
        encoding: 'utf8',
        timeout: 180_000,
      });
      assert.match(out, /completed/i);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);

// Builds the engine wheel that the VSIX carries (dist/engine/srlm_engine-<version>-py3-none-any.whl): what
// "SRLM: Set Up Python Environment" installs when no repository is around. Built from a copy of runtime/python,
// as test/runtime/engineWheel.test.ts does, so setuptools' build/ and *.egg-info never land in the checkout; with
// the project environment's setuptools (no build isolation, no download).
// Usage: node scripts/build-engine-wheel.mjs [OUT_DIR]   (Python: $PYTHON, else .venv/bin/python, else python3)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'engine'));
const venvPython = path.join(root, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : 'python3');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'srlm-engine-wheel-'));
try {
  const src = path.join(tmp, 'src');
  cpSync(path.join(root, 'runtime', 'python'), src, {
    recursive: true,
    filter: (f) => !/(^|[\\/])(build|tests|__pycache__|[^\\/]*\.egg-info|\.pytest_cache|\.ruff_cache)$/.test(f),
  });
  const wheels = path.join(tmp, 'wheels');
  execFileSync(python, ['-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', wheels, src], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const wheel = readdirSync(wheels).find((f) => /^srlm_engine-.*\.whl$/.test(f));
  if (!wheel) throw new Error(`pip wheel wrote no srlm_engine wheel into ${wheels}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(path.join(wheels, wheel), path.join(out, wheel));
  console.log(`engine wheel: ${path.relative(root, path.join(out, wheel))}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

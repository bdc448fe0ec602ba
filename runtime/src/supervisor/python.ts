// Finds the Python that runs the engine and checks it can, before any run folder or GPU time is spent.
// Order: an explicit choice (--python flag or the editor setting), SRLM_PYTHON, a `.venv` in the workspace or
// one of its parents, the `.venv` of this installation (what scripts/setup-python.sh creates), the environment
// `srlm setup` made outside a repository (runtime/src/setup; its folder from SRLM_ENV_DIR or the user data folder),
// then PATH.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPECTED_ENGINE_VERSION } from '../plan/types';
import { defaultEnvDir } from '../setup/layout';
import { setUpPython } from '../setup/marker';
import { isBatchFile, spawnCommand } from './spawnCommand';

export { EXPECTED_ENGINE_VERSION };

export const ENGINE_MODULE = 'srlm_engine';
export const MIN_PYTHON = [3, 10] as const;
/** Packages the engine imports at start besides torch (runtime/python/pyproject.toml), checked up front. */
export const ENGINE_PACKAGES = ['transformers', 'peft', 'safetensors'] as const;

export type PythonOrigin = 'flag' | 'env' | 'venv' | 'setup' | 'path';

export interface PythonChoice {
  readonly python: string;
  readonly origin: PythonOrigin;
}

export interface FindPythonOptions {
  /** --python flag or editor setting. */
  readonly explicit?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Folders whose `.venv` (in them or any parent) is tried, in order. */
  readonly searchFrom: readonly string[];
  /** Also try this installation's own `.venv` (default true). */
  readonly installVenv?: boolean;
}

/** Thrown when the engine cannot run; the message alone tells the user what to do. */
export class EngineSetupError extends Error {}

/** The folder holding this installation's package.json (the repository in development, the extension when installed). */
export function installRoot(): string | undefined {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    try {
      if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'srlm-studio') return dir;
    } catch {
      // not here; keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function venvPython(dir: string): string | undefined {
  const candidates =
    process.platform === 'win32'
      ? [path.join(dir, '.venv', 'Scripts', 'python.exe')]
      : [path.join(dir, '.venv', 'bin', 'python')];
  return candidates.find((p) => fs.existsSync(p));
}

/** PATH, read as Windows does (names are case-insensitive there, and a copied environment often says `Path`). */
export function pathVariable(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'win32') return env.PATH ?? '';
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return key === undefined ? '' : (env[key] ?? '');
}

function onPath(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const dirs = pathVariable(env).split(path.delimiter).filter(Boolean);
  for (const name of names) {
    for (const d of dirs) {
      const p = path.join(d, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

/** Every place looked, in order, for the "no Python" message. */
export function pythonSearchDescription(opts: FindPythonOptions): string {
  const venvDirs = venvSearchDirs(opts.searchFrom, opts.installVenv);
  return [
    '--python / the srlm.python setting',
    'SRLM_PYTHON',
    ...venvDirs.slice(0, 4).map((d) => path.join(d, '.venv')),
    ...(venvDirs.length > 4 ? ['(and the parents of those folders)'] : []),
    `the srlm setup environment in ${defaultEnvDir(opts.env)}`,
    'python3 and python on PATH',
  ].join(', ');
}

function venvSearchDirs(from: readonly string[], installVenv = true): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (d: string) => {
    if (!seen.has(d)) {
      seen.add(d);
      out.push(d);
    }
  };
  for (const start of from) {
    let dir = path.resolve(start);
    for (;;) {
      add(dir);
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  const root = installVenv ? installRoot() : undefined;
  if (root) add(root);
  return out;
}

export function findPython(opts: FindPythonOptions): PythonChoice | undefined {
  if (opts.explicit) return { python: opts.explicit, origin: 'flag' };
  if (opts.env.SRLM_PYTHON) return { python: opts.env.SRLM_PYTHON, origin: 'env' };
  for (const dir of venvSearchDirs(opts.searchFrom, opts.installVenv)) {
    const p = venvPython(dir);
    if (p) return { python: p, origin: 'venv' };
  }
  const setUp = setUpPython(defaultEnvDir(opts.env));
  if (setUp) return { python: setUp, origin: 'setup' };
  const p = onPath(process.platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3', 'python'], opts.env);
  return p ? { python: p, origin: 'path' } : undefined;
}

export interface EngineProbe {
  readonly python: string;
  readonly pythonVersion: string;
  readonly executable: string;
  readonly engineVersion?: string;
  readonly engineError?: string;
  readonly torch: boolean;
  /** Required packages besides torch that cannot be found. */
  readonly missing: readonly string[];
}

// find_spec instead of `import torch`: importing torch takes seconds, finding it milliseconds, and a broken
// torch install fails loudly at the engine's first line anyway, into engine.log.
const PROBE = [
  'import importlib.util, json, sys',
  'out = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}',
  'try:',
  `    import ${ENGINE_MODULE} as m`,
  '    out["engine"] = getattr(m, "__version__", None)',
  'except Exception as e:',
  '    out["engine_error"] = "%s: %s" % (type(e).__name__, e)',
  'try:',
  '    out["torch"] = importlib.util.find_spec("torch") is not None',
  'except Exception:',
  '    out["torch"] = False',
  'out["missing"] = []',
  `for name in ${JSON.stringify(ENGINE_PACKAGES)}:`,
  '    try:',
  '        found = importlib.util.find_spec(name) is not None',
  '    except Exception:',
  '        found = False',
  '    if not found:',
  '        out["missing"].append(name)',
  'print(json.dumps(out))',
].join('\n');

export function probeEngine(python: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<EngineProbe> {
  const c = spawnCommand(python, ['-c', PROBE]);
  const options = { env, timeout: timeoutMs, encoding: 'utf8' as const, windowsHide: true };
  return new Promise((resolve, reject) => {
    execFile(
      c.file,
      c.args,
      { ...options, windowsVerbatimArguments: c.windowsVerbatimArguments },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') reject(new EngineSetupError(`Python not found at ${python}`));
          else if (e.code === 'EACCES') reject(new EngineSetupError(`${python} is not executable`));
          else if (e.killed) reject(new EngineSetupError(`${python} did not answer within ${timeoutMs / 1000}s`));
          else
            reject(
              new EngineSetupError(`${python} failed to start: ${(stderr || e.message).trim().split('\n').pop()}`),
            );
          return;
        }
        try {
          const o = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
          resolve({
            python,
            pythonVersion: String(o.python),
            executable: String(o.executable),
            engineVersion: typeof o.engine === 'string' ? o.engine : undefined,
            engineError: typeof o.engine_error === 'string' ? o.engine_error : undefined,
            torch: o.torch === true,
            missing: Array.isArray(o.missing) ? o.missing.map(String) : [],
          });
        } catch {
          reject(
            new EngineSetupError(
              `${python} is not a Python interpreter this tool understands (output: ${stdout.slice(0, 200)})`,
            ),
          );
        }
      },
    );
  });
}

function majorMinor(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}

export function engineVersionMatches(found: string, expected = EXPECTED_ENGINE_VERSION): boolean {
  return majorMinor(found) === majorMinor(expected);
}

const SETUP_HINT =
  'Run `srlm setup` (in VS Code: "SRLM: Set Up Python Environment") to create an environment with PyTorch and the engine, or point --python / SRLM_PYTHON at a Python that has them.';

export interface CheckedEngine {
  readonly python: string;
  readonly origin: PythonOrigin;
  readonly engineVersion: string;
  readonly pythonVersion: string;
}

/** Finds and checks the engine's Python; every failure is one EngineSetupError saying what to do. */
export async function checkEngine(opts: FindPythonOptions & { expectedVersion?: string }): Promise<CheckedEngine> {
  const choice = findPython(opts);
  if (!choice)
    throw new EngineSetupError(`No Python found (looked at: ${pythonSearchDescription(opts)}). ${SETUP_HINT}`);
  const from = choice.origin === 'flag' ? ' (from --python)' : choice.origin === 'env' ? ' (from SRLM_PYTHON)' : '';
  let probe: EngineProbe;
  try {
    probe = await probeEngine(choice.python, opts.env);
  } catch (err) {
    throw new EngineSetupError(`${(err as Error).message}${from}. ${SETUP_HINT}`);
  }
  const [maj, min] = probe.pythonVersion.split('.').map(Number);
  if (maj! < MIN_PYTHON[0] || (maj === MIN_PYTHON[0] && min! < MIN_PYTHON[1])) {
    throw new EngineSetupError(
      `${choice.python}${from} is Python ${probe.pythonVersion}; the engine needs ${MIN_PYTHON.join('.')} or newer. ${SETUP_HINT}`,
    );
  }
  if (probe.engineVersion === undefined) {
    const why = probe.engineError ?? 'the package has no __version__';
    throw new EngineSetupError(
      `${choice.python}${from} cannot import the training engine ${ENGINE_MODULE} (${why}). ${SETUP_HINT}`,
    );
  }
  if (!probe.torch) {
    throw new EngineSetupError(
      `${choice.python}${from} has the engine but not PyTorch (no module named torch). ${SETUP_HINT}`,
    );
  }
  if (probe.missing.length > 0) {
    throw new EngineSetupError(
      `${choice.python}${from} has the engine but not the packages it needs: ${probe.missing.join(', ')}. ${SETUP_HINT}`,
    );
  }
  const expected = opts.expectedVersion ?? EXPECTED_ENGINE_VERSION;
  if (!engineVersionMatches(probe.engineVersion, expected)) {
    throw new EngineSetupError(
      `${choice.python}${from} has engine ${ENGINE_MODULE} ${probe.engineVersion}, but this srlm needs ${majorMinor(expected)}.x. Run \`srlm setup\` to install the engine from this installation, or point --python at the matching environment.`,
    );
  }
  return {
    // A batch-file shim (Windows) is resolved to the interpreter it runs, so that every later start (pull, data
    // check, the engine itself) is a plain process start, and the engine's pid is Python's, not cmd.exe's.
    python: isBatchFile(choice.python) ? probe.executable : choice.python,
    origin: choice.origin,
    engineVersion: probe.engineVersion,
    pythonVersion: probe.pythonVersion,
  };
}

// The environment manager behind `srlm setup` outside a repository: a virtual environment in the extension's
// storage (or the interpreter the user picked), PyTorch for this machine, the engine wheel this installation
// carries, and a check that the engine runs. The decisions are pure functions beside this file (torch-build,
// pip-errors, base-python, marker); this module runs the processes, in order, cancellably.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFsError } from '../store/fileIo';
import { checkEngine, EngineSetupError, ENGINE_MODULE } from '../supervisor/python';
import { BASE_PYTHON_PROBE, basePythonNames, parseBaseProbe, pickBasePython, type BasePythonProbe } from './basePython';
import { defaultEnvDir, managedPython } from './layout';
import {
  MARKER_FILE,
  planSetup,
  readMarker,
  writeMarker,
  type SetupMarker,
  type SetupStep,
  type SetupWant,
} from './marker';
import { distillPipError, type SetupFailureKind } from './pipErrors';
import { chooseTorchBuild, parseNvidiaSmi, TORCH_QUERY_ARGS, type TorchPreference } from './torchBuild';

/** The engine's torch floor (runtime/python/pyproject.toml; a test keeps them equal). */
export const TORCH_REQUIREMENT = 'torch>=2.6,<3';
/** What the engine is installed with: the inspector's ONNX export needs the `onnx` extra. */
export const ENGINE_EXTRAS = '[onnx]';

export { defaultEnvDir, managedPython };

/** One clear message; `kind` lets the editor pick its buttons. */
export class SetupError extends Error {
  constructor(
    message: string,
    readonly kind: SetupFailureKind | 'cancelled' | 'no-python' | 'no-wheel' | 'verify',
  ) {
    super(message);
  }
}

/** The engine wheel an installation carries (dist/engine/, written when the VSIX is packaged). */
export function findEngineWheel(installRoot: string | undefined): string | undefined {
  if (!installRoot) return undefined;
  const dir = path.join(installRoot, 'dist', 'engine');
  try {
    const wheels = fs.readdirSync(dir).filter((f) => /^srlm_engine-.*\.whl$/.test(f));
    return wheels.length > 0 ? path.join(dir, wheels.sort().at(-1)!) : undefined;
  } catch {
    return undefined;
  }
}

export function torchRequirement(version: string | undefined): string {
  const v = version?.trim();
  if (!v) return TORCH_REQUIREMENT;
  return /^[0-9]/.test(v) ? `torch==${v}` : `torch${v}`;
}

export interface SetupOptions {
  readonly envDir: string;
  /** Create the environment from this Python (default: the newest fitting python3.x on PATH). */
  readonly basePython?: string;
  /** Install into this interpreter instead of creating an environment (the Python extension's pick). */
  readonly usePython?: string;
  readonly systemSitePackages?: boolean;
  readonly torch: TorchPreference;
  /** Empty: PyTorch's index for the build; `pip`: pip's configuration; else a URL. */
  readonly torchIndex?: string;
  /** A version (`2.13.0`) or specifier (`>=2.6,<2.14`); empty: the engine's range. */
  readonly torchVersion?: string;
  readonly engineWheel: string;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** A numbered step starts ("installing PyTorch (cpu) …"). */
  readonly onStep: (index: number, total: number, text: string) => void;
  /** A line of pip's or Python's output. */
  readonly onLog: (line: string) => void;
  /** `nvidia-smi` CSV output; default runs nvidia-smi (absent → no GPU). */
  readonly detectGpu?: () => Promise<string | undefined>;
}

export interface SetupResult {
  readonly python: string;
  readonly marker: SetupMarker;
  /** Nothing had to be installed. */
  readonly upToDate: boolean;
  readonly steps: readonly SetupStep[];
}

interface Ran {
  code: number;
  output: string;
}

function run(cmd: string, args: readonly string[], o: SetupOptions, timeoutMs = 0): Promise<Ran> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new SetupError('set-up cancelled', 'cancelled'));
    const child = spawn(cmd, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    const onData = (b: Buffer) => {
      const s = b.toString();
      output += s;
      pending += s;
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) o.onLog(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let cancelled = false;
    const kill = () => {
      cancelled = true;
      child.kill('SIGTERM');
      // pip ignores SIGTERM while it unpacks; it must not outlive the cancelled set-up.
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 3000).unref();
    };
    o.signal?.addEventListener('abort', kill, { once: true });
    const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
      resolve({ code: err.code === 'ENOENT' ? 127 : 126, output: `${output}${String(err)}` });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
      if (pending.trim()) o.onLog(pending);
      if (cancelled) reject(new SetupError('set-up cancelled; run it again to finish', 'cancelled'));
      else resolve({ code: code ?? 1, output });
    });
  });
}

async function pythonJson(python: string, code: string, o: SetupOptions): Promise<Record<string, unknown> | undefined> {
  const r = await run(python, ['-c', code], { ...o, onLog: () => undefined }, 120_000);
  if (r.code !== 0) return undefined;
  try {
    return JSON.parse(r.output.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function findBasePython(o: SetupOptions): Promise<{ python: string; version: string }> {
  const candidates: string[] = [];
  if (o.basePython) candidates.push(o.basePython);
  else {
    const seen = new Set<string>();
    for (const dir of (o.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      for (const name of basePythonNames()) {
        const p = path.join(dir, name);
        try {
          fs.accessSync(p, fs.constants.X_OK);
          const real = fs.realpathSync(p);
          if (!seen.has(real)) {
            seen.add(real);
            candidates.push(p);
          }
        } catch {
          // not there
        }
      }
    }
    // Newest first, whatever PATH order found them in.
    candidates.sort(
      (a, b) => basePythonNames().indexOf(path.basename(a)) - basePythonNames().indexOf(path.basename(b)),
    );
  }
  const probes: BasePythonProbe[] = [];
  for (const c of candidates.slice(0, 8)) {
    const r = await run(c, ['-c', BASE_PYTHON_PROBE], { ...o, onLog: () => undefined }, 30_000);
    const probe = r.code === 0 ? parseBaseProbe(c, r.output) : { python: c };
    probes.push(probe);
    const pick = pickBasePython([probe], o.basePython !== undefined);
    if ('python' in pick) return pick;
  }
  const pick = pickBasePython(probes, o.basePython !== undefined);
  if ('error' in pick) throw new SetupError(pick.error, 'no-python');
  return pick;
}

async function detectGpu(o: SetupOptions): Promise<string | undefined> {
  if (o.detectGpu) return o.detectGpu();
  const r = await run('nvidia-smi', TORCH_QUERY_ARGS, { ...o, onLog: () => undefined }, 20_000).catch(() => undefined);
  return r && r.code === 0 ? r.output : undefined;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

const TORCH_PROBE = [
  'import json',
  'try:',
  '    import torch',
  '    print(json.dumps({"version": torch.__version__, "cuda": torch.version.cuda}))',
  'except Exception as e:',
  '    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))',
].join('\n');

/** Is an installed torch acceptable as is: it satisfies the requirement and is the wanted build? */
function torchFitsProbe(requirement: string, tag: string): string {
  return [
    'import json, importlib.metadata as md',
    'try:',
    '    from pip._vendor.packaging.requirements import Requirement',
    '    v = md.version("torch")',
    `    ok = Requirement(${JSON.stringify(requirement)}).specifier.contains(v.split("+")[0], prereleases=True)`,
    '    import torch',
    `    ok = ok and ((torch.version.cuda is None) == (${JSON.stringify(tag)} == "cpu"))`,
    '    print(json.dumps({"fits": bool(ok), "version": v}))',
    'except Exception as e:',
    '    print(json.dumps({"fits": False}))',
  ].join('\n');
}

function pipArgs(...args: string[]): string[] {
  return ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', ...args];
}

/**
 * Creates or updates the environment; every failure is one SetupError. An environment the marker calls complete
 * that fails its check (a package removed by hand, a broken interpreter) is set up again once, from scratch.
 */
export async function setUpEnvironment(o: SetupOptions): Promise<SetupResult> {
  try {
    return await setUp(o);
  } catch (err) {
    if (!(err instanceof RecheckFailed)) throw err;
    o.onLog(`the environment in ${o.envDir} failed its check (${err.failure.message}); setting it up again`);
    fs.rmSync(path.join(o.envDir, MARKER_FILE), { force: true });
    return setUp(o);
  }
}

/** The quick check of an environment the marker called complete failed. */
class RecheckFailed extends Error {
  constructor(readonly failure: SetupError) {
    super(failure.message);
  }
}

async function setUp(o: SetupOptions): Promise<SetupResult> {
  try {
    fs.mkdirSync(o.envDir, { recursive: true });
  } catch (err) {
    throw new SetupError(describeFsError(err, 'cannot create the environment folder'), 'disk');
  }
  const managed = o.usePython === undefined;
  const python = o.usePython ?? managedPython(o.envDir);
  const gpu = parseNvidiaSmi(o.torch === 'cpu' ? undefined : await detectGpu(o));
  const build = chooseTorchBuild(gpu, o.torch, o.torchIndex);
  const want: SetupWant = {
    python,
    managed,
    torch: { tag: build.tag, requirement: torchRequirement(o.torchVersion), indexUrl: build.indexUrl ?? null },
    engine: { wheel: path.basename(o.engineWheel), sha256: sha256(o.engineWheel) },
  };
  const marker = readMarker(o.envDir);
  if (!managed && !fs.existsSync(python)) throw new SetupError(`${python} does not exist`, 'no-python');
  const plan = planSetup(marker, want, fs.existsSync(python));
  const total = plan.steps.length;
  let step = 0;
  const begin = (text: string) => o.onStep(++step, total, text);
  const torchInfo: { installed: string; cuda: string | null } | undefined =
    marker && !plan.steps.includes('install-torch')
      ? { installed: marker.torch.installed, cuda: marker.torch.cuda }
      : undefined;

  if (plan.steps.includes('create-env')) {
    const base = await findBasePython(o);
    const venv = path.join(o.envDir, 'venv');
    begin(`creating a Python ${base.version} environment in ${venv}`);
    const args = ['-m', 'venv', ...(o.systemSitePackages ? ['--system-site-packages'] : []), venv];
    let r: Ran;
    try {
      r = await run(base.python, args, o, 300_000);
    } catch (err) {
      fs.rmSync(venv, { recursive: true, force: true });
      throw err;
    }
    if (r.code !== 0 || !fs.existsSync(python)) {
      // A half-made environment (no pip) would fail every later run: remove it so the next try starts clean.
      fs.rmSync(venv, { recursive: true, force: true });
      throw new SetupError(distillPipError(r.output, 'the environment').message, 'no-venv');
    }
  }

  if (plan.steps.includes('install-torch')) {
    const fits = plan.replaceTorch
      ? undefined
      : await pythonJson(python, torchFitsProbe(want.torch.requirement, build.tag), o);
    if (fits?.fits === true) {
      begin(
        `PyTorch ${String(fits.version)} is already installed (${build.tag === 'cpu' ? 'CPU' : 'CUDA'} build); keeping it`,
      );
    } else {
      const from = build.indexUrl ? ` from ${build.indexUrl}` : '';
      begin(`installing PyTorch (${build.reason})${from}`);
      const args = [want.torch.requirement];
      if (build.indexUrl) args.push('--index-url', build.indexUrl);
      if (plan.replaceTorch) args.push('--force-reinstall', '--no-deps');
      const r = await run(python, pipArgs(...args), o);
      if (r.code !== 0) throw toSetupError(r.output, 'PyTorch', build.indexUrl);
    }
  }

  if (plan.steps.includes('install-engine')) {
    begin(
      `installing the training engine (${want.engine.wheel}) and its packages${plan.why['install-engine'] ? `: ${plan.why['install-engine']}` : ''}`,
    );
    // Replace the engine alone first: after an extension update the wheel may keep its version number with new
    // contents, which pip would call satisfied. The second call adds the packages it needs (by name, so pip
    // resolves them whether or not the engine was there before) and leaves torch as it is.
    const replaced = await run(python, pipArgs('--force-reinstall', '--no-deps', o.engineWheel), o);
    if (replaced.code !== 0) throw toSetupError(replaced.output, 'the training engine');
    const version = /^srlm_engine-([^-]+)-/.exec(path.basename(o.engineWheel))?.[1];
    const named = `srlm-engine${ENGINE_EXTRAS}${version ? `==${version}` : ''}`;
    const r = await run(python, pipArgs(named, '--find-links', path.dirname(o.engineWheel)), o);
    if (r.code !== 0) throw toSetupError(r.output, 'the packages of the training engine');
  }

  begin('checking that the engine runs');
  let checked: Verified;
  try {
    checked = await verify(python, o, torchInfo);
  } catch (err) {
    throw err instanceof SetupError && err.kind === 'verify' && total === 1 ? new RecheckFailed(err) : err;
  }
  const done: SetupMarker = {
    version: 1,
    python,
    managed,
    pythonVersion: checked.pythonVersion,
    torch: { ...want.torch, ...checked.torch },
    engine: { ...want.engine, version: checked.engineVersion },
    finished: new Date().toISOString(),
  };
  try {
    writeMarker(o.envDir, done);
  } catch (err) {
    throw new SetupError(describeFsError(err, 'cannot record the finished set-up'), 'disk');
  }
  return { python, marker: done, upToDate: total === 1, steps: plan.steps };
}

interface Verified {
  engineVersion: string;
  pythonVersion: string;
  torch: { installed: string; cuda: string | null };
}

/** `python -m srlm_engine version`, the check `srlm run` makes, and torch's version when not known yet. */
async function verify(
  python: string,
  o: SetupOptions,
  torch: { installed: string; cuda: string | null } | undefined,
): Promise<Verified> {
  const version = await run(python, ['-m', ENGINE_MODULE, 'version'], { ...o, onLog: () => undefined }, 120_000);
  let engineVersion: string | undefined;
  try {
    engineVersion = String((JSON.parse(version.output.trim().split('\n').pop() ?? '') as { version: string }).version);
  } catch {
    // reported below
  }
  if (version.code !== 0 || !engineVersion)
    throw new SetupError(
      `the engine does not start in ${python}: ${version.output.trim().split('\n').pop() ?? `exit ${version.code}`}`,
      'verify',
    );
  let pythonVersion: string;
  try {
    pythonVersion = (await checkEngine({ explicit: python, env: o.env, searchFrom: [] })).pythonVersion;
  } catch (err) {
    if (err instanceof EngineSetupError) throw new SetupError(err.message, 'verify');
    throw err;
  }
  if (!torch) {
    const t = await pythonJson(python, TORCH_PROBE, o);
    if (!t || typeof t.version !== 'string')
      throw new SetupError(`PyTorch does not import in ${python}: ${String(t?.error ?? 'no answer')}`, 'verify');
    torch = { installed: t.version, cuda: typeof t.cuda === 'string' ? t.cuda : null };
  }
  return { engineVersion, pythonVersion, torch };
}

function toSetupError(output: string, what: string, index?: string): SetupError {
  const f = distillPipError(output, what, index);
  return new SetupError(f.message, f.kind);
}

// `srlm setup`: creates or verifies the Python environment the engine runs in. In a repository checkout it runs
// scripts/setup-python.sh (the developer's .venv with the pinned test stack); in an installation (the VSIX, the
// npm package) — or with --env-dir / --use-python — the environment manager (runtime/src/setup) builds a virtual
// environment with PyTorch and the engine wheel this installation carries. Either way it ends with the check
// `srlm run` makes.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { checkEngine, EngineSetupError, installRoot } from '../../supervisor/python';
import { parse } from '../runArgs';
import { defaultEnvDir, findEngineWheel, SetupError, setUpEnvironment } from '../../setup/environment';
import { formatStepLine } from '../../setup/stepLine';
import type { TorchPreference } from '../../setup/torchBuild';

const usage = `usage: srlm setup [options]

Creates the Python environment for the training engine if it is missing or out of date, then checks that
srlm run can use it. Installed (no repository around srlm): a virtual environment in --env-dir with PyTorch
(CPU, or CUDA when an NVIDIA GPU is found) and the engine wheel srlm carries. In a repository checkout:
scripts/setup-python.sh (.venv with the pinned test stack). A second run with everything in place does nothing.

options:
  --check                 only check the environment; change nothing
  --python PATH           with --check: check this Python; else: create the environment from this Python
  --env-dir DIR           folder of the managed environment (default: $SRLM_ENV_DIR, else the user data folder)
  --use-python PATH       install into this interpreter's environment instead of creating one
  --torch auto|cpu|cuda   which PyTorch build (default auto: CUDA when nvidia-smi finds a GPU and driver)
  --torch-index-url URL   index to install PyTorch from (default: PyTorch's index of the build; 'pip': pip's own
                          configured index; {build} in the URL becomes cpu, cu128, …)
  --torch-version V       PyTorch version (2.13.0) or specifier (>=2.6,<2.14); default the engine's range
  --engine-wheel FILE     the engine wheel to install (default: the one this installation carries)
  --system-site-packages  let the new environment see the base Python's packages
  --json                  print the result as one JSON object on stdout`;

const TORCH_CHOICES: readonly TorchPreference[] = ['auto', 'cpu', 'cuda'];

export const setupCommand: CliCommand = {
  name: 'setup',
  summary: 'create or verify the Python environment of the training engine',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parse(
      argv,
      {
        check: { type: 'boolean' },
        python: { type: 'string' },
        'env-dir': { type: 'string' },
        'use-python': { type: 'string' },
        torch: { type: 'string' },
        'torch-index-url': { type: 'string' },
        'torch-version': { type: 'string' },
        'engine-wheel': { type: 'string' },
        'system-site-packages': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      { min: 0, max: 0, what: '' },
    );
    const root = installRoot();
    const script = root ? path.join(root, 'scripts', 'setup-python.sh') : undefined;
    const inRepository = script !== undefined && fs.existsSync(script);
    if (values.check) return check(io, values.python);
    if (values['env-dir'] !== undefined || values['use-python'] !== undefined || !inRepository)
      return managed(io, values, root);
    io.stdout.write(`running ${script}\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn('bash', [script], { cwd: root, env: io.env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => io.stdout.write(d));
      child.stderr.on('data', (d: Buffer) => io.stderr.write(d));
      child.on('error', () => resolve(127));
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      io.stderr.write(`srlm setup: the set-up script failed (exit ${code}); its output is above.\n`);
      return 1;
    }
    return check(io, values.python);
  },
};

async function check(io: CliIO, python: string | undefined): Promise<number> {
  try {
    const e = await checkEngine({ explicit: python, env: io.env, searchFrom: [io.cwd] });
    io.stdout.write(`ready: ${e.python} (Python ${e.pythonVersion}, engine ${e.engineVersion}, PyTorch found)\n`);
    return 0;
  } catch (err) {
    if (err instanceof EngineSetupError) {
      io.stderr.write(`srlm setup: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

type Values = Partial<Record<string, string | boolean>>;

async function managed(io: CliIO, values: Values, root: string | undefined): Promise<number> {
  const torch = (values.torch ?? 'auto') as TorchPreference;
  if (!TORCH_CHOICES.includes(torch)) throw new UsageError(`--torch must be one of ${TORCH_CHOICES.join(', ')}`);
  const abs = (p: unknown) => (typeof p === 'string' ? path.resolve(io.cwd, p) : undefined);
  const engineWheel = abs(values['engine-wheel']) ?? findEngineWheel(root);
  if (!engineWheel || !fs.existsSync(engineWheel)) {
    io.stderr.write(
      engineWheel
        ? `srlm setup: no engine wheel at ${engineWheel}\n`
        : `srlm setup: this installation carries no engine wheel (dist/engine/*.whl). Pass --engine-wheel FILE (from \`pip wheel --no-deps runtime/python\`), or install the engine into your own environment with pip and point srlm at it with --python.\n`,
    );
    return 1;
  }
  const envDir = abs(values['env-dir']) ?? defaultEnvDir(io.env);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r = await setUpEnvironment({
      envDir,
      basePython: abs(values.python),
      usePython: abs(values['use-python']),
      systemSitePackages: values['system-site-packages'] === true,
      torch,
      torchIndex: values['torch-index-url'] as string | undefined,
      torchVersion: values['torch-version'] as string | undefined,
      engineWheel,
      env: io.env,
      signal: abort.signal,
      onStep: (index, total, text) => io.stderr.write(`${formatStepLine({ index, total, text })}\n`),
      onLog: (line) => io.stderr.write(`    ${line}\n`),
    });
    const m = r.marker;
    const torchDesc = `PyTorch ${m.torch.installed}${m.torch.cuda ? ` (CUDA ${m.torch.cuda})` : ' (CPU)'}`;
    if (values.json) io.stdout.write(`${JSON.stringify({ ...m, envDir, upToDate: r.upToDate })}\n`);
    else
      io.stdout.write(
        `${r.upToDate ? 'up to date' : 'ready'}: ${r.python} (Python ${m.pythonVersion}, ${torchDesc}, engine ${m.engine.version})\n`,
      );
    return 0;
  } catch (err) {
    if (err instanceof SetupError) {
      io.stderr.write(`srlm setup: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

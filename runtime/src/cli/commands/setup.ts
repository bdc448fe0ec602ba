// `srlm setup`: creates or verifies the Python environment the engine runs in (scripts/setup-python.sh: a .venv
// with PyTorch and the engine), then checks it the way `srlm run` will.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliCommand, CliIO } from '../command';
import { checkEngine, EngineSetupError, installRoot } from '../../supervisor/python';
import { parse } from '../run-common';

const usage = `usage: srlm setup [options]

Creates the Python environment for the training engine (.venv in the SRLM Studio folder: PyTorch, transformers,
peft and the engine) if it is missing or out of date, then checks that srlm run can use it.

options:
  --check           only check the environment; change nothing
  --python PATH     check this Python instead (with --check)`;

export const setupCommand: CliCommand = {
  name: 'setup',
  summary: 'create or verify the Python environment of the training engine',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parse(
      argv,
      { check: { type: 'boolean' }, python: { type: 'string' } },
      { min: 0, max: 0, what: '' },
    );
    const root = installRoot();
    if (!values.check) {
      const script = root ? path.join(root, 'scripts', 'setup-python.sh') : undefined;
      if (!script || !fs.existsSync(script)) {
        io.stderr.write(
          `srlm setup: the set-up script is not part of this installation. Create an environment by hand:\n` +
            `  python3 -m venv .venv && .venv/bin/pip install torch && .venv/bin/pip install -e <srlm-studio>/runtime/python\n` +
            `then run srlm setup --check.\n`,
        );
        return 1;
      }
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
    }
    try {
      const e = await checkEngine({ explicit: values.python, env: io.env, searchFrom: [io.cwd] });
      io.stdout.write(`ready: ${e.python} (Python ${e.pythonVersion}, engine ${e.engineVersion}, PyTorch found)\n`);
      return 0;
    } catch (err) {
      if (err instanceof EngineSetupError) {
        io.stderr.write(`srlm setup: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

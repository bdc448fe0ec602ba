// The results commands (export, card, push) are the engine's work: TensorBoard, W&B, MLflow, matplotlib and
// huggingface_hub are Python libraries. This runs `python -m srlm_engine <command> --run-dir DIR …` for a run the
// user named, passes its progress (stderr) through, and returns the JSON object it prints.
import { spawn } from 'node:child_process';
import type { CliIO } from './command';
import { locateRun } from './runArgs';
import { checkEngine, ENGINE_MODULE, EngineSetupError } from '../supervisor/python';

export const ENGINE_OPTIONS = {
  runs: { type: 'string' },
  python: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const ENGINE_USAGE = `  --runs DIR            runs folder (default ./.srlm/runs)
  --python PATH         the engine's Python (default: as srlm run finds it)
  --json                print the engine's result as JSON`;

export interface EngineCall {
  readonly command: 'export' | 'card' | 'push';
  readonly run: string;
  readonly runs?: string;
  readonly python?: string;
  readonly args: readonly string[];
}

/** The engine's result, or undefined after writing why not to stderr. */
export async function runEngineCommand(io: CliIO, call: EngineCall): Promise<Record<string, unknown> | undefined> {
  const located = locateRun(io, call.runs, call.run, call.command);
  if (!located) return undefined;
  const runDir = located.store.dir(located.id);
  let python: string;
  try {
    python = (await checkEngine({ explicit: call.python, env: io.env, searchFrom: [io.cwd, runDir] })).python;
  } catch (err) {
    if (err instanceof EngineSetupError) {
      io.stderr.write(`srlm ${call.command}: ${err.message}\n`);
      return undefined;
    }
    throw err;
  }
  const argv = ['-m', ENGINE_MODULE, call.command, '--run-dir', runDir, ...call.args];
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    const child = spawn(python, argv, { env: io.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    // Progress bars (uploads) and the engine's one-line errors, named after the command the user typed.
    child.stderr.on('data', (b: Buffer) =>
      io.stderr.write(b.toString().replace(/^error: /gm, `srlm ${call.command}: `)),
    );
    child.on('error', (err) => {
      io.stderr.write(`srlm ${call.command}: cannot start ${python}: ${err.message}\n`);
      resolve({ code: 127, stdout: out });
    });
    child.on('close', (c) => resolve({ code: c ?? 1, stdout: out }));
  });
  if (code !== 0) return undefined;
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    io.stderr.write(`srlm ${call.command}: the engine printed no result (output: ${stdout.slice(0, 200)})\n`);
    return undefined;
  }
}

/** Prints the engine's result (as JSON with --json, else the command's sentence); exit status 0, or 1 without one. */
export function printResult(
  io: CliIO,
  result: Record<string, unknown> | undefined,
  json: boolean | undefined,
  sentence: (r: Record<string, unknown>) => string,
): number {
  if (!result) return 1;
  io.stdout.write(`${json ? JSON.stringify(result) : sentence(result)}\n`);
  return 0;
}

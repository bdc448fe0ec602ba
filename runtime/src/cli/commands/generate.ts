// `srlm generate`: talk to a checkpoint from the terminal through its ONNX export, the same code path as the
// editor's inspector.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { UsageError, type CliCommand, type CliIO } from '../command';
import {
  CheckpointGenerator,
  ExportNotFoundError,
  hasExport,
  OrtUnavailableError,
  tokenRuns,
  type GeneratedToken,
  type ProviderPreference,
} from '../../inference';
import { findPython } from '../../supervisor/python';
import { spawnCommand } from '../../supervisor/spawnCommand';

const usage = `usage: srlm generate CHECKPOINT --prompt TEXT [options]

Generates from a checkpoint's ONNX export (CHECKPOINT/onnx, written by python -m srlm_engine.export).

options:
  --prompt TEXT          the user message (wrapped in the checkpoint's chat template)
  --max-new-tokens N     stop after N tokens (default 128)
  --temperature T        0 = greedy (default 0)
  --top-p P              nucleus sampling mass in (0, 1] (default 1)
  --seed N               sampling seed (default 0)
  --system TEXT          a system message before the prompt
  --raw                  feed the prompt as is, without the chat template
  --provider NAME        auto | cpu | cuda | webgpu (default auto: an accelerator if available, else cpu)
  --export               export the checkpoint first when it has no ONNX export (python -m srlm_engine.export)
  --python PATH          Python with the engine for --export (default: SRLM_PYTHON, a .venv, python3 on PATH)
  --json                 print one JSON object with every token, its log-probability and entropy, and the
                         runs of tokens that make whole characters (a CJK character or an emoji often takes
                         several byte-level tokens)`;

interface Args {
  checkpoint: string;
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  system?: string;
  raw: boolean;
  json: boolean;
  provider: ProviderPreference;
  export: boolean;
  python?: string;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const opts: Partial<Args> = { raw: false, json: false, export: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const num = (s: string, flag: string, ok: (n: number) => boolean): number => {
    const n = Number(s);
    if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`${flag}: invalid value '${s}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--prompt':
        opts.prompt = value(i++, a);
        break;
      case '--max-new-tokens':
        opts.maxNewTokens = num(value(i++, a), a, (n) => Number.isInteger(n) && n > 0);
        break;
      case '--temperature':
        opts.temperature = num(value(i++, a), a, (n) => n >= 0);
        break;
      case '--top-p':
        opts.topP = num(value(i++, a), a, (n) => n > 0 && n <= 1);
        break;
      case '--seed':
        opts.seed = num(value(i++, a), a, (n) => Number.isInteger(n));
        break;
      case '--system':
        opts.system = value(i++, a);
        break;
      case '--provider': {
        const p = value(i++, a);
        if (!['auto', 'cpu', 'cuda', 'webgpu'].includes(p)) throw new UsageError(`--provider: unknown '${p}'`);
        opts.provider = p as ProviderPreference;
        break;
      }
      case '--raw':
        opts.raw = true;
        break;
      case '--export':
        opts.export = true;
        break;
      case '--python':
        opts.python = value(i++, a);
        break;
      case '--json':
        opts.json = true;
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        positional.push(a);
    }
  }
  if (positional.length !== 1) throw new UsageError('expected exactly one CHECKPOINT folder');
  if (opts.prompt === undefined) throw new UsageError('--prompt is required');
  return {
    checkpoint: positional[0]!,
    prompt: opts.prompt,
    maxNewTokens: opts.maxNewTokens ?? 128,
    temperature: opts.temperature ?? 0,
    topP: opts.topP ?? 1,
    seed: opts.seed ?? 0,
    system: opts.system,
    raw: opts.raw ?? false,
    json: opts.json ?? false,
    provider: opts.provider ?? 'auto',
    export: opts.export ?? false,
    python: opts.python,
  };
}

/** Runs the engine's exporter, streaming its progress to stderr; resolves to its exit code. */
function runExport(checkpoint: string, args: Args, io: CliIO): Promise<number> {
  const choice = findPython({ explicit: args.python, env: io.env, searchFrom: [checkpoint, io.cwd] });
  if (!choice) {
    io.stderr.write('srlm generate: no Python found for --export; pass --python or set SRLM_PYTHON\n');
    return Promise.resolve(1);
  }
  io.stderr.write(`exporting ${checkpoint} to ONNX with ${choice.python} …\n`);
  return new Promise((resolve) => {
    const c = spawnCommand(choice.python, ['-m', 'srlm_engine.export', checkpoint]);
    const child = spawn(c.file, c.args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      windowsVerbatimArguments: c.windowsVerbatimArguments,
      windowsHide: true,
    });
    let tail = '';
    child.stderr.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
    child.on('error', (err) => {
      io.stderr.write(`srlm generate: ${err.message}\n`);
      resolve(1);
    });
    child.on('close', (code) => {
      if (code !== 0) io.stderr.write(`srlm generate: export failed (exit ${code}):\n${tail.trim()}\n`);
      resolve(code ?? 1);
    });
  });
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv);
  const checkpoint = path.resolve(io.cwd, args.checkpoint);
  if (args.export && !hasExport(checkpoint)) {
    const code = await runExport(checkpoint, args, io);
    if (code !== 0) return 1;
  }
  let gen: CheckpointGenerator;
  try {
    gen = await CheckpointGenerator.open(checkpoint, { provider: args.provider });
  } catch (err) {
    if (err instanceof ExportNotFoundError) {
      io.stderr.write(`srlm generate: ${err.message} (or pass --export)\n`);
      return 1;
    }
    if (err instanceof OrtUnavailableError) {
      io.stderr.write(`srlm generate: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  try {
    const onToken = args.json ? undefined : (t: GeneratedToken) => io.stdout.write(t.text);
    const res = await gen.generate(args.prompt, {
      maxNewTokens: args.maxNewTokens,
      temperature: args.temperature,
      topP: args.topP,
      seed: args.seed,
      system: args.system,
      raw: args.raw,
      onToken,
    });
    if (args.json) {
      const out = {
        checkpoint: args.checkpoint,
        provider: gen.model.provider,
        prompt: gen.renderPrompt(args.prompt, args),
        promptTokens: res.promptTokens,
        text: res.text,
        finishReason: res.finishReason,
        firstTokenMs: res.firstTokenMs,
        decodeTokensPerSecond: res.decodeTokensPerSecond,
        tokens: res.tokens.map(({ id, token, text, partial, logprob, entropy, special }) => ({
          id,
          token,
          text,
          partial,
          logprob,
          entropy,
          special,
        })),
        // Characters of several byte-level tokens: each run's text with the indices of the tokens that make it.
        runs: tokenRuns(res.tokens).map((r) => ({
          text: r.text,
          tokens: r.tokens.map((t) => t.index),
          logprob: r.logprob,
        })),
      };
      io.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      io.stdout.write('\n');
      io.stderr.write(
        `[${res.tokens.length} tokens, ${res.finishReason}, first token ${res.firstTokenMs.toFixed(0)} ms, ` +
          `${res.decodeTokensPerSecond.toFixed(1)} tokens/s on ${gen.model.provider}]\n`,
      );
    }
    return 0;
  } finally {
    await gen.dispose();
  }
}

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: "generate text from a checkpoint's ONNX export (streams tokens; --json adds log-probabilities)",
  usage,
  run,
};

// `srlm pull FILE`: fetch every hub model and dataset a pipeline names into the Hugging Face cache, so a compute
// node without internet can run it later with HF_HUB_OFFLINE=1 (same HF_HOME). Progress on stderr; the resolved
// commits on stdout (one line each, or JSON with --json).
import * as path from 'node:path';
import type { CliCommand, CliIO } from '../command';
import { renderHuman } from './check';
import { engineFor } from './run';
import { compilePlan, CompileError } from '../../plan/compile';
import { hubProgressPrinter, hubRepos, HubResolveError, resolveHub } from '../../supervisor/resolve';
import { parse } from '../runArgs';

const usage = `usage: srlm pull FILE [options]

Fetches every Hugging Face hub model and dataset the pipeline names into the local cache (HF_HOME), resolving
each revision to a commit. Run it where there is internet; a machine sharing the cache can then run the
pipeline offline (HF_HUB_OFFLINE=1). Local folders are left alone. Gated models need \`hf auth login\` or HF_TOKEN.

options:
  --json           print the resolved commits as one JSON object
  --python PATH    Python with the engine (default: SRLM_PYTHON, a .venv of the project, python3 on PATH)
exit status: 0 everything is in the cache, 1 errors in the file or a repository that cannot be fetched, 2 bad usage`;

const OPTIONS = {
  json: { type: 'boolean' },
  python: { type: 'string' },
} as const;

export const pullCommand: CliCommand = {
  name: 'pull',
  summary: 'fetch the hub models and datasets of a pipeline into the cache (for offline runs)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values: opt, positionals } = parse(argv, OPTIONS, { min: 1, max: 1, what: 'the .srlm file to pull for' });
    const shownName = positionals[0]!;
    const file = path.resolve(io.cwd, shownName);
    let plan;
    try {
      // Only the text checks: a hub dataset or model is exactly what is not on disk yet.
      plan = (await compilePlan({ file, workspace: io.cwd, fileChecks: false })).plan;
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      if (err.lineIndex)
        for (const d of err.diagnostics.filter((x) => x.severity === 'error'))
          io.stderr.write(`${renderHuman(shownName, err.lineIndex, d, false)}\n\n`);
      io.stderr.write(`srlm pull: ${err.message}\n`);
      return 1;
    }
    if (hubRepos(plan).length === 0) {
      io.stderr.write(`srlm pull: ${shownName} names no hub models or datasets; nothing to fetch\n`);
      if (opt.json) io.stdout.write(`${JSON.stringify({ models: {}, datasets: {} })}\n`);
      return 0;
    }
    const engine = await engineFor(io, 'pull', opt.python, [path.dirname(file)]);
    if (!engine) return 1;
    const progress = hubProgressPrinter(io.stderr, io.stderr === process.stderr && process.stderr.isTTY === true);
    try {
      const resolved = await resolveHub(plan, { python: engine.python, env: io.env, onEvent: progress.onEvent });
      progress.finish();
      if (opt.json) io.stdout.write(`${JSON.stringify(resolved)}\n`);
      else
        for (const [kind, group] of [
          ['model', resolved.models],
          ['dataset', resolved.datasets],
        ] as const)
          for (const [name, r] of Object.entries(group))
            io.stdout.write(`${kind} ${name}: ${r.repo}@${r.revision} = ${r.commit}  (${r.path})\n`);
      return 0;
    } catch (err) {
      progress.finish();
      if (err instanceof HubResolveError) {
        io.stderr.write(`srlm pull: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

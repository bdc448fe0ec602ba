// `srlm run FILE`: compile the pipeline, check the Python engine, apply the stage cache, launch the engine
// detached and follow it with live progress (or return at once with --detach).
import * as path from 'node:path';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { renderHuman } from './check';
import { CompileError } from '../../plan/compile';
import { CacheOptionError, type CacheDecision } from '../../plan/cache';
import { describeDecision, refuseOnCheckErrors } from '../startReport';
import { checkEngine, EngineSetupError, type CheckedEngine } from '../../supervisor/python';
import { PreflightError } from '../../supervisor/preflight';
import { hubProgressPrinter } from '../../supervisor/resolve';
import { startRun, type StartedRun } from '../../supervisor/start';
import { followRun } from '../follow';
import { parse } from '../runArgs';
import { runStudyCommand } from '../studyRun';
import { fileDeclaresStudy } from '../../plan/study';

const usage = `usage: srlm run FILE [options]

Compiles a .srlm pipeline, resolves its hub models and datasets (fetching what the Hugging Face cache lacks, or
stopping with one message when offline or unauthorised), launches the training engine in the background and
shows live progress until the run ends. Stages whose inputs did not change since an earlier run reuse that run's checkpoint (the stage cache).
The run lives in <runs>/<run-id>/ (default ./.srlm/runs): Ctrl-C stops it; closing the terminal does not.

options:
  --stage S        run only stage S (earlier stages from the cache when possible; later stages are skipped)
  --from S         re-run from stage S: it and every later stage train even when cached
  --no-cache       train every stage
  --detach         start the run and return; follow it with srlm watch RUN or srlm logs RUN -f
  --json           with --detach: print one JSON object {id, dir, pid, stages} on stdout (the editor's contract;
                   everything else goes to stderr)
  --python PATH    Python with the engine (default: SRLM_PYTHON, a .venv of the project, python3 on PATH)
  --no-files       skip the environment checks of the pipeline (files, hub cache, GPU memory)

A file that declares a study (docs/study.md) runs each variant as one run, one after another (stages they share
train once through the stage cache), then prints the comparison table and keeps it in <runs>/../studies/:
  --variant NAME   run only this variant (with --stage, --from or --detach: one run of it, no table; without
                   --variant those options run the pipeline as written)
  --format F       the printed table: text (default), markdown or json (json: progress goes to stderr)
  --json           one JSON object per line on stdout (the editor's contract): {event: "variant", …} as each
                   variant's run starts, {event: "study", …} when the study is kept; the rest goes to stderr
exit status: 0 completed (or started, with --detach), 1 errors in the file, set-up problems, or a failed or
stopped run, 2 bad usage`;

const OPTIONS = {
  stage: { type: 'string' },
  from: { type: 'string' },
  'no-cache': { type: 'boolean' },
  detach: { type: 'boolean' },
  json: { type: 'boolean' },
  python: { type: 'string' },
  'no-files': { type: 'boolean' },
  variant: { type: 'string' },
  format: { type: 'string' },
} as const;

/** Finds and checks the engine for a command; writes the one-message explanation on failure. */
export async function engineFor(
  io: CliIO,
  command: string,
  python: string | undefined,
  near: string[],
): Promise<CheckedEngine | undefined> {
  try {
    return await checkEngine({ explicit: python, env: io.env, searchFrom: [...near, io.cwd] });
  } catch (err) {
    if (err instanceof EngineSetupError) {
      io.stderr.write(`srlm ${command}: ${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}

/** What `srlm run --detach --json` prints: the contract the editor starts runs through. */
export interface DetachedRun {
  readonly id: string;
  /** Absolute run folder. */
  readonly dir: string;
  /** The engine's pid (its process group leader). */
  readonly pid: number;
  readonly stages: readonly { stage: string; action: CacheDecision['action']; run?: string }[];
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run a pipeline with live progress (stage cache, --from, --stage, --detach)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values: opt, positionals } = parse(argv, OPTIONS, { min: 1, max: 1, what: 'the .srlm file to run' });
    const shownName = positionals[0]!;
    const file = path.resolve(io.cwd, shownName);
    // --stage, --from and --detach are options of one run: with them a study file runs one run — its pipeline as
    // written, or the variant `--variant` names — so the editor's Run (`--detach --json`) works on any file.
    const oneRun = opt.detach === true || opt.stage !== undefined || opt.from !== undefined;
    if (!oneRun && fileDeclaresStudy(file)) {
      return runStudyCommand(io, shownName, {
        python: opt.python,
        noFileChecks: opt['no-files'],
        noCache: opt['no-cache'],
        variant: opt.variant,
        format: opt.format,
        json: opt.json,
      });
    }
    if (opt.format !== undefined) throw new UsageError('--format goes with the run of a study (docs/study.md)');
    if (opt.json && !opt.detach) throw new UsageError('--json goes with --detach (a followed run prints progress)');
    // With --json, stdout carries the one JSON result; the human lines go to stderr.
    const say = opt.json ? io.stderr : io.stdout;
    const hubProgress = hubProgressPrinter(io.stderr, io.stderr === process.stderr && process.stderr.isTTY === true);
    let started: StartedRun;
    try {
      started = await startRun(
        {
          file,
          workspace: io.cwd,
          python: opt.python,
          env: io.env,
          noFileChecks: opt['no-files'],
          noCache: opt['no-cache'],
          from: opt.from,
          only: opt.stage,
          variant: opt.variant,
          onHubEvent: hubProgress.onEvent,
        },
        (store, id, decisions) => {
          say.write(`run ${id} (${path.relative(io.cwd, store.dir(id)) || store.dir(id)})\n`);
          for (const d of decisions) say.write(`  ${describeDecision(d)}\n`);
        },
      );
    } catch (err) {
      hubProgress.finish();
      if (err instanceof CompileError) return refuseOnCheckErrors(io, shownName, err);
      if (err instanceof EngineSetupError || err instanceof PreflightError) {
        io.stderr.write(`srlm run: ${err.message}\n`);
        return 1;
      }
      if (err instanceof CacheOptionError) {
        io.stderr.write(`srlm run: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    hubProgress.finish();
    for (const d of started.warnings) io.stderr.write(`${renderHuman(shownName, started.lineIndex, d, false)}\n\n`);
    const { store, id, engine } = started;
    if (opt.json) {
      const result: DetachedRun = {
        id,
        dir: store.dir(id),
        pid: engine.pid,
        stages: started.decisions.map((d) => ({ stage: d.stage, action: d.action, ...(d.run ? { run: d.run } : {}) })),
      };
      io.stdout.write(JSON.stringify(result) + '\n');
      return 0;
    }
    if (opt.detach) {
      io.stdout.write(
        `engine started in the background (pid ${engine.pid}).\nfollow: srlm watch ${id}   log: srlm logs ${id} -f   stop: srlm stop ${id}\n`,
      );
      return 0;
    }
    return followRun(store, id, io, { engine, handleSigint: io.stdout === process.stdout });
  },
};

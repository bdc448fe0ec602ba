// `srlm run FILE` for a file that declares a study: every variant (or `--variant NAME`) runs to its end with the
// usual progress, one after another, then the comparison table is printed (`--format text|markdown|json`) and
// kept next to the runs. With json, stdout carries the table alone and the progress goes to stderr.
import * as path from 'node:path';
import { UsageError, type CliIO } from './command';
import { followRun } from './follow';
import { describeDecision, refuseOnCheckErrors } from './startReport';
import { CompileError } from '../plan/compile';
import { compileStudy } from '../plan/study';
import { runStudy, StudyOptionError } from '../study/runner';
import { COMPARISON_FORMATS, formatComparison, type ComparisonFormat } from '../study/table';
import { EngineSetupError } from '../supervisor/python';
import { PreflightError } from '../supervisor/preflight';
import { hubProgressPrinter } from '../supervisor/resolve';

export interface StudyCliOptions {
  readonly python?: string;
  readonly noFileChecks?: boolean;
  readonly noCache?: boolean;
  readonly variant?: string;
  readonly format?: string;
}

export async function runStudyCommand(io: CliIO, shownName: string, o: StudyCliOptions): Promise<number> {
  const format = (o.format ?? 'text') as ComparisonFormat;
  if (!COMPARISON_FORMATS.includes(format))
    throw new UsageError(`--format ${o.format}: expected ${COMPARISON_FORMATS.join(', ')}`);
  const file = path.resolve(io.cwd, shownName);
  const progressIo: CliIO = format === 'json' ? { ...io, stdout: io.stderr } : io;
  const say = progressIo.stdout;
  const hubProgress = hubProgressPrinter(io.stderr, io.stderr === process.stderr && process.stderr.isTTY === true);
  try {
    const compiled = await compileStudy({ file, workspace: io.cwd, fileChecks: !o.noFileChecks, env: io.env });
    const trained = compiled.variants.filter((v) => v.plan).map((v) => v.name);
    const baselines = compiled.variants.filter((v) => v.baseline);
    say.write(`study ${compiled.study}: ${compiled.variants.length} variants, ${trained.length} runs\n`);
    for (const b of baselines)
      say.write(`  ${b.name}: ${b.baseline!.model} before training, from the run of ${b.baseline!.from}\n`);
    let n = 0;
    const result = await runStudy({
      file,
      workspace: io.cwd,
      python: o.python,
      env: io.env,
      noFileChecks: o.noFileChecks,
      noCache: o.noCache,
      variant: o.variant,
      compiled,
      onHubEvent: hubProgress.onEvent,
      onVariantPlanned: (variant, store, id, decisions) => {
        hubProgress.finish();
        n++;
        say.write(`\nvariant ${variant}: run ${id} (${path.relative(io.cwd, store.dir(id)) || store.dir(id)})\n`);
        for (const d of decisions) say.write(`  ${describeDecision(d)}\n`);
      },
      follow: (started) =>
        followRun(started.store, started.id, progressIo, {
          engine: started.engine,
          handleSigint: io.stdout === process.stdout,
        }),
    });
    hubProgress.finish();
    if (result.startError !== undefined) reportStartError(io, shownName, result.startError);
    if (result.skipped.length > 0) say.write(`\nnot run: ${result.skipped.join(', ')}\n`);
    say.write(
      `\nstudy ${compiled.study} (${n} run${n === 1 ? '' : 's'}), kept in ${path.relative(io.cwd, result.path) || result.path}\n\n`,
    );
    io.stdout.write(formatComparison(result.study, format));
    return result.code === 0 ? 0 : result.code;
  } catch (err) {
    hubProgress.finish();
    if (err instanceof StudyOptionError) throw new UsageError(err.message);
    return reportStartError(io, shownName, err);
  }
}

/** Why a run could not start, as `srlm run` of a pipeline says it; anything else is a bug and is thrown. */
function reportStartError(io: CliIO, shownName: string, err: unknown): number {
  if (err instanceof CompileError) return refuseOnCheckErrors(io, shownName, err);
  if (err instanceof EngineSetupError || err instanceof PreflightError) {
    io.stderr.write(`srlm run: ${err.message}\n`);
    return 1;
  }
  throw err;
}

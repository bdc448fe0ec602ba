// `srlm run FILE` for a file that declares a study: every variant (or `--variant NAME`) runs to its end with the
// usual progress, one after another, then the comparison table is printed (`--format text|markdown|json`) and
// kept next to the runs. With json, stdout carries the table alone and the progress goes to stderr. With
// `--json`, stdout carries one StudyRunEvent per line (the editor's contract) and everything else goes to stderr.
import * as path from 'node:path';
import { UsageError, type CliIO } from './command';
import { followRun } from './follow';
import { describeDecision, refuseOnCheckErrors } from './startReport';
import { CompileError } from '../plan/compile';
import { compileStudy } from '../plan/study';
import { runStudy, StudyOptionError, variantsToRun } from '../study/runner';
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
  /** One StudyRunEvent per line on stdout; progress and the table on stderr. */
  readonly json?: boolean;
}

/** What `srlm run STUDY --json` prints on stdout, one object per line: the editor follows a study through it. */
export type StudyRunEvent =
  | {
      readonly event: 'variant';
      readonly variant: string;
      /** 1-based: this variant's run among the runs the study starts (`runs`). */
      readonly index: number;
      readonly runs: number;
      /** 1-based line of the variant in the file. */
      readonly line: number;
      readonly id: string;
      /** Absolute run folder. */
      readonly dir: string;
    }
  | {
      readonly event: 'study';
      readonly study: string;
      /** The kept study's id and file (<runs>/../studies/<id>.json), and the runs folder it belongs to. */
      readonly id: string;
      readonly path: string;
      readonly runsDir: string;
      /** 0 when every variant's run completed. */
      readonly code: number;
      /**
       * The variant whose run did not complete or could not start, with its 1-based line and its run's status
       * (failed, stopped…; absent when it could not start).
       */
      readonly failed?: { readonly variant: string; readonly line: number; readonly status?: string };
      readonly skipped: readonly string[];
    };

export async function runStudyCommand(io: CliIO, shownName: string, o: StudyCliOptions): Promise<number> {
  const format = (o.format ?? 'text') as ComparisonFormat;
  if (!COMPARISON_FORMATS.includes(format))
    throw new UsageError(`--format ${o.format}: expected ${COMPARISON_FORMATS.join(', ')}`);
  const file = path.resolve(io.cwd, shownName);
  const progressIo: CliIO = format === 'json' || o.json ? { ...io, stdout: io.stderr } : io;
  const say = progressIo.stdout;
  const emit = (e: StudyRunEvent) => {
    if (o.json) io.stdout.write(JSON.stringify(e) + '\n');
  };
  const hubProgress = hubProgressPrinter(io.stderr, io.stderr === process.stderr && process.stderr.isTTY === true);
  try {
    const compiled = await compileStudy({ file, workspace: io.cwd, fileChecks: !o.noFileChecks, env: io.env });
    const trained = compiled.variants.filter((v) => v.plan).map((v) => v.name);
    const baselines = compiled.variants.filter((v) => v.baseline);
    say.write(`study ${compiled.study}: ${compiled.variants.length} variants, ${trained.length} runs\n`);
    const runs = variantsToRun(compiled, o.variant).filter((v) => v.plan).length;
    const lineOf = (variant: string): number => {
      const v = compiled.document.study?.variants.find((x) => x.name === variant);
      return v ? compiled.document.lineIndex.positionAt(v.nameSpan.start).line + 1 : 1;
    };
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
        emit({ event: 'variant', variant, index: n, runs, line: lineOf(variant), id, dir: store.dir(id) });
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
    (o.json ? io.stderr : io.stdout).write(formatComparison(result.study, format));
    const failedVariant = (variant: string) => {
      const status = result.skipped.includes(variant)
        ? undefined
        : result.study.rows.find((r) => r.variant === variant)?.status;
      return { variant, line: lineOf(variant), ...(status ? { status } : {}) };
    };
    emit({
      event: 'study',
      study: compiled.study,
      id: result.study.id,
      path: result.path,
      runsDir: result.runsDir,
      code: result.code,
      ...(result.failed ? { failed: failedVariant(result.failed) } : {}),
      skipped: result.skipped,
    });
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

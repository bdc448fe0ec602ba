// Running a study (docs/study.md): each variant is one ordinary run started through `startRun` — the same
// preflight, stage cache and run folders as `srlm run` of a pipeline — one after another, so a stage that an
// earlier variant trained with the same hash is reused, not trained again. Then the comparison table of the
// variant runs is built, kept next to the runs, and returned for printing.
import type { CacheDecision } from '../plan/cache';
import { compileStudy, type CompiledStudy, type StudyVariantPlan } from '../plan/study';
import type { RunStore } from '../store/runStore';
import { startRun, type StartedRun, type StartRunOptions } from '../supervisor/start';
import { buildComparison, newStudyId, writeStudy, type ComparisonRow, type StoredStudy } from './table';

/** A bad `--variant`: the CLI's usage error (exit 2). */
export class StudyOptionError extends Error {}

export interface StudyRunOptions extends Omit<StartRunOptions, 'from' | 'only' | 'text'> {
  /** Run only this variant (an untrained baseline runs the variant its row is read from). */
  readonly variant?: string;
  /** The compiled study when the caller has it already. */
  readonly compiled?: CompiledStudy;
  /** Before a variant's run starts: its id and what the stage cache decided for each stage. */
  readonly onVariantPlanned?: (
    variant: string,
    store: RunStore,
    id: string,
    decisions: readonly CacheDecision[],
  ) => void;
  /** Follows a started run to its end and returns its exit code (0 when it completed). */
  readonly follow: (started: StartedRun) => Promise<number>;
}

export interface StudyRunResult {
  readonly study: StoredStudy;
  /** Where the study was kept: <runs>/../studies/<id>.json. */
  readonly path: string;
  /** The runs folder the variants ran in. */
  readonly runsDir: string;
  /** 0 when every variant run completed; otherwise the exit code of the first that did not. */
  readonly code: number;
  /** Variants that did not run: the one that could not start, and those after a run that did not complete. */
  readonly skipped: readonly string[];
  /** Why a variant after the first could not start (CompileError, PreflightError…), when one could not. */
  readonly startError?: unknown;
  /** The variant whose run did not complete (failed or stopped) or could not start; absent when all completed. */
  readonly failed?: string;
}

/**
 * The variants a run of the study trains, in file order: every variant with stages, or with `variant` that one
 * and, for an untrained baseline, the variant whose run evaluates its model. Throws StudyOptionError for an
 * unknown name.
 */
export function variantsToRun(compiled: CompiledStudy, variant?: string): readonly StudyVariantPlan[] {
  if (variant === undefined) return compiled.variants;
  const v = compiled.variants.find((x) => x.name === variant);
  if (!v) {
    const names = compiled.variants.map((x) => x.name).join(', ');
    throw new StudyOptionError(`--variant ${variant}: no such variant (variants: ${names})`);
  }
  const donor = v.baseline?.from;
  return compiled.variants.filter((x) => x === v || x.name === donor);
}

/**
 * Runs the study's variants in file order and keeps their table. Throws what `startRun` throws (CompileError,
 * EngineSetupError, PreflightError…) for the first variant that cannot start, and StudyOptionError for an
 * unknown `variant`.
 */
export async function runStudy(o: StudyRunOptions): Promise<StudyRunResult> {
  const compiled =
    o.compiled ??
    (await compileStudy({ file: o.file, workspace: o.workspace, fileChecks: !o.noFileChecks, env: o.env }));
  const names = compiled.variants.map((v) => v.name);
  const wanted = variantsToRun(compiled, o.variant);
  const { follow, onVariantPlanned, variant: _only, compiled: _compiled, ...start } = o;
  const runs: { id: string; variant: string }[] = [];
  let store: RunStore | undefined;
  let code = 0;
  let startError: unknown;
  let failed: string | undefined;
  const skipped: string[] = [];
  for (const v of wanted) {
    if (!v.plan) continue;
    if (code !== 0) {
      skipped.push(v.name);
      continue;
    }
    let started: StartedRun;
    try {
      started = await startRun({ ...start, variant: v.name }, (s, id, decisions) =>
        onVariantPlanned?.(v.name, s, id, decisions),
      );
    } catch (err) {
      // Nothing ran yet: the caller reports why. Otherwise the variants that ran keep their table.
      if (!store) throw err;
      startError = err;
      code = 1;
      failed = v.name;
      skipped.push(v.name);
      continue;
    }
    store = started.store;
    runs.push({ id: started.id, variant: v.name });
    code = await follow(started);
    if (code !== 0) failed = v.name;
  }
  // compileStudy refuses a study whose baselines have no variant run to read them from, so one run started.
  if (!store) throw new StudyOptionError(`study ${compiled.study} has no variant that runs`);
  const table = buildComparison(store, runs, { study: compiled.study, file: compiled.file });
  const rows = wanted
    .filter((v) => !skipped.includes(v.name))
    .flatMap((v): ComparisonRow[] => {
      if (!v.baseline) return table.rows.filter((r) => r.variant === v.name);
      const from = table.rows.find((r) => r.variant === v.baseline!.from);
      return from ? [baselineRow(v.name, from)] : [];
    });
  const study: StoredStudy = {
    ...table,
    rows,
    id: newStudyId(compiled.study),
    variants: names,
  };
  return { study, path: writeStudy(store.root, study), runsDir: store.root, code, skipped, startError, failed };
}

/**
 * An untrained baseline's row: the before-training eval that the run of `from` recorded for the model, with no
 * stage and no time of its own.
 */
function baselineRow(variant: string, from: ComparisonRow): ComparisonRow {
  return { ...from, variant, stages: [], final: from.initial, timeS: 0 };
}

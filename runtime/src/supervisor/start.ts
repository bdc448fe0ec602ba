// Starting a run, end to end: compile → check the engine → stage cache → run folder → launch. One function so the
// CLI and the extension start runs the same way; each failure is a typed error whose message is for the user.
import * as path from 'node:path';
import { compilePlan, DEFAULT_RUNS_DIR } from '../plan/compile';
import { applyStageCache, type CacheDecision, type CacheOptions } from '../plan/cache';
import type { Plan } from '../plan/types';
import type { Diagnostic, LineIndex } from '../../../server/src/core';
import { RunStore } from '../store/runStore';
import { createRun, launchRun, listRunsReconciled } from './control';
import type { LaunchedEngine } from './launch';
import { minFreeBytes } from './preflight';
import { checkEngine, type CheckedEngine } from './python';
import { resolveHub, resolvedDatasetRevisions, resolvedRevisions, type HubEvent } from './resolve';
import { assertSinksInstalled } from './sinksEnv';
import { assertDataReadable } from './dataCheck';

export interface StartRunOptions extends CacheOptions {
  /** The .srlm file (absolute, or relative to `workspace`). */
  readonly file: string;
  /** Unsaved editor text to run instead of the file's content. */
  readonly text?: string;
  /** Workspace folder: the default runs folder is `<workspace>/.srlm/runs`; `.venv` is looked for from here. */
  readonly workspace: string;
  /** Explicit Python (flag or editor setting). */
  readonly python?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Skip the file-system checks of the pipeline. */
  readonly noFileChecks?: boolean;
  /** Progress of the hub preflight (resolving and fetching models and datasets). */
  readonly onHubEvent?: (e: HubEvent) => void;
  /** A variant of the file's study to run instead of the pipeline as written (docs/study.md). */
  readonly variant?: string;
}

export interface StartedRun {
  readonly store: RunStore;
  readonly id: string;
  readonly plan: Plan;
  readonly decisions: readonly CacheDecision[];
  readonly engine: LaunchedEngine;
  readonly python: CheckedEngine;
  /** Warnings of the check (errors stop the start with a CompileError), with the index to print them. */
  readonly warnings: readonly Diagnostic[];
  readonly lineIndex: LineIndex;
}

/**
 * Throws CompileError (the file has errors), EngineSetupError (no usable Python/engine), CacheOptionError (bad
 * --from/--stage) or PreflightError (a hub model or dataset unavailable — HubResolveError —, runs folder
 * unwritable, disk full, a report_to back-end not installed, a dataset row the engine cannot use) before anything is launched.
 */
export async function startRun(
  o: StartRunOptions,
  onPlanned?: (store: RunStore, id: string, decisions: readonly CacheDecision[]) => void,
): Promise<StartedRun> {
  const file = path.resolve(o.workspace, o.file);
  let compiled = await compilePlan({
    file,
    text: o.text,
    workspace: o.workspace,
    fileChecks: !o.noFileChecks,
    env: o.env,
    variant: o.variant,
  });
  const python = await checkEngine({ explicit: o.python, env: o.env, searchFrom: [path.dirname(file), o.workspace] });
  // Before any run folder or stage: every hub id resolved to a commit (fetched when missing), or one message.
  const hub = await resolveHub(compiled.plan, { python: python.python, env: o.env, onEvent: o.onHubEvent });
  const revisions = resolvedRevisions(hub);
  const datasetRevisions = resolvedDatasetRevisions(hub);
  const resolvedAny = Object.keys(revisions).length + Object.keys(datasetRevisions).length > 0;
  if (python.engineVersion !== compiled.plan.engine_version || resolvedAny) {
    // Stage hashes include the engine version and each model's commit: a different (compatible) engine or a new
    // commit of a model must not reuse old results.
    compiled = await compilePlan({
      file,
      text: o.text,
      workspace: o.workspace,
      fileChecks: false,
      engineVersion: python.engineVersion,
      resolvedRevisions: revisions,
      resolvedDatasetRevisions: datasetRevisions,
      variant: o.variant,
    });
  }
  await assertSinksInstalled(python.python, compiled.plan.settings, o.env);
  // Every row of every dataset, by the engine that will read them: a bad row is named by file and line now, not
  // when its stage starts.
  if (!o.noFileChecks) await assertDataReadable(python.python, compiled.plan, o.env);
  const store = new RunStore(compiled.plan.settings?.output ?? path.resolve(o.workspace, DEFAULT_RUNS_DIR));
  const runs = await listRunsReconciled(store);
  const { plan, decisions } = applyStageCache(compiled.plan, runs, { noCache: o.noCache, from: o.from, only: o.only });
  const record = createRun({
    store,
    plan,
    source: file,
    options: { stage: o.only, from: o.from, noCache: o.noCache },
    minFreeBytes: minFreeBytes(o.env),
    sourceText: compiled.document.text,
  });
  onPlanned?.(store, record.id, decisions);
  const engine = await launchRun(store, record.id, {
    python: python.python,
    engineVersion: python.engineVersion,
    env: o.env,
  });
  return {
    store,
    id: record.id,
    plan,
    decisions,
    engine,
    python,
    warnings: compiled.diagnostics.filter((d) => d.severity === 'warning'),
    lineIndex: compiled.document.lineIndex,
  };
}

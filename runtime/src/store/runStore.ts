// The run store: one folder per run under the runs folder (default `<workspace>/.srlm/runs`), plus an index.
// Layout (documented in docs/runs.md):
//   <runs>/<run-id>/run.json       supervisor's record: pid, python, options, status as last observed
//   <runs>/<run-id>/plan.json      the compiled plan the engine ran
//   <runs>/<run-id>/events.jsonl   the engine's event stream (the truth of the run)
//   <runs>/<run-id>/engine.log     the engine's stdout and stderr
//   <runs>/<run-id>/checkpoints/   <stage>/step-NNNNNN and <stage>/final
//   <runs>/index.json              derived summary of every run (rebuildable; see RunIndex)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readJsonFile, writeFileAtomic } from './fileIo';
import { checkNoLinks, checkPlanStages, checkRunId, checkRunRecord, isRunId } from './runFolder';
import type { Plan } from '../plan/types';

export const RUN_RECORD_VERSION = 1;

export type RunRecordStatus = 'starting' | 'running' | 'completed' | 'failed' | 'stopped';

export interface RunStageRecord {
  readonly name: string;
  readonly kind: string;
  readonly hash: string;
  /** Checkpoint reused from the stage cache, when the stage was not trained in this run. */
  readonly reuse?: string;
}

export interface RunRecord {
  readonly version: number;
  readonly id: string;
  readonly pipeline: string;
  /** Absolute path of the `.srlm` file. */
  readonly source: string;
  /** ISO time the run was created. */
  readonly created: string;
  status: RunRecordStatus;
  /** Engine process (also its process group leader), of the latest attempt. */
  pid?: number;
  /** Kernel start time of that process, so a recycled pid is not mistaken for the engine. */
  pidStart?: string;
  python?: string;
  engineVersion?: string;
  /** Engine launches: 1 + resumes. */
  attempts: number;
  readonly options: { readonly stage?: string; readonly from?: string; readonly noCache?: boolean };
  readonly stages: readonly RunStageRecord[];
  /** ISO time the supervisor saw the run end. */
  finished?: string;
  /** Why the run failed or stopped, as the supervisor understood it. */
  message?: string;
  /** A stop was requested for the current attempt: an engine that then dies was stopped, not failed. */
  stopRequested?: { readonly at: string; readonly forced?: string };
}

export const RUN_FILES = {
  record: 'run.json',
  plan: 'plan.json',
  /** The .srlm text the plan was compiled from (unsaved editor text included), for model cards and sinks. */
  pipeline: 'pipeline.srlm',
  events: 'events.jsonl',
  log: 'engine.log',
  checkpoints: 'checkpoints',
  /**
   * A stop request the engine reads at its next step boundary (`srlm_engine.signals`): how the supervisor asks
   * for a clean stop where there are no signals (Windows). Removed before each launch.
   */
  stopRequest: 'stop.request',
} as const;

/** Unknown or ambiguous run names. */
export class RunNotFoundError extends Error {}

export class RunStore {
  constructor(readonly root: string) {}

  /** The folder of run `id`; an id that is not one safe path segment is refused (see runFolder.ts). */
  dir(id: string): string {
    return path.join(this.root, checkRunId(id, this.root));
  }

  file(id: string, which: keyof typeof RUN_FILES): string {
    return path.join(this.dir(id), RUN_FILES[which]);
  }

  /** A new, sortable, unique run id: `YYYYMMDD-HHMMSS-<pipeline>-<4 hex>`. */
  newId(pipeline: string, now = new Date()): string {
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
    const slug = pipeline.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40) || 'run';
    return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
  }

  /** Creates the run folder (and the runs folder); throws the filesystem error unchanged. */
  create(record: RunRecord): string {
    const dir = this.dir(record.id);
    fs.mkdirSync(path.join(dir, RUN_FILES.checkpoints), { recursive: true });
    this.write(record);
    return dir;
  }

  write(record: RunRecord): void {
    writeFileAtomic(this.file(record.id, 'record'), `${JSON.stringify(record, null, 2)}\n`);
  }

  /**
   * Run `id`'s record, checked (`checkRunRecord`): it names its own folder and its pid is a process id, and no
   * file the supervisor or the engine writes there is a symbolic link (`checkNoLinks`). A missing record is
   * RunNotFoundError; a damaged or forged one a DataFileError naming the file and field.
   */
  read(id: string): RunRecord {
    checkNoLinks(this.dir(id));
    const file = this.file(id, 'record');
    const r = readJsonFile<unknown>(file);
    if (r === undefined) throw new RunNotFoundError(`no run '${id}' in ${this.root}`);
    return checkRunRecord<RunRecord>(r, id, file);
  }

  /** The record, or undefined when it is missing, damaged or forged (views that list what they can). */
  tryRead(id: string): RunRecord | undefined {
    try {
      return this.read(id);
    } catch {
      return undefined;
    }
  }

  /** The run's plan.json with its stage names checked (they become checkpoint paths); undefined when missing. */
  readPlan(id: string): Plan | undefined {
    const file = this.file(id, 'plan');
    const plan = readJsonFile<Plan>(file);
    return plan && checkPlanStages(plan, file);
  }

  /** Run ids, oldest first. */
  ids(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch (err) {
      // No runs folder (or a file in its way, which creating a run reports): no runs.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const ids = names.filter((n) => isRunId(n) && fs.existsSync(path.join(this.root, n, RUN_FILES.record)));
    // Ids sort by their creation second; within one second (scripts, tests) the recorded creation time decides.
    const known = new Map<string, string>();
    const created = { get: (id: string) => known.get(id) ?? known.set(id, this.createdOf(id)).get(id) };
    return ids.sort((a, b) =>
      a.slice(0, 15) === b.slice(0, 15) ? created.get(a)!.localeCompare(created.get(b)!) : a < b ? -1 : 1,
    );
  }

  private createdOf(id: string): string {
    try {
      return String((JSON.parse(fs.readFileSync(this.file(id, 'record'), 'utf8')) as RunRecord).created ?? '');
    } catch {
      return '';
    }
  }

  /**
   * Resolves what a user typed: an exact id, `last`/`latest`, a unique prefix, or a unique substring (e.g. the
   * pipeline name or the random suffix).
   */
  resolve(name: string): string {
    const ids = this.ids();
    if (ids.length === 0) throw new RunNotFoundError(`no runs in ${this.root}`);
    if (name === 'last' || name === 'latest') return ids[ids.length - 1]!;
    if (ids.includes(name)) return name;
    const prefixed = ids.filter((i) => i.startsWith(name));
    const matches = prefixed.length > 0 ? prefixed : ids.filter((i) => i.includes(name));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new RunNotFoundError(`no run matches '${name}' in ${this.root} (see srlm runs)`);
    // Several runs of one pipeline: the newest is almost always meant, but guessing silently would stop or
    // resume the wrong run, so ask.
    throw new RunNotFoundError(
      `'${name}' matches ${matches.length} runs: ${matches.slice(-5).join(', ')}${matches.length > 5 ? ', …' : ''}; give more of the id`,
    );
  }
}

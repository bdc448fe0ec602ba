// The one reader of what a run folder says about itself. A run folder is untrusted input (a workspace may carry a
// forged one), and some of its contents become paths (the run id: where run.json is written back; stage names:
// where checkpoints are looked up) or process ids (the engine to signal). Everything that reads run.json or a
// plan's stage names goes through here, so a forged value is refused once, with the file and field named.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataFileError } from './fileIo';

/**
 * What a run id may look like: one path segment that cannot be `.`/`..`, no separators, no leading dot or dash.
 * Ids the supervisor makes (`YYYYMMDD-HHMMSS-<pipeline>-<4 hex>`) match; so do hand-made folders with plain names.
 */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The language's name pattern (an identifier: `server/src/core/syntax/lexer.ts`, `isIdentStart`/`isIdentPart`),
 * which every stage name in a compiled plan matches. A stage name that becomes a path (`checkpoints/<stage>`)
 * is checked against it; the engine applies the same rule (`srlm_engine/checkpoint.py`, `stage_dir`).
 */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isRunId(s: unknown): s is string {
  return typeof s === 'string' && RUN_ID_RE.test(s);
}

export function isStageName(s: unknown): s is string {
  return typeof s === 'string' && NAME_RE.test(s);
}

/** A run id given by a caller (a folder name, what a user typed): refused unless it is one safe path segment. */
export function checkRunId(id: string, where: string): string {
  if (!isRunId(id)) throw new DataFileError(`${where}: '${id}' is not a run id (letters, digits, '_', '.', '-')`);
  return id;
}

/** `<runDir>/checkpoints/<stage>` for a stage name that is a name of the language; otherwise a DataFileError. */
export function stageCheckpointDir(runDir: string, stage: string, where: string): string {
  if (!isStageName(stage))
    throw new DataFileError(`${where}: stage name ${JSON.stringify(stage)} is not a name (letters, digits, '_')`);
  return path.join(runDir, 'checkpoints', stage);
}

/** What the supervisor and the engine write in a run folder; none of it may be a link to somewhere else. */
const WRITTEN = [
  'run.json',
  'plan.json',
  'events.jsonl',
  'engine.log',
  'events.dropped.jsonl',
  'checkpoints',
  '.resume.lock',
];

/**
 * Refuses a run folder that is, or holds, a symbolic link where the supervisor or the engine writes: a link
 * committed to a repository (`events.jsonl -> ~/.bashrc`, `checkpoints -> ~`) would carry their appends and
 * checkpoint saves out of the runs folder.
 */
export function checkNoLinks(dir: string): void {
  for (const name of ['', ...WRITTEN]) {
    const p = path.join(dir, name);
    let link = false;
    try {
      link = fs.lstatSync(p).isSymbolicLink();
    } catch {
      continue; // not there (yet)
    }
    if (link)
      throw new DataFileError(
        `${p} is a symbolic link; a run folder's files must be its own (was the run folder copied from elsewhere?)`,
      );
  }
}

const STATUSES = new Set(['starting', 'running', 'completed', 'failed', 'stopped']);

type Fields = Record<string, unknown>;

function fail(file: string, field: string, what: string): never {
  throw new DataFileError(`${file}: ${field}: ${what}; was the run folder edited or copied from elsewhere?`);
}

function optString(o: Fields, k: string, file: string): void {
  if (o[k] !== undefined && typeof o[k] !== 'string') fail(file, k, `expected a string, got ${JSON.stringify(o[k])}`);
}

/**
 * Checks a parsed run.json for the run in folder `id`: the record must name that folder (its `id` decides where
 * the record is written back), and the fields the supervisor acts on must have their types. A `pid` must be a
 * whole number above 1: 0, 1 and negative numbers mean "my group", "every process" and "a group" to kill(2).
 */
export function checkRunRecord<T>(value: unknown, id: string, file: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(file, '(top level)', 'not an object');
  const o = value as Fields;
  if (o.id !== id)
    fail(
      file,
      'id',
      `${JSON.stringify(o.id)} is not the name of its folder ('${id}'), so the record is not this run's`,
    );
  checkRunId(id, file);
  if (typeof o.status !== 'string' || !STATUSES.has(o.status))
    fail(file, 'status', `${JSON.stringify(o.status)} is not one of ${[...STATUSES].join(', ')}`);
  if (o.pid !== undefined && !(Number.isSafeInteger(o.pid) && (o.pid as number) > 1))
    fail(file, 'pid', `${JSON.stringify(o.pid)} is not a process id (a whole number above 1)`);
  for (const k of ['pidStart', 'pipeline', 'source', 'created', 'python', 'engineVersion', 'message', 'finished'])
    optString(o, k, file);
  if (o.attempts !== undefined && !(Number.isSafeInteger(o.attempts) && (o.attempts as number) >= 0))
    fail(file, 'attempts', `${JSON.stringify(o.attempts)} is not a count`);
  if (o.stages !== undefined) {
    if (!Array.isArray(o.stages)) fail(file, 'stages', 'not a list');
    o.stages.forEach((s: unknown, i) => {
      if (typeof s !== 'object' || s === null || !isStageName((s as Fields).name))
        fail(file, `stages[${i}].name`, `${JSON.stringify((s as Fields | null)?.name)} is not a stage name`);
    });
  }
  return value as T;
}

/** The stage names of a parsed plan.json, each checked; a forged name is a DataFileError naming the field. */
export function checkPlanStages<T extends { stages?: unknown }>(plan: T, file: string): T {
  if (plan.stages === undefined) return plan;
  if (!Array.isArray(plan.stages)) fail(file, 'stages', 'not a list');
  plan.stages.forEach((s: unknown, i) => {
    const name = (s as Fields | null)?.name;
    if (!isStageName(name)) fail(file, `stages[${i}].name`, `${JSON.stringify(name)} is not a stage name`);
  });
  return plan;
}

// Preflight of `srlm run`: every row of every dataset the plan trains or evaluates on, read by the engine that will
// run (`python -m srlm_engine check-data`), so a malformed row 30 000 lines into a file stops the launch with its
// file and line instead of failing a stage minutes into GPU time. The editor and `srlm check` sample the first rows
// only (they run on every edit); this is the full pass, once per launch.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Plan } from '../plan/types';
import { PreflightError } from './preflight';
import { ENGINE_MODULE } from './python';

/** One bad row, as the engine reports it (runtime/python/srlm_engine/check_data.py). */
export interface DataIssue {
  readonly dataset: string;
  readonly source?: string;
  readonly file?: string;
  readonly line?: number;
  readonly row?: number;
  readonly column?: string;
  readonly columns?: readonly string[];
  readonly message: string;
}

export interface DataReport {
  readonly ok: boolean;
  readonly errors: number;
  readonly datasets: readonly { name: string; rows: number; errors: number; seconds: number }[];
  readonly diagnostics: readonly DataIssue[];
}

/** Issues listed in the refusal; the count covers all of them. */
const LISTED = 10;

/** `file:line: dataset d, column c: message` — what a user needs to open the right place. */
export function describeIssue(i: DataIssue): string {
  const where = i.file ? `${i.file}${i.line ? `:${i.line}` : i.row ? ` (row ${i.row})` : ''}` : (i.source ?? '');
  const what = [`dataset ${i.dataset}`, i.column ? `column ${i.column}` : ''].filter(Boolean).join(', ');
  return `${where ? `${where}: ` : ''}${what}: ${i.message}`;
}

export function refusalMessage(r: DataReport): string {
  const shown = r.diagnostics.slice(0, LISTED).map((i) => `  ${describeIssue(i)}`);
  const more = r.errors > shown.length ? [`  … and ${r.errors - shown.length} more`] : [];
  return [
    `${r.errors} bad row${r.errors === 1 ? '' : 's'} in the pipeline's datasets; nothing was launched:`,
    ...shown,
    ...more,
  ].join('\n');
}

function runCheckData(python: string, planFile: string, env: NodeJS.ProcessEnv): Promise<DataReport> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-m', ENGINE_MODULE, 'check-data', '--plan', planFile, '--max-issues', String(LISTED)],
      { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // Exit 1 means "data errors" and still prints the report; anything else without JSON is a failure to check.
        try {
          resolve(JSON.parse(stdout) as DataReport);
        } catch {
          const why = (stderr || err?.message || 'no output').trim().split('\n').pop();
          reject(new Error(why));
        }
      },
    );
  });
}

/** Throws PreflightError naming file, line and column of the first bad rows when any dataset has one. */
export async function assertDataReadable(python: string, plan: Plan, env: NodeJS.ProcessEnv): Promise<DataReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-check-data-'));
  try {
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(plan));
    let report: DataReport;
    try {
      report = await runCheckData(python, planFile, env);
    } catch (err) {
      throw new PreflightError(`cannot read the pipeline's datasets: ${(err as Error).message}`);
    }
    if (!report.ok) throw new PreflightError(refusalMessage(report));
    return report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Pieces shared by the run-related commands (run, runs, show, stop, resume, logs, watch, setup): option parsing
// through node:util's parseArgs, locating the runs folder, and plain-text formatting of times and tables.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatElapsed } from '../../../server/src/core/text/duration';
import { UsageError, type CliIO } from './command';
import { DEFAULT_RUNS_DIR } from '../plan/compile';
import { RunStore, RunNotFoundError, RUN_FILES } from '../store/runStore';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every run command takes. */
export const STORE_OPTIONS = {
  runs: { type: 'string' },
} as const satisfies OptionSpec;

export const STORE_USAGE = `  --runs DIR            runs folder (default ./${DEFAULT_RUNS_DIR}; pipelines may set their own with \`output\`)`;

/** parseArgs with usage errors that name the command's problem instead of a stack trace. */
export function parse<O extends OptionSpec>(
  argv: string[],
  options: O,
  positionals: { min: number; max: number; what: string },
) {
  let r;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  if (r.positionals.length < positionals.min) throw new UsageError(`missing ${positionals.what}`);
  if (r.positionals.length > positionals.max)
    throw new UsageError(`unexpected argument '${r.positionals[positionals.max]}'`);
  return r;
}

export function storeFor(io: CliIO, runs: string | undefined): RunStore {
  return new RunStore(path.resolve(io.cwd, runs ?? DEFAULT_RUNS_DIR));
}

/**
 * Finds the run a user named: a run folder's path; else a name in `--runs`; else a name in ./.srlm/runs, or in the
 * working folder itself when that is a runs folder (the editor runs commands from there). Writes why not and
 * returns undefined when there is no such run.
 */
export function locateRun(
  io: CliIO,
  runs: string | undefined,
  name: string,
  command: string,
): { store: RunStore; id: string } | undefined {
  const asPath = path.resolve(io.cwd, name);
  if ((name.includes('/') || name.includes(path.sep)) && fs.existsSync(path.join(asPath, RUN_FILES.record))) {
    return { store: new RunStore(path.dirname(asPath)), id: path.basename(asPath) };
  }
  let store = storeFor(io, runs);
  if (runs === undefined && fs.existsSync(path.join(io.cwd, name, RUN_FILES.record))) store = new RunStore(io.cwd);
  try {
    return { store, id: store.resolve(name) };
  } catch (err) {
    if (err instanceof RunNotFoundError) {
      io.stderr.write(`srlm ${command}: ${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}

/** Elapsed time or ETA, as the editor shows it; `-` when unknown (table cells stay filled). */
export function formatDuration(seconds: number | undefined): string {
  return formatElapsed(seconds === undefined ? undefined : Math.max(0, seconds), '-');
}

/** Metric values to 4 significant digits, without exponent noise for ordinary magnitudes. */
export function formatNumber(v: number | null | undefined): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '-';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** A plain table: columns padded to their widest cell, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** ISO time → "2026-11-26 04:12" in local time. */
export function formatWhen(iso: string | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

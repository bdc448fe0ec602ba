// Reading the files a pipeline points at, without running anything: dataset rows (sampled from the head of
// the file), Python reward files (scanned for `def name(`), all through the environment's bounded reads.
import { extname, isAbsolute } from 'node:path';
import type { BlockSymbol } from '../core/semantics/binder';
import type { IdeDocument } from './document';
import { type IdeEnv } from './env';
import { datasetRequest, isLocalDataset, locateDataset, rememberedParquetRows } from './datasetSources';
import { expandPath } from './modelFacts';

export const SAMPLE_ROWS = 50;

export interface DatasetSample {
  path: string;
  format: 'jsonl' | 'json' | 'csv' | 'parquet' | 'unknown';
  /** Parsed rows with their 0-based line numbers (JSON lines and CSV). */
  rows: { line: number; value: Record<string, unknown> }[];
  /** The first unreadable row: its 0-based line and why. */
  bad?: { line: number; message: string };
  columns: string[];
  /** Rows in the whole file when it was read entirely, else an estimate from the sample's bytes per row. */
  rowCount?: number;
  rowCountExact: boolean;
  problem?: string;
}

function formatOf(path: string, declared: unknown): DatasetSample['format'] {
  if (declared === 'jsonl' || declared === 'json' || declared === 'csv' || declared === 'parquet') return declared;
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  return 'unknown';
}

/** Splits one CSV line (RFC 4180 quoting, no embedded newlines). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function sampleDataset(env: IdeEnv, path: string, declaredFormat?: unknown): DatasetSample {
  const format = formatOf(path, declaredFormat);
  const base: DatasetSample = { path, format, rows: [], columns: [], rowCountExact: false };
  const head = env.readHead(path);
  if (!head) return { ...base, problem: 'cannot be read' };
  if (format === 'parquet') return { ...base, problem: 'parquet files are not sampled by the editor' };
  if (format === 'json') {
    const text = env.readText(path, 16 * 1024 * 1024);
    if (text === undefined) return { ...base, problem: 'JSON file too large to sample (over 16 MiB); use JSON lines' };
    try {
      const data = JSON.parse(text) as unknown;
      const rows = Array.isArray(data) ? data : undefined;
      if (!rows) return { ...base, bad: { line: 0, message: 'a .json dataset must be an array of objects' } };
      const sample = rows.slice(0, SAMPLE_ROWS);
      const badIdx = sample.findIndex((r) => typeof r !== 'object' || r === null || Array.isArray(r));
      const objs = sample.filter(
        (r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r),
      );
      return {
        ...base,
        rows: objs.map((value) => ({ line: 0, value })),
        bad: badIdx >= 0 ? { line: 0, message: `element ${badIdx} is not an object` } : undefined,
        columns: columnsOf(objs.map((value) => ({ line: 0, value }))),
        rowCount: rows.length,
        rowCountExact: true,
      };
    } catch (e) {
      return { ...base, bad: { line: 0, message: `not valid JSON: ${(e as Error).message}` } };
    }
  }
  const lines = head.text.split('\n');
  // The last line of a partial read may be cut mid-row; it is not judged.
  if (!head.complete) lines.pop();
  const rows: DatasetSample['rows'] = [];
  let bad: DatasetSample['bad'];
  if (format === 'csv') {
    const header = csvFields((lines[0] ?? '').replace(/\r$/, ''));
    for (let i = 1; i < lines.length && rows.length < SAMPLE_ROWS; i++) {
      const l = lines[i]!.replace(/\r$/, '');
      if (l.trim() === '') continue;
      const f = csvFields(l);
      rows.push({ line: i, value: Object.fromEntries(header.map((h, k) => [h, f[k]])) });
    }
    return { ...base, rows, columns: header, ...countRows(head, lines.length - 1) };
  }
  let nonEmpty = 0;
  for (let i = 0; i < lines.length && rows.length < SAMPLE_ROWS; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    nonEmpty++;
    try {
      const v = JSON.parse(l) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        bad ??= { line: i, message: 'row is not a JSON object' };
        continue;
      }
      rows.push({ line: i, value: v as Record<string, unknown> });
    } catch (e) {
      bad ??= { line: i, message: `not valid JSON: ${(e as Error).message}` };
    }
  }
  const counted = head.complete ? lines.filter((l) => l.trim() !== '').length : nonEmpty;
  return { ...base, rows, bad, columns: columnsOf(rows), ...countRows(head, counted) };
}

function countRows(
  head: { text: string; complete: boolean; size: number },
  rowsInHead: number,
): { rowCount?: number; rowCountExact: boolean } {
  if (head.complete) return { rowCount: rowsInHead, rowCountExact: true };
  if (rowsInHead <= 0) return { rowCountExact: false };
  const bytesPerRow = Buffer.byteLength(head.text) / rowsInHead;
  return { rowCount: Math.round(head.size / bytesPerRow), rowCountExact: false };
}

function columnsOf(rows: { value: Record<string, unknown> }[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.value)) seen.add(k);
  return [...seen];
}

/** Absolute path of a block's path-valued field, resolved against the document's folder. */
export function resolvedPath(doc: IdeDocument, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (!doc.dir && !value.startsWith('/') && !value.startsWith('~')) return undefined;
  return expandPath(value, doc.dir ?? '/');
}

export function datasetSampleOf(doc: IdeDocument, dataset: BlockSymbol, env: IdeEnv): DatasetSample | undefined {
  const cfg = doc.model.configs.get(dataset);
  const req = cfg && datasetRequest(cfg.values);
  if (!req || (!doc.dir && !isAbsolute(req.source) && isLocalDataset(env, req.source, undefined))) return undefined;
  const loc = locateDataset(env, req, doc.dir);
  if (loc.kind !== 'files') return undefined;
  const file = loc.files[0]!;
  if (loc.format !== 'parquet')
    return loc.format === 'arrow'
      ? undefined
      : env.memo(`sample:${loc.format}:${file}`, () => sampleDataset(env, file, loc.format));
  // Parquet rows are decoded asynchronously by the dataset check; until then the sample is unknown.
  const read = rememberedParquetRows(env, file);
  if (!read) return undefined;
  const rows = read.rows.map((value) => ({ line: 0, value }));
  return {
    path: file,
    format: 'parquet',
    rows,
    columns: columnsOf(rows),
    rowCount: read.rowCount,
    rowCountExact: true,
  };
}

export function datasetColumns(doc: IdeDocument, dataset: BlockSymbol, env: IdeEnv): string[] {
  return datasetSampleOf(doc, dataset, env)?.columns ?? [];
}

export interface PythonFunction {
  name: string;
  params: string;
  /** 0-based line. */
  line: number;
  file: string;
  path: string;
}

/** Top-level `def name(...)` in a Python file; nothing is imported or executed. */
export function pythonFunctions(env: IdeEnv, path: string): PythonFunction[] | undefined {
  const text = env.readText(path, 2 * 1024 * 1024);
  if (text === undefined) return undefined;
  const out: PythonFunction[] = [];
  const re = /^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(([^)]*)\)?/gm;
  for (const m of text.matchAll(re)) {
    const line = text.slice(0, m.index).split('\n').length - 1;
    out.push({ name: m[1]!, params: m[2]!.replace(/\s+/g, ' ').trim(), line, file: path.split(/[\\/]/).pop()!, path });
  }
  return out;
}

/** User reward functions available to a stage: the top-level functions of its `reward_file`. */
export function userRewardFunctions(doc: IdeDocument, stage: BlockSymbol, env: IdeEnv): PythonFunction[] {
  const cfg = doc.model.configs.get(stage);
  const path = resolvedPath(doc, cfg?.values.reward_file);
  if (!path) return [];
  return (pythonFunctions(env, path) ?? []).filter((f) => !f.name.startsWith('_'));
}

// Where a dataset block's rows are and which columns they have, for every form its `source` can take: a local
// file (jsonl, json, csv, parquet, arrow), a `save_to_disk` folder, a folder of shards laid out as hub dataset
// repos are (`main/train-00000-of-00001.parquet`, `data/train-*.parquet`), or a hub id found in the Hugging Face
// cache (`datasets--org--name/snapshots/<commit>/…`). Columns of binary formats come from metadata (the parquet
// footer, `dataset_info.json`, the schema datasets embeds in an arrow file), so no data file is read whole.
import { extname, join } from 'node:path';
import type { IdeEnv } from './env';
import { datasetSourceKind } from '../core';
import { expandPath, hubSnapshot } from './modelFacts';

export type ShardFormat = 'jsonl' | 'json' | 'csv' | 'parquet' | 'arrow';

export interface DatasetRequest {
  /** `source` (or the older `path`) as written. */
  source: string;
  format?: string;
  subset?: string;
  split?: string;
  revision?: string;
}

export type DatasetLocation =
  | {
      kind: 'files';
      where: 'local' | 'hub-cache';
      /** Data files of the split, sorted; the first is the one sampled. */
      files: string[];
      format: ShardFormat;
      /** Column names declared by a `save_to_disk` folder's `dataset_info.json`. */
      features?: string[];
    }
  | { kind: 'hub-missing'; id: string; cache: string }
  | { kind: 'missing'; path: string }
  /** The place exists but holds no usable data for this block (no such split, unknown format…). */
  | { kind: 'problem'; message: string };

const EXTENSIONS: Record<string, ShardFormat> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.arrow': 'arrow',
};

function formatOf(path: string, declared: string | undefined): ShardFormat | undefined {
  if (declared && declared !== 'auto') return declared as ShardFormat;
  return EXTENSIONS[extname(path).toLowerCase()];
}

/**
 * A source is local when it looks like a path, carries a data file extension, or names something next to the
 * .srlm file; otherwise it is a hub dataset id (`openai/gsm8k`).
 */
export function isLocalDataset(env: IdeEnv, source: string, baseDir: string | undefined): boolean {
  if (datasetSourceKind(source) !== 'hub') return true;
  return baseDir !== undefined && env.stat(expandPath(source, baseDir)) !== undefined;
}

export function locateDataset(env: IdeEnv, req: DatasetRequest, baseDir: string | undefined): DatasetLocation {
  const split = req.split ?? 'train';
  if (!isLocalDataset(env, req.source, baseDir)) {
    const snap = hubSnapshot(env, req.source, req.revision ?? 'main', 'datasets');
    if (!snap) return { kind: 'hub-missing', id: req.source, cache: env.hubCache() };
    return inFolder(env, snap, req, split, 'hub-cache');
  }
  const abs = expandPath(req.source, baseDir ?? '/');
  const st = env.stat(abs);
  if (!st) return { kind: 'missing', path: abs };
  if (st === 'dir') return inFolder(env, abs, req, split, 'local');
  const format = formatOf(abs, req.format);
  if (!format)
    return {
      kind: 'problem',
      message: `cannot tell the format of '${req.source}' from its extension: set format = jsonl, json, csv, parquet or arrow`,
    };
  return { kind: 'files', where: 'local', files: [abs], format };
}

function dataFiles(env: IdeEnv, dir: string, accept: (name: string) => boolean): string[] {
  return (env.listDir(dir) ?? [])
    .filter((e) => !e.dir && formatOf(e.name, undefined) !== undefined && accept(e.name))
    .map((e) => join(dir, e.name));
}

/** Files of one split in a folder laid out as a hub dataset repo. */
function splitFiles(env: IdeEnv, dir: string, split: string): string[] {
  const named = dataFiles(env, dir, (n) => n.startsWith(`${split}-`) || n.startsWith(`${split}.`));
  if (named.length > 0) return named;
  return env.stat(join(dir, split)) === 'dir' ? dataFiles(env, join(dir, split), () => true) : [];
}

function inFolder(
  env: IdeEnv,
  dir: string,
  req: DatasetRequest,
  split: string,
  where: 'local' | 'hub-cache',
): DatasetLocation {
  const what = where === 'hub-cache' ? `'${req.source}' (${dir})` : `'${req.source}'`;
  // save_to_disk of a DatasetDict: one saved Dataset per split.
  const dict = env.readJson(join(dir, 'dataset_dict.json')) as { splits?: unknown } | undefined;
  if (dict && Array.isArray(dict.splits)) {
    if (!dict.splits.includes(split))
      return { kind: 'problem', message: `${what} has no split '${split}' (splits: ${dict.splits.join(', ')})` };
    return savedDataset(env, join(dir, split), what) ?? { kind: 'missing', path: join(dir, split) };
  }
  const saved = savedDataset(env, dir, what);
  if (saved) return saved;
  const candidates = [req.subset ? join(dir, req.subset) : undefined, join(dir, 'data'), dir].filter(
    (d): d is string => d !== undefined && env.stat(d) === 'dir',
  );
  for (const d of candidates) {
    const files = splitFiles(env, d, split).sort();
    if (files.length > 0) return { kind: 'files', where, files, format: formatOf(files[0]!, req.format)! };
  }
  if (req.subset && env.stat(join(dir, req.subset)) !== 'dir') {
    const configs = configsOf(env, dir);
    return {
      kind: 'problem',
      message: `${what} has no subset '${req.subset}'${configs.length ? ` (subsets: ${configs.join(', ')})` : ''}`,
    };
  }
  const configs = configsOf(env, dir);
  if (!req.subset && configs.length === 1) return inFolder(env, dir, { ...req, subset: configs[0] }, split, where);
  if (!req.subset && configs.length > 1)
    return {
      kind: 'problem',
      message: `${what} has several subsets (${configs.join(', ')}); choose one with subset = "${configs[0]}"`,
    };
  return {
    kind: 'problem',
    message: `${what} has no '${split}' split (looked for ${split}-*.parquet, ${split}.jsonl… in ${req.subset ? `${req.subset}/, ` : ''}data/ and the folder itself)`,
  };
}

/** Subfolders that hold split files: the configs (subsets) of a hub dataset repo. */
function configsOf(env: IdeEnv, dir: string): string[] {
  return (env.listDir(dir) ?? [])
    .filter((e) => e.dir && !e.name.startsWith('.') && dataFiles(env, join(dir, e.name), () => true).length > 0)
    .map((e) => e.name);
}

/** A `save_to_disk` folder of one Dataset: `state.json` lists the arrow files, `dataset_info.json` the features. */
function savedDataset(env: IdeEnv, dir: string, what: string): DatasetLocation | undefined {
  const state = env.readJson(join(dir, 'state.json')) as { _data_files?: { filename?: unknown }[] } | undefined;
  if (!state || !Array.isArray(state._data_files)) return undefined;
  const files = state._data_files
    .map((f) => f.filename)
    .filter((f): f is string => typeof f === 'string')
    .map((f) => join(dir, f));
  const absent = files.find((f) => env.stat(f) !== 'file');
  if (files.length === 0 || absent)
    return {
      kind: 'problem',
      message: `${what}: save_to_disk folder lacks its data file ${absent ?? '(none listed)'}`,
    };
  return {
    kind: 'files',
    where: 'local',
    files,
    format: 'arrow',
    features: featuresOf(env.readJson(join(dir, 'dataset_info.json'))),
  };
}

function featuresOf(info: unknown): string[] | undefined {
  const f = (info as { features?: unknown } | undefined)?.features;
  return f && typeof f === 'object' && !Array.isArray(f) ? Object.keys(f) : undefined;
}

/** The request a dataset block makes, from its checked values (`path` is the older name of `source`). */
export function datasetRequest(values: Record<string, unknown>): DatasetRequest | undefined {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const source = str('source') ?? str('path');
  if (source === undefined) return undefined;
  return {
    source,
    format: str('format'),
    subset: str('subset') ?? str('config'),
    split: str('split'),
    revision: str('revision'),
  };
}

export type SchemaResult = { columns: string[]; rows?: number } | { problem: string } | undefined;

const TAIL_BYTES = 64 * 1024;

/** Columns of a parquet or arrow data file from its metadata; undefined for text formats (sample rows instead). */
export async function schemaColumns(
  env: IdeEnv,
  loc: Extract<DatasetLocation, { kind: 'files' }>,
): Promise<SchemaResult> {
  const file = loc.files[0]!;
  if (loc.format === 'parquet') return parquetColumns(env, file);
  if (loc.format !== 'arrow') return undefined;
  if (loc.features) return { columns: loc.features };
  return arrowColumns(env, file);
}

async function parquetColumns(env: IdeEnv, file: string): Promise<SchemaResult> {
  let tail = env.readTail(file, TAIL_BYTES);
  if (!tail) return { problem: 'cannot be read' };
  const bad = { problem: 'is not a parquet file (no PAR1 footer)' };
  const d = tail.data;
  const n = d.length;
  if (n < 12 || String.fromCharCode(d[n - 4]!, d[n - 3]!, d[n - 2]!, d[n - 1]!) !== 'PAR1') return bad;
  const footer = new DataView(d.buffer, d.byteOffset, n).getUint32(n - 8, true);
  if (footer + 8 > tail.size) return bad;
  if (footer + 8 > n) tail = env.readTail(file, footer + 8);
  if (!tail) return { problem: 'cannot be read' };
  try {
    // hyparquet is an ES module; the server and CLI bundles are CommonJS, so it is loaded on first use.
    const { parquetMetadata, parquetSchema } = await import('hyparquet');
    const bytes = tail.data.slice();
    const meta = parquetMetadata(bytes.buffer);
    const columns = parquetSchema(meta).children.map((c) => c.element.name);
    return { columns, rows: Number(meta.num_rows) };
  } catch (e) {
    return { problem: `has an unreadable parquet footer (${(e as Error).message})` };
  }
}

/**
 * An arrow file written by `datasets` carries its features as JSON in the schema's metadata (`{"info":
 * {"features": …}}`), near the start of the stream; a sibling `dataset_info.json` says the same.
 */
function arrowColumns(env: IdeEnv, file: string): SchemaResult {
  const sibling = featuresOf(env.readJson(join(file, '..', 'dataset_info.json')));
  if (sibling) return { columns: sibling };
  const head = env.readHead(file, TAIL_BYTES);
  if (!head) return { problem: 'cannot be read' };
  const at = head.text.indexOf('{"info": {"features"');
  if (at < 0) return undefined;
  const end = balancedEnd(head.text, at);
  if (end < 0) return undefined;
  try {
    return { columns: featuresOf((JSON.parse(head.text.slice(at, end)) as { info?: unknown }).info) ?? [] };
  } catch {
    return undefined;
  }
}

/** Index after the JSON object starting at `start` (strings and escapes respected), or −1. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

export interface ParquetRows {
  rows: Record<string, unknown>[];
  /** Rows in the whole file (from the footer). */
  rowCount: number;
}

/** The first row group is read only when its compressed size stays below this; the count comes regardless. */
const ROW_GROUP_LIMIT = 32 * 1024 * 1024;

/**
 * The first `n` rows of a parquet file and its row count, for the estimates and the truncation check (GSM8K ships
 * as parquet). Remembered in `env` per file and size, so the synchronous editor features see them once a check
 * has read them; undefined when the file cannot be decoded (an unsupported codec: the schema check still runs).
 */
export async function loadParquetRows(env: IdeEnv, file: string, n: number): Promise<ParquetRows | undefined> {
  const key = parquetRowsKey(env, file);
  const known = env.recall<ParquetRows | null>(key);
  if (known !== undefined) return known ?? undefined;
  let result: ParquetRows | undefined;
  try {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const first = metadata.row_groups[0];
    const small =
      first !== undefined && Number(first.total_compressed_size ?? first.total_byte_size) <= ROW_GROUP_LIMIT;
    const rows = small ? await parquetReadObjects({ file: buffer, metadata, rowStart: 0, rowEnd: n }) : [];
    result = { rows, rowCount: Number(metadata.num_rows) };
  } catch {
    result = undefined;
  }
  env.remember(key, result ?? null);
  return result;
}

export function rememberedParquetRows(env: IdeEnv, file: string): ParquetRows | undefined {
  return env.recall<ParquetRows | null>(parquetRowsKey(env, file)) ?? undefined;
}

function parquetRowsKey(env: IdeEnv, file: string): string {
  return `parquet-rows:${file}:${env.statFull(file)?.size ?? -1}`;
}

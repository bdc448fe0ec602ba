// Checks that need files go through a host the caller supplies: the CLI passes the real file system
// (runtime/src/cli/host), the language server its own, tests an in-memory one. The core never imports `fs`.
import type { DocumentModel } from './analysis';
import { Codes } from './diagnostics/codes';
import type { RawDiagnostic } from './diagnostics/diagnostic';
import type { BlockSymbol } from './semantics/binder';
import type { BlockConfig } from './semantics/checker';
import { BUILTIN_REWARDS } from './schema/blocks';
import { rewardSignature } from './schema/rewardCall';
import { templateFileCheck } from './templateCheck';
import type { JsonValue } from './schema/types';
import type { Span } from './text/lineIndex';
import { DATA_FILE_RE, datasetSourceKind, expandHome, isLocalSource } from './semantics/sources';

export interface FileStat {
  type: 'file' | 'directory';
  size: number;
}

export interface CheckHost {
  /** Absolute form of a path written in the file; relative paths resolve against the .srlm file's folder. */
  resolve(path: string): string;
  stat(absPath: string): Promise<FileStat | undefined>;
  /** At most `maxBytes` bytes from the start of the file, decoded as UTF-8; undefined when unreadable. */
  readText(absPath: string, maxBytes: number): Promise<string | undefined>;
}

export interface DatasetSample {
  /** Rows read from the start of the file (objects for JSON formats, header-keyed objects for CSV). */
  rows: Record<string, unknown>[];
  /** Column names when known without rows (CSV header). */
  columns?: string[];
  /** Problems with individual rows: 1-based line (JSONL) or row number, and the reason. */
  errors: { row: number; message: string }[];
  /** True when the format cannot be sampled here (parquet, arrow) — column checks are skipped. */
  unsupported?: boolean;
  /** True when `columns` come from the data's schema (parquet footer, arrow features) and there are no rows. */
  schema?: boolean;
}

export type DatasetFormat = 'jsonl' | 'json' | 'csv' | 'parquet' | 'arrow';

export function datasetFormat(path: string, declared: string | undefined): DatasetFormat | undefined {
  if (declared && declared !== 'auto') return declared as DatasetFormat;
  const m = DATA_FILE_RE.exec(path);
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  return ext === 'ndjson' ? 'jsonl' : (ext as DatasetFormat);
}

const SAMPLE_BYTES = 256 * 1024;
const JSON_WHOLE_LIMIT = 8 * 1024 * 1024;

/** Reads the first `n` rows of a dataset file through the host. */
export async function readDatasetSample(
  host: CheckHost,
  absPath: string,
  format: DatasetFormat,
  n: number,
): Promise<DatasetSample | undefined> {
  if (format === 'parquet' || format === 'arrow') return { rows: [], errors: [], unsupported: true };
  const st = await host.stat(absPath);
  if (!st || st.type !== 'file') return undefined;
  if (format === 'json') {
    if (st.size > JSON_WHOLE_LIMIT) return { rows: [], errors: [], unsupported: true };
    const text = await host.readText(absPath, JSON_WHOLE_LIMIT);
    if (text === undefined) return undefined;
    try {
      const data: unknown = JSON.parse(text);
      const rows = Array.isArray(data) ? data : undefined;
      if (!rows) return { rows: [], errors: [{ row: 0, message: 'the file is not a JSON array of rows' }] };
      const errors: DatasetSample['errors'] = [];
      const objs: Record<string, unknown>[] = [];
      rows.slice(0, n).forEach((r, i) => {
        if (r && typeof r === 'object' && !Array.isArray(r)) objs.push(r as Record<string, unknown>);
        else errors.push({ row: i + 1, message: 'row is not a JSON object' });
      });
      return { rows: objs, errors };
    } catch (e) {
      return { rows: [], errors: [{ row: 0, message: `not valid JSON: ${(e as Error).message}` }] };
    }
  }
  const text = await host.readText(absPath, SAMPLE_BYTES);
  if (text === undefined) return undefined;
  const lines = text.split(/\r?\n/);
  // The last line may have been cut by the byte limit.
  if (st.size > SAMPLE_BYTES) lines.pop();
  if (format === 'csv') {
    const header = lines[0] === undefined ? [] : splitCsvLine(lines[0]);
    const rows = lines
      .slice(1, n + 1)
      .filter((l) => l.trim() !== '')
      .map((l) => Object.fromEntries(splitCsvLine(l).map((v, i) => [header[i] ?? `column${i + 1}`, v])));
    return { rows, columns: header, errors: [] };
  }
  const rows: Record<string, unknown>[] = [];
  const errors: DatasetSample['errors'] = [];
  for (let i = 0; i < lines.length && rows.length + errors.length < n; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(v as Record<string, unknown>);
      else errors.push({ row: i + 1, message: 'line is not a JSON object' });
    } catch (e) {
      errors.push({ row: i + 1, message: `not valid JSON (${(e as Error).message})` });
    }
  }
  return { rows, errors };
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

export { expandHome, isLocalSource };

/** Model folders shipped inside the engine package (`srlm_engine/assets/models`), named `builtin:NAME`. */
export const BUILTIN_MODELS: readonly string[] = ['tiny-teacher', 'tiny-student'];
const BUILTIN_PREFIX = 'builtin:';

/** The NAME of a `builtin:NAME` source, else undefined. */
export function builtinModelName(source: string): string | undefined {
  return source.startsWith(BUILTIN_PREFIX) ? source.slice(BUILTIN_PREFIX.length) : undefined;
}

export type ModelConfigResult =
  | { kind: 'hub' }
  | { kind: 'builtin' }
  | { kind: 'missing'; path: string }
  | { kind: 'error'; path: string; message: string }
  | { kind: 'ok'; path: string; config: Record<string, unknown> };

/** Reads `config.json` of a local model folder; hub ids are not fetched (no network at check time). */
export async function readModelConfig(host: CheckHost, source: string): Promise<ModelConfigResult> {
  const builtin = builtinModelName(source);
  if (builtin !== undefined)
    return BUILTIN_MODELS.includes(builtin)
      ? { kind: 'builtin' }
      : {
          kind: 'error',
          path: source,
          message: `no such built-in model; expected one of ${BUILTIN_MODELS.map((m) => BUILTIN_PREFIX + m).join(', ')}`,
        };
  if (!isLocalSource(source)) return { kind: 'hub' };
  const dir = host.resolve(source);
  const st = await host.stat(dir);
  if (!st || st.type !== 'directory') return { kind: 'missing', path: dir };
  const cfgPath = joinPath(dir, 'config.json');
  const text = await host.readText(cfgPath, 4 * 1024 * 1024);
  if (text === undefined) return { kind: 'error', path: cfgPath, message: 'config.json not found' };
  try {
    const config: unknown = JSON.parse(text);
    if (!config || typeof config !== 'object')
      return { kind: 'error', path: cfgPath, message: 'config.json is not a JSON object' };
    return { kind: 'ok', path: cfgPath, config: config as Record<string, unknown> };
  } catch (e) {
    return { kind: 'error', path: cfgPath, message: `config.json is not valid JSON (${(e as Error).message})` };
  }
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : `${dir}/${name}`;
}

/** What a file check sees: the analysed document, the host, and memoised readers shared by all checks. */
export interface HostCheckContext {
  doc: DocumentModel;
  host: CheckHost;
  datasetSample(sym: BlockSymbol): Promise<DatasetSample | undefined>;
  modelConfig(sym: BlockSymbol): Promise<ModelConfigResult | undefined>;
  /** The model a stage's weights finally come from (following `init` through earlier stages). */
  baseModel(sym: BlockSymbol): BlockSymbol | undefined;
  config(sym: BlockSymbol): BlockConfig | undefined;
  valueSpan(cfg: BlockConfig, field: string): Span | undefined;
}

export type HostCheck = (ctx: HostCheckContext) => Promise<RawDiagnostic[]>;

export const SAMPLE_ROWS = 8;

export function createHostContext(doc: DocumentModel, host: CheckHost): HostCheckContext {
  const samples = new Map<BlockSymbol, Promise<DatasetSample | undefined>>();
  const models = new Map<BlockSymbol, Promise<ModelConfigResult | undefined>>();
  const bases = new Map<BlockSymbol, BlockSymbol | null>();
  const onWalk = new Set<BlockSymbol>();
  const ctx: HostCheckContext = {
    doc,
    host,
    config: (sym) => doc.configs.get(sym),
    valueSpan(cfg, field) {
      const a = cfg.attributes.get(field);
      const v = a?.value;
      return v ? { start: v.start, end: v.end } : a ? { start: a.node.start, end: a.node.end } : undefined;
    },
    datasetSample(sym) {
      let p = samples.get(sym);
      if (!p) {
        const cfg = doc.configs.get(sym);
        const path = cfg?.values.source;
        const fmt =
          typeof path === 'string' && datasetSourceKind(path) === 'file'
            ? datasetFormat(path, cfg?.values.format as string | undefined)
            : undefined;
        p =
          typeof path === 'string' && fmt
            ? readDatasetSample(host, host.resolve(path), fmt, SAMPLE_ROWS)
            : Promise.resolve(undefined);
        samples.set(sym, p);
      }
      return p;
    },
    modelConfig(sym) {
      let p = models.get(sym);
      if (!p) {
        const src = doc.configs.get(sym)?.values.source;
        p = typeof src === 'string' ? readModelConfig(host, src) : Promise.resolve(undefined);
        models.set(sym, p);
      }
      return p;
    },
    // Memoised along the whole walk: asked for every stage of a 20,000-stage chain, walking each chain
    // afresh was quadratic (40 s).
    baseModel(sym) {
      const walked: BlockSymbol[] = [];
      let cur: BlockSymbol | undefined = sym;
      let found: BlockSymbol | null | undefined;
      while (cur && cur.kind === 'stage') {
        found = bases.get(cur);
        if (found !== undefined) break;
        // A stage met twice is on a cycle of `init`s (reported by the checker): no base model.
        if (onWalk.has(cur)) {
          found = null;
          break;
        }
        walked.push(cur);
        onWalk.add(cur);
        const init: JsonValue | undefined = doc.configs.get(cur)?.values.init;
        cur = typeof init === 'string' ? doc.symbolsByName.get(init) : undefined;
      }
      if (found === undefined) found = cur && cur.kind === 'model' ? cur : null;
      for (const s of walked) {
        bases.set(s, found);
        onWalk.delete(s);
      }
      return found ?? undefined;
    },
  };
  return ctx;
}

// ---- the built-in file checks ------------------------------------------------------------------------------

const COLUMN_FIELDS = ['prompt', 'completion', 'answer', 'messages'] as const;

export const datasetFileCheck: HostCheck = async (ctx) => {
  const out: RawDiagnostic[] = [];
  for (const sym of ctx.doc.symbols) {
    if (sym.kind !== 'dataset') continue;
    const cfg = ctx.config(sym);
    const path = cfg?.values.source;
    if (!cfg || typeof path !== 'string') continue;
    const pathSpan = ctx.valueSpan(cfg, 'source') as Span;
    const abs = ctx.host.resolve(path);
    const st = await ctx.host.stat(abs);
    const kind = datasetSourceKind(path);
    // Hub ids are not looked up here (no network at check time); a hub-shaped name that exists on disk is local.
    if (!st && kind === 'hub') continue;
    if (!st) {
      out.push({
        info: Codes.datasetMissing,
        message: `dataset ${kind === 'file' ? 'file' : 'folder'} '${path}' not found (looked for ${abs})`,
        span: pathSpan,
      });
      continue;
    }
    // Folders (save_to_disk, hub layout) are read in full by the engine's check-data, not sampled here.
    if (st.type !== 'file') continue;
    const fmt = datasetFormat(path, cfg.values.format as string | undefined);
    if (!fmt) {
      out.push({
        info: Codes.datasetUnreadable,
        message: `cannot tell the format of '${path}' from its extension: set format = jsonl, json, csv, parquet or arrow`,
        span: pathSpan,
      });
      continue;
    }
    const sample = await ctx.datasetSample(sym);
    if (!sample || sample.unsupported) continue;
    out.push(...datasetSampleDiagnostics(ctx, sym, cfg, path, pathSpan, sample));
  }
  return out;
};

/**
 * Problems of a dataset's sampled rows, or of its columns when only its schema is known (`sample.schema`): rows
 * that do not parse, no rows at all, and columns the block names that the data lacks. `label` names the data in
 * messages (the path as written, or a hub id with its subset and split).
 */
export function datasetSampleDiagnostics(
  ctx: HostCheckContext,
  sym: BlockSymbol,
  cfg: BlockConfig,
  label: string,
  span: Span,
  sample: DatasetSample,
): RawDiagnostic[] {
  const out: RawDiagnostic[] = [];
  if (sample.errors.length > 0) {
    const e = sample.errors[0];
    const more =
      sample.errors.length > 1 ? ` (and ${sample.errors.length - 1} more of the first ${SAMPLE_ROWS} rows)` : '';
    out.push({
      info: Codes.datasetUnreadable,
      message: `${label}${e.row ? ` line ${e.row}` : ''}: ${e.message}${more}`,
      span,
    });
  }
  if (sample.rows.length === 0 && !sample.schema) {
    if (sample.errors.length === 0)
      out.push({ info: Codes.datasetUnreadable, message: `dataset file '${label}' has no rows`, span });
    return out;
  }
  const present = new Set<string>(sample.columns ?? []);
  for (const r of sample.rows) for (const k of Object.keys(r)) present.add(k);
  for (const f of COLUMN_FIELDS) {
    const written = cfg.values[f];
    const col =
      typeof written === 'string' ? written : f === 'prompt' && !cfg.attributes.has('messages') ? 'prompt' : undefined;
    if (col === undefined) continue;
    let where: string;
    if (sample.schema) {
      if (present.has(col)) continue;
      where = 'the columns';
    } else {
      const missing = sample.rows.map((r, i) => (r[col] === undefined ? i + 1 : 0)).filter((i) => i > 0);
      // Null or blank values fail the engine's row check too (they would otherwise train as "None" or nothing).
      const blank = sample.rows.findIndex(
        (r) => r[col] === null || (typeof r[col] === 'string' && (r[col] as string).trim() === ''),
      );
      if (missing.length === 0 && blank >= 0 && f !== 'messages') {
        out.push({
          info: Codes.datasetUnreadable,
          message: `${label} row ${blank + 1}: ${f} column '${col}' is ${sample.rows[blank][col] === null ? 'null' : 'empty'}`,
          span: ctx.valueSpan(cfg, f) ?? sym.nameSpan,
        });
      }
      if (missing.length === 0) continue;
      where =
        missing.length === sample.rows.length
          ? `any of the first ${sample.rows.length} rows`
          : `rows ${missing.join(', ')} of the first ${sample.rows.length}`;
    }
    out.push({
      info: Codes.datasetColumnMissing,
      message: `column '${col}' is not in ${where} of ${label}; ${sample.schema ? 'it has' : 'rows have'}: ${[...present].join(', ') || 'no columns'}`,
      span: ctx.valueSpan(cfg, f) ?? sym.nameSpan,
    });
  }
  return out;
}

export const modelFileCheck: HostCheck = async (ctx) => {
  const out: RawDiagnostic[] = [];
  const vocab = new Map<BlockSymbol, number>();
  for (const sym of ctx.doc.symbols) {
    if (sym.kind !== 'model') continue;
    const cfg = ctx.config(sym);
    if (!cfg) continue;
    const res = await ctx.modelConfig(sym);
    const span = ctx.valueSpan(cfg, 'source') ?? sym.nameSpan;
    if (!res) continue;
    if (res.kind === 'missing')
      out.push({ info: Codes.modelConfig, message: `model folder not found: ${res.path}`, span });
    else if (res.kind === 'error') out.push({ info: Codes.modelConfig, message: `${res.path}: ${res.message}`, span });
    else if (res.kind === 'ok' && typeof res.config.vocab_size === 'number') vocab.set(sym, res.config.vocab_size);
    else if (res.kind === 'builtin' && cfg.values.weights !== 'random') {
      // The shipped folders hold configs and tokenizers only.
      out.push({ info: Codes.modelConfig, message: 'built-in models have no weights; set weights = random', span });
    } else if (res.kind === 'hub' && cfg.values.weights === 'random') {
      out.push({
        info: Codes.modelConfig,
        message: "weights = random builds the model from a local config.json; give a local folder as 'source'",
        span,
      });
    }
    const tok = cfg.values.tokenizer;
    if (typeof tok === 'string') {
      const st = await ctx.host.stat(ctx.host.resolve(tok));
      if (!st || st.type !== 'directory')
        out.push({
          info: Codes.modelConfig,
          message: `tokenizer folder '${tok}' not found`,
          span: ctx.valueSpan(cfg, 'tokenizer') as Span,
        });
    }
  }
  // Distillation compares logits token by token: the vocabularies must line up.
  for (const sym of ctx.doc.symbols) {
    if (sym.kind !== 'stage') continue;
    const cfg = ctx.config(sym);
    if (!cfg) continue;
    const pairs: { holder: BlockConfig; teacher: unknown }[] = [];
    if (sym.stageKind === 'kd') pairs.push({ holder: cfg, teacher: cfg.values.teacher });
    const reg = cfg.nested.get('kd');
    if (reg) pairs.push({ holder: reg, teacher: reg.values.teacher });
    const student = ctx.baseModel(sym);
    for (const p of pairs) {
      const tSym = typeof p.teacher === 'string' ? ctx.doc.symbolsByName.get(p.teacher) : undefined;
      const teacher = tSym ? ctx.baseModel(tSym) : undefined;
      const sv = student && vocab.get(student);
      const tv = teacher && vocab.get(teacher);
      if (sv !== undefined && tv !== undefined && sv !== tv) {
        out.push({
          info: Codes.vocabMismatch,
          message: `teacher vocabulary (${tv} tokens, model '${teacher?.name}') differs from the student's (${sv}, model '${student?.name}'); logits are compared on the first ${Math.min(sv, tv)} ids`,
          span: ctx.valueSpan(p.holder, 'teacher') as Span,
        });
      }
    }
  }
  return out;
};

export const rewardFileCheck: HostCheck = async (ctx) => {
  const out: RawDiagnostic[] = [];
  for (const sym of ctx.doc.symbols) {
    const cfg = ctx.config(sym);
    const file = cfg?.values.reward_file;
    if (!cfg || typeof file !== 'string') continue;
    const span = ctx.valueSpan(cfg, 'reward_file') as Span;
    const abs = ctx.host.resolve(file);
    const text = await ctx.host.readText(abs, 1024 * 1024);
    if (text === undefined) {
      out.push({ info: Codes.rewardFileMissing, message: `reward file '${file}' not found (looked for ${abs})`, span });
      continue;
    }
    const reward = cfg.values.reward;
    if (!Array.isArray(reward)) continue;
    for (const term of reward) {
      const fn = (term as { fn?: unknown }).fn;
      if (typeof fn !== 'string' || fn in BUILTIN_REWARDS) continue;
      if (!new RegExp(`^(async\\s+)?def\\s+${fn}\\s*\\(`, 'm').test(text)) {
        out.push({
          info: Codes.rewardFunctionMissing,
          message: `reward function '${fn}' is not defined in ${file} (expected '${rewardSignature(fn)}', called by keyword)`,
          span: ctx.valueSpan(cfg, 'reward') as Span,
        });
      }
    }
  }
  return out;
};

export const defaultHostChecks: readonly HostCheck[] = [
  datasetFileCheck,
  modelFileCheck,
  rewardFileCheck,
  templateFileCheck,
];

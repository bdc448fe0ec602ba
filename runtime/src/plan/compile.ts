// The plan compiler: a checked .srlm file → plan.json (docs/plan.md). Every default comes from the language
// schema (server/src/core/schema) through `resolveDefaults`, paths become absolute, and each stage gets a content
// hash so the stage cache can tell when a stage's result would be the same as one already trained.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  blockSpec,
  datasetSourceKind,
  decodeUtf8,
  encodingDiagnostic,
  isInlineTemplate,
  isLocalSource,
  expandHome,
  LineIndex,
  resolveDefaults,
  stageKindSpec,
  layoutVariant,
  type BlockConfig,
  type BlockSpec,
  type BlockSymbol,
  type Diagnostic,
  type DocumentModel,
  type JsonValue,
} from '../../../server/src/core';
import { checkDocument, checkEnvironment, documentOf } from '../../../server/src/ide/checks';
import { fsErrorReason } from '../store/fileIo';
import { canonicalJson, sha256, sha256File, sha256Tree } from './hash';
import {
  ENGINE_RESULTS_REVISION,
  EXPECTED_ENGINE_VERSION,
  PLAN_SCHEMA_VERSION,
  type Plan,
  type PlanStage,
} from './types';

/** The default runs folder, relative to the workspace. */
export const DEFAULT_RUNS_DIR = path.join('.srlm', 'runs');

/**
 * Stage fields that change how a run is observed or saved, not what it computes: left out of the stage hash, so
 * logging more often does not retrain a stage.
 */
export const HASH_EXCLUDED_FIELDS: ReadonlySet<string> = new Set([
  'log_every',
  'save_every',
  'keep_last',
  'export_onnx',
]);

export interface CompileOptions {
  /** The .srlm file (absolute, or relative to `workspace`). */
  readonly file: string;
  /** Text to compile instead of the file's content (an unsaved editor buffer). */
  readonly text?: string;
  /** Folder the default runs folder (`.srlm/runs`) is relative to: the CLI's cwd, the editor's workspace folder. */
  readonly workspace: string;
  /** Engine version the hashes are computed for (default: the version this supervisor expects). */
  readonly engineVersion?: string;
  /** Run the environment checks (`srlm check`'s: files, hub cache, GPU memory…); default true. */
  readonly fileChecks?: boolean;
  /** Environment variables the checks read (HF_HOME, HF_HUB_CACHE…); default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Commits the hub models resolved to (model name → commit, from the engine's `pull`): written to each model's
   * `resolved_revision` and part of its identity, so a new commit of a model retrains the stages that use it.
   */
  readonly resolvedRevisions?: Readonly<Record<string, string>>;
  /** The same for hub datasets (dataset name → commit): a new commit of a dataset is different data. */
  readonly resolvedDatasetRevisions?: Readonly<Record<string, string>>;
  /**
   * A variant of the file's study (docs/study.md): the plan runs that variant's stages with its settings, and
   * is labelled `<pipeline>.<variant>`. Without it, the pipeline as written.
   */
  readonly variant?: string;
}

/** The file has errors; `diagnostics` are all of them (warnings too), ready for `srlm check`'s printer. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly diagnostics: readonly Diagnostic[],
    readonly lineIndex: LineIndex | undefined,
  ) {
    super(message);
  }
}

export interface CompileResult {
  readonly plan: Plan;
  /** Warnings and hints of the check (errors make compilePlan throw). */
  readonly diagnostics: readonly Diagnostic[];
  readonly document: DocumentModel;
}

type Json = Record<string, JsonValue>;

function absPath(base: string, p: JsonValue | undefined): JsonValue | undefined {
  if (typeof p !== 'string') return p;
  return path.resolve(base, expandHome(p, os.homedir()));
}

/** Resolved values of a block: its own fields, path fields absolute, and nested blocks (or null) resolved too. */
function resolveBlock(
  spec: BlockSpec,
  cfg: BlockConfig | undefined,
  base: string,
  nestedOf?: string,
  withNested = true,
): Json {
  const out = resolveDefaults(spec, cfg?.values ?? {});
  for (const f of spec.fields) {
    if (f.type.kind === 'path' && f.name in out) out[f.name] = absPath(base, out[f.name]) as JsonValue;
    if (
      f.type.kind === 'string' &&
      f.type.modelSource &&
      typeof out[f.name] === 'string' &&
      isLocalSource(out[f.name] as string)
    ) {
      out[f.name] = absPath(base, out[f.name]) as JsonValue;
    }
  }
  if (!withNested) return out;
  for (const kind of spec.blocks) {
    const nestedSpec = blockSpec(kind, nestedOf);
    const nested = cfg?.nested.get(kind);
    out[kind] = nestedSpec && nested ? resolveBlock(nestedSpec, nested, base) : null;
  }
  return out;
}

/**
 * Replaces each `template` field that names a file with the file's text, so the plan stands alone and the stage
 * hash covers the template's content, not its location.
 */
function inlineTemplates(spec: BlockSpec, values: Json, base: string, what: string, fail: (m: string) => never): void {
  for (const f of spec.fields) {
    const v = values[f.name];
    if (f.type.kind !== 'string' || !f.type.template || typeof v !== 'string' || isInlineTemplate(v)) continue;
    const file = absPath(base, v) as string;
    try {
      values[f.name] = fs.readFileSync(file, 'utf8');
    } catch (err) {
      fail(
        `${what}: cannot read the template file '${v}' (${(err as NodeJS.ErrnoException).code ?? String(err)}, looked for ${file})`,
      );
    }
  }
}

/**
 * A dataset `source` on disk: an absolute path and a content hash. A hub-id-shaped name (`data/gsm8k`) is a
 * local folder only when it exists beside the .srlm file, as `datasets` itself decides; otherwise undefined.
 */
function localDatasetSource(base: string, source: string): { path: string; sha256: string | null } | undefined {
  const abs = absPath(base, source) as string;
  const exists = fs.existsSync(abs);
  if (!exists && datasetSourceKind(source) === 'hub') return undefined;
  if (!exists) return { path: abs, sha256: null };
  return { path: abs, sha256: fs.statSync(abs).isDirectory() ? sha256Tree(abs) : sha256File(abs) };
}

/** Names that fields of type ref/refList hold, at any nesting depth of a stage config (mixes included). */
function referencedNames(spec: BlockSpec, values: Json, nestedOf?: string): string[] {
  const out: string[] = [];
  for (const f of spec.fields) {
    const v = values[f.name];
    if (f.type.kind === 'ref' && typeof v === 'string') out.push(v);
    if (f.type.kind === 'ref' && Array.isArray(v))
      for (const p of v) if (p && typeof p === 'object' && 'dataset' in p) out.push(String(p.dataset));
    if (f.type.kind === 'refList' && Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  for (const kind of spec.blocks) {
    const nestedSpec = blockSpec(kind, nestedOf);
    const nv = values[kind];
    if (nestedSpec && nv && typeof nv === 'object' && !Array.isArray(nv))
      out.push(...referencedNames(nestedSpec, nv as Json));
  }
  return out;
}

function errorSummary(file: string, diags: readonly Diagnostic[]): string {
  const errors = diags.filter((d) => d.severity === 'error');
  const first = errors[0];
  const where = first
    ? `${file}:${first.range.start.line + 1}:${first.range.start.character + 1}: ${first.message}`
    : file;
  return `${errors.length} error${errors.length === 1 ? '' : 's'} in ${file} (first: ${where}); fix them before running`;
}

/** The checked document of a compile: errors throw CompileError, so what returns can become plans. */
export interface CheckedSource {
  readonly file: string;
  readonly document: DocumentModel;
  readonly diagnostics: readonly Diagnostic[];
}

export async function compilePlan(o: CompileOptions): Promise<CompileResult> {
  const checked = await checkSource(o);
  return { plan: planOf(checked, o, o.variant), diagnostics: checked.diagnostics, document: checked.document };
}

/** Reads and checks the file as `srlm check` and the editor do; throws CompileError when it has errors. */
export async function checkSource(o: CompileOptions): Promise<CheckedSource> {
  const file = path.resolve(o.workspace, o.file);
  let text = o.text;
  let encoding: Diagnostic | undefined;
  if (text === undefined) {
    try {
      const decoded = decodeUtf8(fs.readFileSync(file));
      text = decoded.text;
      encoding = encodingDiagnostic(decoded, new LineIndex(text));
    } catch (err) {
      throw new CompileError(`cannot read ${file}: ${fsErrorReason(err)}`, file, [], undefined);
    }
  }
  // The same checks as `srlm check` and the editor, so a file they pass is a file that compiles.
  const doc = documentOf(file, text);
  const checked =
    o.fileChecks === false
      ? { document: doc.model, diagnostics: doc.model.diagnostics }
      : await checkDocument(doc, await checkEnvironment(o.env ?? process.env, o.workspace));
  const document = checked.document;
  const diagnostics = encoding ? [encoding, ...checked.diagnostics] : checked.diagnostics;
  if (diagnostics.some((d) => d.severity === 'error')) {
    throw new CompileError(errorSummary(file, diagnostics), file, diagnostics, document.lineIndex);
  }
  if (!document.pipeline || !document.bindings.pipeline) {
    throw new CompileError(`${file}: no pipeline block`, file, diagnostics, document.lineIndex);
  }
  return { file, document, diagnostics };
}

/** The stages of a plan, in run order, with the configs they run with: the file's, or a study variant's. */
function planStages(checked: CheckedSource, variant: string | undefined): { sym: BlockSymbol; cfg: BlockConfig }[] {
  const { document, file, diagnostics } = checked;
  if (variant === undefined) {
    return document.symbols.filter((s) => s.kind === 'stage').map((sym) => ({ sym, cfg: document.configs.get(sym)! }));
  }
  const fail = (message: string): never => {
    throw new CompileError(`${file}: ${message}`, file, diagnostics, document.lineIndex);
  };
  const study = document.study;
  if (!study) return fail(`--variant ${variant}: the file declares no study`);
  const v = study.variants.find((x) => x.name === variant);
  if (!v)
    return fail(
      `no variant ${variant} in study ${study.name} (variants: ${study.variants.map((x) => x.name).join(', ')})`,
    );
  const layout = layoutVariant(v, document.bindings, document.configs);
  if (!layout.ok) return fail(layout.message);
  if (layout.baseline !== undefined) return fail(`variant ${variant} trains no stage: it has no plan of its own`);
  return layout.stages.map((s) => ({ sym: s.sym, cfg: s.config }));
}

/** One plan from a checked file: the pipeline as written, or one variant of its study. */
export function planOf(checked: CheckedSource, o: CompileOptions, variant: string | undefined): Plan {
  const { file, document, diagnostics } = checked;
  const text = document.text;
  if (!document.pipeline || !document.bindings.pipeline) {
    throw new CompileError(`${file}: no pipeline block`, file, diagnostics, document.lineIndex);
  }
  const base = path.dirname(file);
  const engineVersion = o.engineVersion ?? EXPECTED_ENGINE_VERSION;
  const pipelineName = document.bindings.pipeline.labels[0]?.value ?? path.basename(file, '.srlm');

  // The pipeline's nested blocks (models, stages…) are named blocks handled below, not settings.
  const settings = resolveBlock(blockSpec('pipeline')!, document.pipeline, base, undefined, false);
  // Written in the file: relative to the file, like every path. Absent: the workspace's runs folder, so all the
  // pipelines of a workspace share one run list and one stage cache.
  if (!('output' in document.pipeline.values)) settings.output = path.resolve(o.workspace, DEFAULT_RUNS_DIR);
  // A study's runs share one W&B project / MLflow experiment, the pipeline's, not one per variant label.
  if (variant !== undefined && settings.project === undefined) settings.project = pipelineName;

  const fail = (message: string): never => {
    throw new CompileError(`${file}: ${message}`, file, diagnostics, document.lineIndex);
  };
  // Keyed by the user's block names: without a prototype, a dataset named `__proto__` is a key like any other
  // (in a plain object the assignment set the prototype and the dataset vanished from the plan).
  const models = Object.create(null) as Record<string, Json>;
  const datasets = Object.create(null) as Record<string, Json>;
  const evals = Object.create(null) as Record<string, Json>;
  const identities = new Map<string, string>(); // name → identity hash of a model, dataset or stage

  for (const sym of document.symbols) {
    const cfg = document.configs.get(sym);
    if (sym.kind === 'model') {
      const m = resolveBlock(blockSpec('model')!, cfg, base);
      const src = m.source;
      let configSha: string | null = null;
      if (typeof src === 'string' && path.isAbsolute(src)) {
        const cj = path.join(src, 'config.json');
        if (fs.existsSync(cj)) configSha = sha256File(cj);
      }
      m.config_sha256 = configSha;
      inlineTemplates(blockSpec('model')!, m, base, `model ${sym.name}`, fail);
      const commit = o.resolvedRevisions?.[sym.name];
      if (commit !== undefined) m.resolved_revision = commit;
      models[sym.name] = m;
      identities.set(sym.name, sha256(canonicalJson({ model: m })));
    } else if (sym.kind === 'dataset') {
      const d = resolveBlock(blockSpec('dataset')!, cfg, base);
      inlineTemplates(blockSpec('dataset')!, d, base, `dataset ${sym.name}`, fail);
      const local = typeof d.source === 'string' ? localDatasetSource(base, d.source) : undefined;
      if (local) d.source = local.path;
      d.sha256 = local ? local.sha256 : null;
      const commit = local ? undefined : o.resolvedDatasetRevisions?.[sym.name];
      if (commit !== undefined) d.resolved_revision = commit;
      datasets[sym.name] = d;
      // A local dataset is identified by its content, not its location (moving the project keeps the cache); a
      // hub dataset by its id, subset, split, revision and the commit that revision resolved to.
      const { source: _s, ...identity } = d;
      identities.set(sym.name, sha256(canonicalJson({ dataset: local ? identity : d })));
    } else if (sym.kind === 'eval') {
      evals[sym.name] = resolveBlock(blockSpec('eval')!, cfg, base);
    }
  }

  const stages: PlanStage[] = [];
  for (const { sym, cfg } of planStages(checked, variant)) {
    const spec = stageKindSpec(sym.stageKind ?? '');
    if (!spec)
      throw new CompileError(`${file}: stage ${sym.name} has no known kind`, file, diagnostics, document.lineIndex);
    const config = resolveBlock(spec, cfg, base, spec.stageKind);
    const initName = config.init as string;
    const initSym = document.symbolsByName.get(initName);
    const parent = initSym?.kind === 'stage' ? initName : null;
    const init = parent !== null ? { stage: parent } : { model: initName };
    const refs = [...new Set(referencedNames(spec, config, spec.stageKind))].sort();
    const missing = refs.filter((r) => !identities.has(r));
    if (missing.length > 0) {
      throw new CompileError(
        `${file}: stage ${sym.name} refers to ${missing.join(', ')}, which is not defined before it`,
        file,
        diagnostics,
        document.lineIndex,
      );
    }
    const semantic = Object.fromEntries(Object.entries(config).filter(([k]) => !HASH_EXCLUDED_FIELDS.has(k)));
    const hash = sha256(
      canonicalJson({
        kind: spec.stageKind,
        config: semantic,
        refs: Object.fromEntries(refs.map((r) => [r, identities.get(r)!])),
        seed: settings.seed,
        precision: settings.precision,
        // Ranks change the data order and the sampled groups, so they change the result. Left out at the
        // default, so single-process results keep the keys they were cached under.
        ...(settings.processes !== 1 ? { processes: settings.processes, sharding: settings.sharding } : {}),
        engine_version: engineVersion,
        results_revision: ENGINE_RESULTS_REVISION,
      }),
    );
    identities.set(sym.name, hash);
    const stageEvals = Object.entries(evals)
      .filter(([, e]) => !Array.isArray(e.stages) || e.stages.includes(sym.name))
      .map(([n]) => n);
    const range = document.lineIndex.rangeOf(sym.span);
    stages.push({
      name: sym.name,
      kind: spec.stageKind,
      hash,
      parent,
      init,
      config,
      evals: stageEvals,
      source_range: {
        start: { line: range.start.line, character: range.start.character },
        end: { line: range.end.line, character: range.end.character },
      },
      reuse: null,
    });
  }

  if (variant !== undefined) {
    // An eval that lists stages covers those this variant runs (the engine refuses a name the plan lacks).
    const inPlan = new Set(stages.map((s) => s.name));
    for (const e of Object.values(evals)) {
      if (Array.isArray(e.stages)) e.stages = e.stages.filter((s) => typeof s === 'string' && inPlan.has(s));
    }
  }
  return {
    schema_version: PLAN_SCHEMA_VERSION,
    pipeline: variant === undefined ? pipelineName : `${pipelineName}.${variant}`,
    source: { file, sha256: sha256(text) },
    engine_version: engineVersion,
    settings,
    models,
    datasets,
    stages,
    evals,
  };
}

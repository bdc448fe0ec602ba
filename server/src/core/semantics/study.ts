// Studies: variants of one pipeline compared in one table (docs/study.md). A `study` block inside the pipeline
// holds `variant` blocks; a variant says which stages run in which order (`stages = [student, polish]`: each
// continues from the one before, the first from its declared `init`) and changes settings in blocks named after
// a stage, read with that stage kind's fields (`polish { lr = 1e-4  lora { rank = 8 } }`).
//
// This module checks them and lays each variant out as the stages its plan runs, with their configs changed;
// the plan compiler builds one ordinary plan per variant from that layout, so defaults and stage hashes are the
// usual ones and a stage that two variants share has one hash (the stage cache trains it once).
import { Codes } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import type { BlockAst } from '../syntax/ast';
import { SyntaxKind } from '../syntax/kinds';
import type { SyntaxNode } from '../syntax/tree';
import { blockSpec, resolveDefaults } from '../schema/lookup';
import type { BlockSpec, JsonValue } from '../schema/types';
import { canonicalJson } from '../text/canonicalJson';
import type { Span } from '../text/lineIndex';
import type { Bindings, BlockSymbol } from './binder';
import type { BlockCheckOptions, BlockConfig } from './checker';
import { valueOf } from './values';

export interface VariantConfig {
  readonly name: string;
  readonly block: BlockAst;
  readonly nameSpan: Span;
  /** Stage names in the order written; undefined: every stage as declared. */
  readonly stages: readonly string[] | undefined;
  /** What the first stage starts from (or the model an empty variant evaluates); undefined: as declared. */
  readonly init: string | undefined;
  /** Changed settings by stage name, checked with the fields of that stage's kind. */
  readonly settings: ReadonlyMap<string, BlockConfig>;
  /** False when `stages` or `init` has a value that is not valid (reported): the variant has no layout. */
  readonly valid: boolean;
}

export interface StudyConfig {
  readonly name: string;
  readonly block: BlockAst;
  readonly variants: readonly VariantConfig[];
}

/** One stage of a variant's plan: the pipeline's stage with the variant's init and settings applied. */
export interface VariantStage {
  readonly sym: BlockSymbol;
  readonly config: BlockConfig;
}

export type VariantLayout =
  /** `baseline`: an empty variant, the before-training eval of that model; `stages` is then empty. */
  | { readonly ok: true; readonly stages: readonly VariantStage[]; readonly baseline?: string }
  | { readonly ok: false; readonly message: string; readonly span: Span };

export interface StudyCheckContext {
  readonly report: (d: RawDiagnostic) => void;
  readonly bindings: Bindings;
  /** Checked configs of the pipeline's named blocks. */
  readonly configs: ReadonlyMap<BlockSymbol, BlockConfig>;
  readonly checkBlock: (block: BlockAst, spec: BlockSpec, options?: BlockCheckOptions) => BlockConfig;
}

function spanOf(x: { start: number; end: number }): Span {
  return { start: x.start, end: x.end };
}

/** The block around `block` (its body's owner), when there is one. */
function parentBlock(block: BlockAst): BlockAst | undefined {
  const node = block.node.parent?.parent;
  return node && node.kind === SyntaxKind.Block ? (block.file.wrap(node) as BlockAst) : undefined;
}

/**
 * The kind (`sft`, `kd`, `rl`) of the stage a variant's settings block names, read from the syntax alone (hover,
 * completion and highlighting use it while the file is being typed); undefined for any other block.
 */
export function settingsStageKind(block: BlockAst): string | undefined {
  const variant = parentBlock(block);
  if (variant?.kind !== 'variant') return undefined;
  const study = parentBlock(variant);
  const pipeline = study?.kind === 'study' ? parentBlock(study) : undefined;
  if (pipeline?.kind !== 'pipeline') return undefined;
  for (const b of pipeline.blocks())
    if (b.kind === 'stage' && b.labels[1]?.value === block.kind) return b.labels[0]?.value;
  return undefined;
}

export function checkStudies(blocks: readonly BlockAst[], ctx: StudyCheckContext): StudyConfig | undefined {
  let first: StudyConfig | undefined;
  for (const block of blocks) {
    if (first) {
      ctx.report({
        info: Codes.duplicateField,
        message: 'a pipeline holds one study; put these variants in the first one',
        span: block.headerSpan,
        related: [{ span: first.block.headerSpan, message: 'first study' }],
      });
      continue;
    }
    first = checkStudy(block, ctx);
  }
  return first;
}

function checkStudy(block: BlockAst, ctx: StudyCheckContext): StudyConfig {
  ctx.checkBlock(block, blockSpec('study') as BlockSpec, { nested: false });
  const name = block.labels[0]?.value ?? '';
  const variants: VariantConfig[] = [];
  const byName = new Map<string, VariantConfig>();
  for (const item of block.blocks()) {
    if (item.kind !== 'variant') {
      ctx.report({
        info: Codes.unknownBlock,
        message: `unknown block '${item.kind}' in study ${name}; a study holds 'variant NAME { … }' blocks`,
        span: item.kindToken ? spanOf(item.kindToken) : item.headerSpan,
      });
      continue;
    }
    const v = checkVariant(item, ctx);
    if (!v) continue;
    const prev = byName.get(v.name);
    if (prev) {
      ctx.report({
        info: Codes.duplicateName,
        message: `variant '${v.name}' is defined twice in study ${name}`,
        span: v.nameSpan,
        related: [{ span: prev.nameSpan, message: `first definition of '${v.name}'` }],
      });
      continue;
    }
    byName.set(v.name, v);
    variants.push(v);
  }
  if (!block.blocks().some((b) => b.kind === 'variant')) {
    ctx.report({
      info: Codes.emptyStudy,
      message: `study ${name || '…'} has no variants: add 'variant NAME { stages = [...] }' blocks`,
      span: block.headerSpan,
    });
  }
  const study: StudyConfig = { name, block, variants };
  checkLayouts(study, ctx);
  return study;
}

function checkVariant(block: BlockAst, ctx: StudyCheckContext): VariantConfig | undefined {
  const cfg = ctx.checkBlock(block, blockSpec('variant') as BlockSpec, { nested: false });
  const label = block.labels[0];
  if (!label) return undefined;
  const name = label.value;
  const settings = new Map<string, BlockConfig>();
  for (const s of block.blocks()) {
    const sym = ctx.bindings.byName.get(s.kind);
    // An unknown name, or one that is not a stage, is reported with the other references.
    if (!sym || sym.kind !== 'stage') continue;
    const base = ctx.configs.get(sym);
    const spec = blockSpec('stage', sym.stageKind);
    if (!base || !spec) continue;
    if (s.labels.length > 0) {
      const first = s.labels[0].node;
      const last = s.labels[s.labels.length - 1].node;
      ctx.report({
        info: Codes.labels,
        message: `settings of stage ${sym.name} take no name: write '${sym.name} { … }'`,
        span: { start: first.start, end: last.end },
      });
    }
    const what = `the settings of ${sym.stageKind} stage ${sym.name} in variant ${name}`;
    const changed = ctx.checkBlock(s, spec, { base, what });
    if (settings.has(sym.name)) {
      ctx.report({
        info: Codes.duplicateField,
        message: `variant ${name} changes stage ${sym.name} twice; put the settings in one block`,
        span: s.headerSpan,
        related: [{ span: settings.get(sym.name)!.block.headerSpan, message: 'first block' }],
      });
      continue;
    }
    settings.set(sym.name, changed);
  }
  const stages = cfg.values.stages;
  const init = cfg.values.init;
  return {
    name,
    block,
    nameSpan: spanOf(label.node),
    stages: Array.isArray(stages) ? stages.map(String) : undefined,
    init: typeof init === 'string' ? init : undefined,
    settings,
    valid:
      cfg.attributes.has('stages') === Array.isArray(stages) && cfg.attributes.has('init') === (init !== undefined),
  };
}

/** Stage-order problems, settings that change nothing, and variants that would train the same thing. */
function checkLayouts(study: StudyConfig, ctx: StudyCheckContext): void {
  const seen = new Map<string, VariantConfig>();
  for (const v of study.variants) {
    const stagesAttr = v.block.attributes().find((a) => a.key === 'stages');
    const listed = new Set<string>();
    let broken = false;
    if (v.stages && stagesAttr?.value) {
      // The names as written, for spans: `stages` is a list of identifiers when its value is valid.
      for (const tok of identifierSpans(v.block, stagesAttr.value)) {
        if (listed.has(tok.name)) {
          ctx.report({
            info: Codes.variantStages,
            message: `stage ${tok.name} is listed twice in variant ${v.name}; a stage runs once`,
            span: tok.span,
          });
          broken = true;
        }
        listed.add(tok.name);
      }
    }
    if (v.stages) {
      for (let i = 1; i < v.stages.length; i++) {
        const init = v.settings.get(v.stages[i])?.attributes.get('init');
        if (init) {
          ctx.report({
            info: Codes.variantStages,
            message: `in variant ${v.name}, ${v.stages[i]} continues from ${v.stages[i - 1]} (the stage before it in 'stages'); its init cannot be set`,
            span: spanOf(init.keyToken),
          });
          broken = true;
        }
      }
    }
    // Unknown stage names were reported as references; nothing more to say about this variant's layout.
    if (broken || !v.valid || !namesResolve(v, ctx.bindings)) continue;
    const layout = layoutVariant(v, ctx.bindings, ctx.configs);
    if (!layout.ok) {
      ctx.report({ info: Codes.variantStages, message: layout.message, span: layout.span });
      continue;
    }
    const running = new Set(layout.stages.map((s) => s.sym.name));
    for (const [stage, cfg] of v.settings) {
      if (running.has(stage)) continue;
      ctx.report({
        info: Codes.ignoredOption,
        message: `variant ${v.name} does not run stage ${stage}, so these settings change nothing`,
        span: cfg.block.kindToken ? spanOf(cfg.block.kindToken) : cfg.block.headerSpan,
      });
    }
    const key = variantKey(layout);
    const same = seen.get(key);
    if (same) {
      ctx.report({
        info: Codes.sameVariant,
        message: `variant ${v.name} runs the same stages with the same settings as variant ${same.name}; change one or remove it`,
        span: v.nameSpan,
        related: [{ span: same.nameSpan, message: `variant ${same.name}` }],
      });
    } else seen.set(key, v);
  }
}

/** The names of a `stages = [a, b]` list, with their spans. */
function identifierSpans(block: BlockAst, value: SyntaxNode): { name: string; span: Span }[] {
  const v = valueOf(block.file, value);
  if (v.type !== 'list') return [];
  const out: { name: string; span: Span }[] = [];
  for (const item of v.items) if (item.type === 'ident') out.push({ name: item.name, span: spanOf(item.node) });
  return out;
}

function namesResolve(v: VariantConfig, b: Pick<Bindings, 'byName'>): boolean {
  const isStage = (n: string) => b.byName.get(n)?.kind === 'stage';
  if (v.stages && !v.stages.every(isStage)) return false;
  if (v.init !== undefined && !b.byName.has(v.init)) return false;
  return v.block.blocks().every((s) => isStage(s.kind));
}

/** The base config with a variant's settings on top (nested blocks merged field by field). */
function withSettings(base: BlockConfig, over: BlockConfig | undefined): BlockConfig {
  if (!over) return base;
  const nested = new Map(base.nested);
  for (const [kind, o] of over.nested) {
    const b = base.nested.get(kind);
    nested.set(kind, b ? withSettings(b, o) : o);
  }
  return {
    block: base.block,
    spec: base.spec,
    values: { ...base.values, ...over.values },
    attributes: new Map([...base.attributes, ...over.attributes]),
    nested,
  };
}

function withInit(cfg: BlockConfig, init: string): BlockConfig {
  return { ...cfg, values: { ...cfg.values, init } };
}

/** Stages a stage's config refers to (its init, a teacher, a KD regulariser's teacher). */
function stageDependencies(cfg: BlockConfig, b: Pick<Bindings, 'byName'>): BlockSymbol[] {
  const out: BlockSymbol[] = [];
  const walk = (c: BlockConfig): void => {
    for (const f of c.spec.fields) {
      if (f.type.kind !== 'ref' || !f.type.targets.includes('stage')) continue;
      const v = c.values[f.name];
      const sym = typeof v === 'string' ? b.byName.get(v) : undefined;
      if (sym?.kind === 'stage') out.push(sym);
    }
    for (const n of c.nested.values()) walk(n);
  };
  walk(cfg);
  return out;
}

/**
 * The stages a variant's plan runs, in an order where each comes after the stages it starts from or learns
 * from: the listed stages chained (each one's init is the one before it; the first keeps its declared init,
 * or the variant's `init`), plus every stage they need that is not listed, as declared.
 */
export function layoutVariant(
  v: VariantConfig,
  b: Pick<Bindings, 'byName' | 'symbols'>,
  configs: ReadonlyMap<BlockSymbol, BlockConfig>,
): VariantLayout {
  if (!v.valid || !namesResolve(v, b)) {
    return { ok: false, message: `variant ${v.name} names a stage or model that is not defined`, span: v.nameSpan };
  }
  const allStages = b.symbols.filter((s) => s.kind === 'stage');
  if (v.stages && v.stages.length === 0) {
    const model = v.init === undefined ? undefined : b.byName.get(v.init);
    if (!model || model.kind !== 'model') {
      return {
        ok: false,
        message: `variant ${v.name} trains no stage, so it evaluates a model before training: write 'init = MODEL' (a model block)`,
        span: v.nameSpan,
      };
    }
    return { ok: true, stages: [], baseline: model.name };
  }
  const chain = (v.stages ?? allStages.map((s) => s.name)).map((n) => b.byName.get(n) as BlockSymbol);
  const effective = new Map<BlockSymbol, BlockConfig>();
  const configOf = (sym: BlockSymbol): BlockConfig | undefined => {
    let cfg = effective.get(sym);
    if (cfg) return cfg;
    const base = configs.get(sym);
    if (!base) return undefined;
    cfg = withSettings(base, v.settings.get(sym.name));
    effective.set(sym, cfg);
    return cfg;
  };
  for (let i = 0; i < chain.length; i++) {
    const cfg = configOf(chain[i]);
    if (!cfg) return { ok: false, message: `stage ${chain[i].name} has errors`, span: v.nameSpan };
    if (i === 0 && v.init !== undefined) effective.set(chain[i], withInit(cfg, v.init));
    // Without a `stages` list the stages keep their declared inits: the pipeline as written.
    else if (i > 0 && v.stages) effective.set(chain[i], withInit(cfg, chain[i - 1].name));
  }
  // Depth-first, dependencies first, with an explicit stack: a generated chain of thousands of stages must not
  // overflow the call stack.
  const order: VariantStage[] = [];
  const state = new Map<BlockSymbol, 'visiting' | 'done'>();
  for (const root of chain) {
    if (state.has(root)) continue;
    const stack: { sym: BlockSymbol; deps: BlockSymbol[]; next: number }[] = [];
    const push = (sym: BlockSymbol) => {
      state.set(sym, 'visiting');
      const cfg = configOf(sym);
      stack.push({ sym, deps: cfg ? stageDependencies(cfg, b) : [], next: 0 });
    };
    push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const dep = top.deps[top.next++];
      if (dep === undefined) {
        stack.pop();
        state.set(top.sym, 'done');
        const cfg = configOf(top.sym);
        if (cfg) order.push({ sym: top.sym, config: cfg });
        continue;
      }
      const st = state.get(dep);
      if (st === 'done') continue;
      if (st === 'visiting') {
        const from = stack.findIndex((f) => f.sym === dep);
        const names = [...stack.slice(from).map((f) => f.sym.name), dep.name];
        return {
          ok: false,
          message: `variant ${v.name} orders its stages in a cycle: ${names.join(' → ')}`,
          span: v.nameSpan,
        };
      }
      push(dep);
    }
  }
  return { ok: true, stages: order };
}

/** What a variant trains, as text: equal for two variants exactly when their plans would be the same. */
function variantKey(layout: Extract<VariantLayout, { ok: true }>): string {
  if (layout.baseline !== undefined) return canonicalJson({ baseline: layout.baseline });
  return canonicalJson(layout.stages.map((s) => ({ stage: s.sym.name, config: resolvedConfig(s.config) })));
}

function resolvedConfig(cfg: BlockConfig): Record<string, JsonValue> {
  const out = resolveDefaults(cfg.spec, cfg.values, false);
  for (const kind of cfg.spec.blocks) {
    const n = cfg.nested.get(kind);
    const spec = blockSpec(kind);
    out[kind] = n && spec ? resolveDefaults(spec, n.values, false) : null;
  }
  return out;
}

// The text-only checker: structure, fields, values, references and cross-field rules. It also collects each
// block's values in plan form (`BlockConfig`), which the host checks and the plan compiler build on.
import { Codes } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import type { AttributeAst, BlockAst, SourceFile } from '../syntax/ast';
import { encodeString } from '../syntax/lexer';
import {
  blockSpec as blockSpecImport,
  findField as findFieldImport,
  resolvedValue,
  STAGE_KINDS,
  stageKindSpec as stageKindSpecImport,
} from '../schema/lookup';
import { BUILTIN_SPLITS } from '../schema/blocks';
import type { BlockSpec, JsonValue } from '../schema/types';
import type { Span } from '../text/lineIndex';
import type { BlockSymbol, Bindings, Reference } from './binder';
import { checkFieldValue as checkFieldValueImport } from './fieldValues';
import { findStageCycles, type StageCycle } from './cycles';
import { mayShareRows } from './dataOverlap';
import { similar } from './similar';
import { datasetSourceKind } from './sources';
import { valueOf as valueOfImport } from './values';
import { checkStudies, layoutVariant, type StudyConfig } from './study';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const blockSpec = blockSpecImport;
const findField = findFieldImport;
const stageKindSpec = stageKindSpecImport;
const checkFieldValue = checkFieldValueImport;
const valueOf = valueOfImport;

export interface BlockConfig {
  block: BlockAst;
  spec: BlockSpec;
  /** Values written in the file, in plan form, for the fields whose values are valid. */
  values: Record<string, JsonValue>;
  /** The attribute that set each canonical field (first one when duplicated). */
  attributes: Map<string, AttributeAst>;
  /** Nested blocks by kind (`lora`, `mix`, `kd`). */
  nested: Map<string, BlockConfig>;
}

export interface CheckResult {
  diagnostics: RawDiagnostic[];
  pipeline: BlockConfig | undefined;
  /** Config of every named block whose kind is known, by symbol. */
  configs: Map<BlockSymbol, BlockConfig>;
  /** The pipeline's study (at most one is used), with its variants. */
  study: StudyConfig | undefined;
}

/**
 * How `checkBlock` reads a block that changes another one (a study variant's settings for a stage): required
 * fields the base already sets are not required again, and messages name the block by `what`.
 */
export interface BlockCheckOptions {
  readonly base?: BlockConfig;
  readonly what?: string;
  /** false: nested blocks are left to the caller (a variant's settings blocks are named by stage). */
  readonly nested?: boolean;
}

/** Stage names a cycle message spells out before eliding the rest. */
const CYCLE_NAMES_SHOWN = 6;
/** Name comparisons "did you mean" may spend on unknown references, per file. */
const SUGGESTION_BUDGET = 200_000;

function spanOf(x: { start: number; end: number }): Span {
  return { start: x.start, end: x.end };
}

export function check(file: SourceFile, bindings: Bindings): CheckResult {
  const c = new Checker(file, bindings);
  return c.run();
}

class Checker {
  readonly diagnostics: RawDiagnostic[] = [];
  readonly configs = new Map<BlockSymbol, BlockConfig>();
  private readonly symbolOfBlock = new Map<BlockAst['node'], BlockSymbol>();
  /** The (first) pipeline block, whose settings some stage rules depend on. */
  private pipelineCfg: BlockConfig | undefined;
  /** The pipeline's study, once checked. */
  private study: StudyConfig | undefined;
  /** Study blocks, checked once every stage's config is known. */
  private readonly studyBlocks: BlockAst[] = [];
  /** How messages name blocks that are not named blocks of their own (variant settings). */
  private readonly blockNames = new Map<BlockAst['node'], string>();

  constructor(
    readonly file: SourceFile,
    readonly b: Bindings,
  ) {
    for (const s of b.symbols) this.symbolOfBlock.set(s.block.node, s);
  }

  report = (d: RawDiagnostic): void => {
    this.diagnostics.push(d);
  };

  run(): CheckResult {
    this.diagnostics.push(...this.b.diagnostics);
    let pipelineConfig: BlockConfig | undefined;
    let seenPipeline: BlockAst | undefined;
    for (const item of this.file.items()) {
      if (item.type === 'attribute') {
        this.report({
          info: Codes.unknownBlock,
          message: `'${item.key}' must be inside the pipeline block`,
          span: spanOf(item.node),
        });
        continue;
      }
      if (item.kind !== 'pipeline') {
        const guess = similar(item.kind, ['pipeline']);
        const inside = ['model', 'dataset', 'stage', 'eval', 'study'].includes(item.kind);
        this.report({
          info: Codes.unknownBlock,
          message: inside
            ? `'${item.kind}' blocks go inside the pipeline block`
            : `unknown block '${item.kind}' at the top level: a file holds one 'pipeline NAME { … }'`,
          span: item.kindToken ? spanOf(item.kindToken) : spanOf(item.node),
          fixes: guess.map((g) => ({
            title: `Change to '${g}'`,
            edits: [{ span: spanOf(item.kindToken ?? item.node), newText: g }],
          })),
        });
        continue;
      }
      if (seenPipeline) {
        this.report({
          info: Codes.pipelineCount,
          message: 'a file holds exactly one pipeline block; put these blocks in the first one or in another file',
          span: item.headerSpan,
          related: [{ span: seenPipeline.headerSpan, message: 'first pipeline' }],
        });
        continue;
      }
      seenPipeline = item;
      pipelineConfig = this.checkBlock(item, blockSpec('pipeline') as BlockSpec);
    }
    if (!seenPipeline) {
      this.report({
        info: Codes.pipelineCount,
        message:
          "no pipeline block: a .srlm file holds one 'pipeline NAME { … }' with its models, datasets, stages and evals",
        span: { start: 0, end: 0 },
      });
    }
    this.pipelineCfg = pipelineConfig;
    const study = (this.study = checkStudies(this.studyBlocks, {
      report: this.report,
      bindings: this.b,
      configs: this.configs,
      checkBlock: (block, spec, options) => this.checkBlock(block, spec, options),
    }));
    this.checkReferences();
    this.checkCrossField();
    this.checkUsage();
    return { diagnostics: this.diagnostics, pipeline: pipelineConfig, configs: this.configs, study };
  }

  // ---- one block ------------------------------------------------------------------------------------------

  private checkLabels(block: BlockAst, spec: BlockSpec, labelOffset: number): void {
    const labels = block.labels.slice(labelOffset);
    const want = spec.labels.slice(labelOffset);
    if (labels.length < want.length) {
      const example =
        block.kind === 'stage'
          ? `stage ${block.labels[0]?.value ?? 'sft'} NAME { … }`
          : `${block.kind}${' NAME'.repeat(want.length)} { … }`;
      this.report({
        info: Codes.labels,
        message: `'${block.kind}' block needs a name: write '${example}'`,
        span: block.headerSpan,
      });
    } else if (labels.length > want.length) {
      const extra = labels.slice(want.length);
      this.report({
        info: Codes.labels,
        message:
          want.length === 0
            ? `'${block.kind}' blocks take no name`
            : `'${block.kind}' block takes ${want.length === 1 ? 'one name' : `${want.length} names`}; remove the extra label`,
        span: { start: extra[0].node.start, end: extra[extra.length - 1].node.end },
        fixes: [
          {
            title: 'Remove the extra labels',
            edits: [{ span: { start: extra[0].node.start, end: extra[extra.length - 1].node.end }, newText: '' }],
          },
        ],
      });
    }
    for (const l of labels.slice(0, want.length)) {
      if (l.quoted) {
        const ok = /^[A-Za-z_][A-Za-z0-9_]*$/.test(l.value);
        this.report({
          info: Codes.labels,
          message: `block names are bare names${ok ? `: write ${l.value}` : ' (letters, digits and _)'}`,
          span: spanOf(l.node),
          fixes: ok
            ? [{ title: 'Remove the quotes', edits: [{ span: spanOf(l.node), newText: l.value }], preferred: true }]
            : undefined,
        });
      }
    }
  }

  private checkBlock(block: BlockAst, spec: BlockSpec, options: BlockCheckOptions = {}): BlockConfig {
    const base = options.base;
    if (options.what !== undefined) this.blockNames.set(block.node, options.what);
    else this.checkLabels(block, spec, block.kind === 'stage' ? 1 : 0);
    const cfg: BlockConfig = { block, spec, values: {}, attributes: new Map(), nested: new Map() };
    const attrs = block.attributes();
    // Shared by every value check of the block; spans are built only on the paths that report.
    const vctx = {
      report: this.report,
      userRewardsAllowed: attrs.some((a) => a.key === 'reward_file') || base?.values.reward_file !== undefined,
    };
    for (const attr of attrs) {
      const match = findField(spec, attr.key);
      if (!match) {
        const keySpan = spanOf(attr.keyToken);
        const candidates = spec.fields.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
        const guesses = [...new Set(similar(attr.key, candidates).map((g) => findField(spec, g)?.field.name ?? g))];
        const nestedHint = spec.blocks.includes(attr.key) ? ` ('${attr.key}' is a block: write ${attr.key} { … })` : '';
        this.report({
          info: Codes.unknownField,
          message: `unknown field '${attr.key}' in ${this.describeBlock(block)}${guesses.length ? ` (did you mean '${guesses[0]}'?)` : nestedHint}`,
          span: keySpan,
          fixes: guesses.map((g, i) => ({
            title: `Change to '${g}'`,
            edits: [{ span: keySpan, newText: g }],
            preferred: i === 0,
          })),
        });
        continue;
      }
      const name = match.field.name;
      if (match.alias) {
        const keySpan = spanOf(attr.keyToken);
        this.report({
          info: Codes.renamedField,
          message: `'${match.alias}' is called '${name}' in .srlm files`,
          span: keySpan,
          fixes: [{ title: `Rename to '${name}'`, edits: [{ span: keySpan, newText: name }], preferred: true }],
        });
      }
      const first = cfg.attributes.get(name);
      if (first) {
        this.report({
          info: Codes.duplicateField,
          message: `'${name}' is set twice in ${this.describeBlock(block)}; the first value would be silently lost`,
          span: spanOf(attr.keyToken),
          related: [{ span: spanOf(first.keyToken), message: `'${name}' first set here` }],
        });
        continue;
      }
      cfg.attributes.set(name, attr);
      const node = attr.value;
      if (!node) continue;
      const v = checkFieldValue(match.field, valueOf(this.file, node), vctx);
      if (v !== undefined) cfg.values[name] = v;
    }
    for (const f of spec.fields) {
      if (f.required && !cfg.attributes.has(f.name) && !base?.attributes.has(f.name)) this.missingField(block, f.name);
    }
    if (options.nested !== false) this.checkNestedBlocks(block, spec, cfg, options);
    return cfg;
  }

  private missingField(block: BlockAst, name: string): void {
    const braces = block.braces;
    const fixValue = this.placeholderFor(block, name);
    const fixes =
      braces && fixValue !== undefined
        ? [
            {
              title: `Add '${name} = ${fixValue}'`,
              edits: [{ span: { start: braces.open, end: braces.open }, newText: ` ${name} = ${fixValue}` }],
            },
          ]
        : undefined;
    this.report({
      info: Codes.missingRequired,
      message: `${this.describeBlock(block)} is missing the required field '${name}'`,
      span: block.headerSpan,
      fixes,
    });
  }

  /** A value that makes a missing field valid: the first block of the right kind, or an empty string. */
  private placeholderFor(block: BlockAst, name: string): string | undefined {
    const spec = block.kind === 'stage' ? stageKindSpec(block.labels[0]?.value ?? '') : blockSpec(block.kind);
    const field = spec && findField(spec, name)?.field;
    if (!field) return undefined;
    if (field.type.kind === 'ref') {
      const targets = field.type.targets;
      const self = this.symbolOfBlock.get(block.node);
      // The first block of a target kind, other than this one (stages: an earlier one), in file order.
      let cand: BlockSymbol | undefined;
      for (const kind of targets) {
        for (const s of this.firstOfKind(kind)) {
          if (s === self || (s.kind === 'stage' && self && s.index > self.index)) continue;
          if (!cand || s.index < cand.index) cand = s;
          break;
        }
      }
      return cand?.name;
    }
    if (field.type.kind === 'string' || field.type.kind === 'path') return encodeString('');
    return undefined;
  }

  private firstByKind: Map<string, BlockSymbol[]> | undefined;

  /** The first two symbols of a kind: a missing reference's placeholder must not be the block itself. */
  private firstOfKind(kind: string): BlockSymbol[] {
    if (!this.firstByKind) {
      this.firstByKind = new Map();
      for (const s of this.b.symbols) {
        const list = this.firstByKind.get(s.kind);
        if (!list) this.firstByKind.set(s.kind, [s]);
        else if (list.length < 2) list.push(s);
      }
    }
    return this.firstByKind.get(kind) ?? [];
  }

  private checkNestedBlocks(block: BlockAst, spec: BlockSpec, cfg: BlockConfig, options: BlockCheckOptions): void {
    for (const nested of block.blocks()) {
      const kind = nested.kind;
      if (block.kind === 'pipeline' && kind === 'stage') {
        this.checkStage(nested);
        continue;
      }
      if (block.kind === 'pipeline' && kind === 'study') {
        this.studyBlocks.push(nested);
        continue;
      }
      if (!spec.blocks.includes(kind)) {
        const allowed = spec.blocks;
        const guesses = similar(kind, allowed);
        const known = findField(spec, kind);
        const tail = known
          ? ` ('${kind}' is a field: write ${kind} = …)`
          : allowed.length
            ? `; allowed here: ${allowed.join(', ')}`
            : `; ${this.describeBlock(block)} has no nested blocks`;
        this.report({
          info: Codes.unknownBlock,
          message: `unknown block '${kind}' in ${this.describeBlock(block)}${guesses.length ? ` (did you mean '${guesses[0]}'?)` : tail}`,
          span: nested.kindToken ? spanOf(nested.kindToken) : nested.headerSpan,
          fixes: guesses.map((g, i) => ({
            title: `Change to '${g}'`,
            edits: [{ span: spanOf(nested.kindToken ?? nested.node), newText: g }],
            preferred: i === 0,
          })),
        });
        continue;
      }
      const nestedSpec = blockSpec(kind) as BlockSpec;
      const sub = this.checkBlock(
        nested,
        nestedSpec,
        options.what === undefined
          ? {}
          : { base: options.base?.nested.get(kind), what: `the '${kind}' block of ${options.what}` },
      );
      const sym = this.symbolOfBlock.get(nested.node);
      if (sym) this.configs.set(sym, sub);
      if (block.kind === 'pipeline') continue;
      const first = cfg.nested.get(kind);
      if (first) {
        this.report({
          info: Codes.duplicateField,
          message: `only one '${kind}' block is allowed in ${this.describeBlock(block)}`,
          span: nested.headerSpan,
          related: [{ span: first.block.headerSpan, message: `first '${kind}' block` }],
        });
      } else cfg.nested.set(kind, sub);
    }
  }

  private checkStage(stage: BlockAst): void {
    const kindLabel = stage.labels[0];
    if (!kindLabel) {
      this.report({
        info: Codes.labels,
        message: `'stage' needs a kind and a name: write 'stage sft NAME { … }' (kinds: ${STAGE_KINDS.join(', ')})`,
        span: stage.headerSpan,
      });
      return;
    }
    const spec = stageKindSpec(kindLabel.value);
    if (!spec) {
      const guesses = similar(kindLabel.value, STAGE_KINDS);
      this.report({
        info: Codes.unknownStageKind,
        message: `unknown stage kind '${kindLabel.value}': expected ${STAGE_KINDS.join(', ')}`,
        span: spanOf(kindLabel.node),
        fixes: guesses.map((g, i) => ({
          title: `Change to '${g}'`,
          edits: [{ span: spanOf(kindLabel.node), newText: g }],
          preferred: i === 0,
        })),
      });
      return;
    }
    const cfg = this.checkBlock(stage, spec);
    const sym = this.symbolOfBlock.get(stage.node);
    if (sym) this.configs.set(sym, cfg);
  }

  private describeBlock(block: BlockAst): string {
    const named = this.blockNames.get(block.node);
    if (named !== undefined) return named;
    const labels = block.labels.map((l) => l.value).join(' ');
    return labels ? `${block.kind} ${labels}` : `'${block.kind}' block`;
  }

  // ---- references ---------------------------------------------------------------------------------------

  private checkReferences(): void {
    const { cycles, inCycle } = findStageCycles(this.b.references);
    for (const cycle of cycles) this.reportCycle(cycle);
    const suggest = this.suggestions();
    for (const ref of this.b.references) {
      const s = ref.span;
      const wanted = ref.targetKinds.join(' or ');
      if (!ref.target) {
        const { names, guesses } = suggest(ref);
        this.report({
          info: Codes.unknownReference,
          message: `no ${wanted} named '${ref.name}'${guesses.length ? ` (did you mean '${guesses[0]}'?)` : names.length ? `; defined: ${names.slice(0, 8).join(', ')}` : ''}`,
          span: s,
          fixes: guesses.map((g, i) => ({
            title: `Change to '${g}'`,
            edits: [{ span: s, newText: g }],
            preferred: i === 0,
          })),
        });
        continue;
      }
      const t = ref.target;
      if (!ref.targetKinds.includes(t.kind)) {
        this.report({
          info: Codes.wrongKindReference,
          message: `'${ref.name}' is a ${t.kind}, but '${ref.field}' needs a ${wanted}`,
          span: s,
          related: [{ span: t.nameSpan, message: `'${ref.name}' is defined here` }],
        });
        continue;
      }
      if (t.kind !== 'stage' || !ref.from || ref.from.kind !== 'stage' || inCycle.has(ref)) continue;
      if (t.index > ref.from.index) {
        this.report({
          info: Codes.usedBeforeDefined,
          message: `stage '${ref.name}' is used before it is defined; stages run in file order, so move it above '${ref.from.name}'`,
          span: s,
          related: [{ span: t.nameSpan, message: `'${t.name}' is defined here` }],
        });
      }
    }
  }

  /**
   * One report per loop, on a reference that points down the file (every loop has one; stages run in file
   * order, so that is the reference to change), naming at most a few stages: a generated 4,000-stage loop
   * used to repeat all 4,000 names in an error on each of its references.
   */
  private reportCycle(cycle: StageCycle): void {
    const { stages, refs } = cycle;
    const at = refs.findIndex((r) => (r.target as BlockSymbol).index >= (r.from as BlockSymbol).index);
    const ref = refs[at];
    if (stages.length === 1) {
      this.report({
        info: Codes.cyclicReference,
        message: `stage '${ref.name}' cannot start from or learn from itself`,
        span: ref.span,
      });
      return;
    }
    // The loop read from the stage holding the reported reference, back to it.
    const order = stages.slice(at).concat(stages.slice(0, at));
    const shown =
      order.length <= CYCLE_NAMES_SHOWN
        ? order.map((x) => x.name)
        : [...order.slice(0, CYCLE_NAMES_SHOWN - 1).map((x) => x.name), '…', order[order.length - 1].name];
    const others = cycle.componentSize > order.length ? ` (${cycle.componentSize} stages depend on each other)` : '';
    const size = order.length > CYCLE_NAMES_SHOWN ? `${order.length} stages ` : 'stages ';
    this.report({
      info: Codes.cyclicReference,
      message: `${size}form a cycle: ${[...shown, order[0].name].join(' → ')}${others}`,
      span: ref.span,
      related: refs
        .slice(at + 1)
        .concat(refs.slice(0, at))
        .slice(0, CYCLE_NAMES_SHOWN)
        .map((r) => ({ span: r.span, message: `'${(r.from as BlockSymbol).name}' refers to '${r.name}'` })),
    });
  }

  /**
   * Candidate names per kind of reference, built once, and "did you mean" under a per-file budget: each
   * unknown name is compared with every candidate, so a generated file of 100,000 stages that all name
   * something undefined would otherwise cost 10^10 comparisons. Past the budget the error is still reported,
   * without a suggestion.
   */
  private suggestions(): (ref: Reference) => { names: string[]; guesses: string[] } {
    const pools = new Map<string, string[]>();
    let budget = SUGGESTION_BUDGET;
    return (ref) => {
      const key = ref.targetKinds.join(' ');
      let names = pools.get(key);
      if (!names)
        pools.set(key, (names = this.b.symbols.filter((x) => ref.targetKinds.includes(x.kind)).map((x) => x.name)));
      if (budget < names.length) return { names, guesses: [] };
      budget -= names.length;
      return { names, guesses: similar(ref.name, names) };
    };
  }

  // ---- cross-field rules ----------------------------------------------------------------------------------

  private valueSpan(cfg: BlockConfig, field: string): Span | undefined {
    const a = cfg.attributes.get(field);
    const v = a?.value;
    return v ? spanOf(v) : a ? spanOf(a.node) : undefined;
  }

  private keySpan(cfg: BlockConfig, field: string): Span | undefined {
    const a = cfg.attributes.get(field);
    return a ? spanOf(a.keyToken) : undefined;
  }

  /** A pipeline setting as the engine reads it: the written value when valid, else the schema default. */
  private setting(name: string): JsonValue | undefined {
    const p = this.pipelineCfg;
    return p ? resolvedValue(p.spec, p.values, name) : undefined;
  }

  /** Ranks the engine starts on this machine (`processes`); 1 when unset or invalid. */
  private ranks(): number {
    const n = this.setting('processes');
    return typeof n === 'number' && n > 1 ? n : 1;
  }

  private checkCrossField(): void {
    this.checkShardedPrecision();
    for (const [sym, cfg] of this.configs) {
      if (sym.kind === 'dataset') this.checkDataset(cfg);
      else if (sym.kind === 'stage') this.checkStageRules(sym, cfg);
      else if (sym.kind === 'eval') this.checkEvalRules(sym, cfg);
    }
    this.checkVariantStageRules();
    const pipeline = this.b.pipeline;
    if (pipeline && !this.b.symbols.some((s) => s.kind === 'stage')) {
      this.report({
        info: Codes.noStages,
        message: `pipeline ${pipeline.labels[0]?.value ?? ''} has no stages: add 'stage sft NAME { … }', 'stage kd …' or 'stage rl …'`,
        span: pipeline.headerSpan,
      });
    }
  }

  private checkDataset(cfg: BlockConfig): void {
    const hasSource = cfg.attributes.has('source');
    const hasBuiltin = cfg.attributes.has('builtin');
    const ignored = (field: string, why: string) => {
      if (!cfg.attributes.has(field)) return;
      this.report({ info: Codes.ignoredOption, message: why, span: this.keySpan(cfg, field) as Span });
    };
    if (hasSource && hasBuiltin) {
      const sourceKey = cfg.attributes.get('source')?.key ?? 'source';
      this.report({
        info: Codes.incompatibleOptions,
        message: `a dataset has either '${sourceKey}' or 'builtin', not both`,
        span: this.keySpan(cfg, 'builtin') as Span,
        related: [{ span: this.keySpan(cfg, 'source') as Span, message: `'${sourceKey}' is set here` }],
      });
    } else if (!hasSource && !hasBuiltin) {
      const braces = cfg.block.braces;
      this.report({
        info: Codes.missingRequired,
        message: `${this.describeBlock(cfg.block)} needs 'source = "openai/gsm8k"' (a hub id, file or folder) or 'builtin = arithmetic'`,
        span: cfg.block.headerSpan,
        fixes: braces
          ? [
              {
                title: "Add 'source'",
                edits: [{ span: { start: braces.open, end: braces.open }, newText: ' source = ""' }],
              },
            ]
          : undefined,
      });
    }
    const source = cfg.values.source;
    if (hasSource) {
      ignored('level', "'level' sets the difficulty of a builtin task; a source's rows are what they are");
      ignored(
        'answer_noise',
        "'answer_noise' adds slips to a builtin task's solutions; a source's rows are what they are",
      );
    }
    if (hasBuiltin) {
      for (const f of ['format', 'subset', 'revision']) ignored(f, `'${f}' applies to hub datasets and files only`);
      const split = cfg.values.split;
      if (typeof split === 'string' && !BUILTIN_SPLITS.includes(split)) {
        const s = this.valueSpan(cfg, 'split') as Span;
        const guesses = similar(split, BUILTIN_SPLITS);
        this.report({
          info: Codes.unknownEnum,
          message: `built-in tasks have the splits ${BUILTIN_SPLITS.join(', ')}; found '${split}'`,
          span: s,
          fixes: guesses.map((g, i) => ({
            title: `Change to '${g}'`,
            edits: [{ span: s, newText: encodeString(g) }],
            preferred: i === 0,
          })),
        });
      }
    } else if (typeof source === 'string' && datasetSourceKind(source) === 'file') {
      ignored(
        'split',
        "'split' applies to hub datasets, folders and builtin tasks; a file is one split (use 'holdout' to carve one off)",
      );
      ignored('subset', "'subset' applies to hub datasets and folders; a file has no configs");
      ignored('revision', "'revision' applies to hub datasets only");
    } else if (typeof source === 'string' && datasetSourceKind(source) === 'local') {
      ignored('revision', "'revision' applies to hub datasets only");
    }
    if (cfg.attributes.has('part') && !cfg.attributes.has('holdout')) {
      this.report({
        info: Codes.incompatibleOptions,
        message: "'part' picks a side of 'holdout': add 'holdout = 0.1' (the fraction carved off), or remove 'part'",
        span: this.keySpan(cfg, 'part') as Span,
      });
    }
    if (cfg.attributes.has('reasoning') && !cfg.attributes.has('completion')) {
      this.report({
        info: Codes.datasetFieldNeeded,
        message: "'reasoning' is wrapped in <think>…</think> before the completion: name the 'completion' column too",
        span: this.keySpan(cfg, 'reasoning') as Span,
      });
    }
    for (const f of ['calculator_notes', 'final_answer']) {
      if (cfg.attributes.has(f) && !cfg.attributes.has('completion'))
        ignored(f, `'${f}' rewrites completions; this dataset names no 'completion' column`);
    }
  }

  private checkEvalRules(sym: BlockSymbol, cfg: BlockConfig): void {
    this.needColumns(cfg, 'data', ['answer'], 'evaluation');
    // `accuracy` decodes greedily; the sampling settings only shape the sampled metrics.
    const metrics = resolvedValue(cfg.spec, cfg.values, 'metrics');
    const invalidMetrics = cfg.attributes.has('metrics') && cfg.values.metrics === undefined;
    if (!invalidMetrics && Array.isArray(metrics) && !metrics.some((m) => String(m).includes('@'))) {
      for (const f of ['temperature', 'top_p']) {
        if (!cfg.attributes.has(f)) continue;
        this.report({
          info: Codes.ignoredOption,
          message: `'${f}' applies to the sampled metrics (avg@K, pass@K, maj@K), which this eval does not ask for; accuracy always decodes greedily`,
          span: this.keySpan(cfg, f) as Span,
          tags: ['unnecessary'],
        });
      }
    }
    this.checkEvalOnTrainingData(sym, cfg);
  }

  /** An eval that reads rows a stage trains on measures memory, not skill: the seed's tuning-on-test mistake. */
  private checkEvalOnTrainingData(sym: BlockSymbol, cfg: BlockConfig): void {
    const [target] = this.datasetsOf(cfg, 'data');
    if (!target) return;
    const related: { span: Span; message: string }[] = [];
    const stages: string[] = [];
    for (const [stage, scfg] of this.configs) {
      if (stage.kind !== 'stage') continue;
      const hit = this.datasetsOf(scfg, 'data').find(
        (d) => d.sym === target.sym || mayShareRows(d.cfg.values, target.cfg.values),
      );
      if (!hit) continue;
      const same = hit.sym === target.sym ? `dataset '${hit.sym.name}'` : `'${hit.sym.name}', the same rows`;
      related.push({ span: this.valueSpan(scfg, 'data') as Span, message: `stage ${stage.name} trains on ${same}` });
      stages.push(stage.name);
    }
    if (stages.length === 0) return;
    const who = stages.length === 1 ? `stage ${stages[0]} trains` : `stages ${stages.join(', ')} train`;
    this.report({
      info: Codes.suspicious,
      message:
        `eval ${sym.name} reads rows that ${who} on (dataset '${target.sym.name}'), so its scores reward memorisation; ` +
        'evaluate on another split (built-in tasks: validation, test), or carve one off with holdout and part = holdout',
      span: this.valueSpan(cfg, 'data') as Span,
      related,
    });
  }

  /** The dataset configs a stage or eval's `field` points at: one name, or each part of a weighted mix. */
  private datasetsOf(cfg: BlockConfig, field: string): { sym: BlockSymbol; cfg: BlockConfig }[] {
    const v = cfg.values[field];
    const names =
      typeof v === 'string'
        ? [v]
        : Array.isArray(v)
          ? v.map((p) => (p as { dataset?: unknown }).dataset).filter((n): n is string => typeof n === 'string')
          : [];
    const out: { sym: BlockSymbol; cfg: BlockConfig }[] = [];
    for (const name of names) {
      const sym = this.b.byName.get(name);
      const dcfg = sym && sym.kind === 'dataset' ? this.configs.get(sym) : undefined;
      if (sym && dcfg) out.push({ sym, cfg: dcfg });
    }
    return out;
  }

  private needColumns(cfg: BlockConfig, field: string, anyOf: string[], purpose: string): void {
    for (const ds of this.datasetsOf(cfg, field)) {
      if (ds.cfg.attributes.has('builtin') || !ds.cfg.attributes.has('source')) continue;
      if (anyOf.some((c) => ds.cfg.attributes.has(c))) continue;
      const want = anyOf.map((c) => `'${c}'`).join(' or ');
      this.report({
        info: Codes.datasetFieldNeeded,
        message: `dataset '${ds.sym.name}' names no ${want} column, which ${purpose} needs`,
        span: this.valueSpan(cfg, field) as Span,
        related: [
          {
            span: ds.sym.nameSpan,
            message: `add ${anyOf.map((c) => `${c} = "…"`).join(' or ')} to dataset '${ds.sym.name}'`,
          },
        ],
      });
    }
  }

  // FSDP's loss scaler would decide overflow per shard, so the engine refuses fp16 with it. Reported whatever
  // `processes` says: under an external torchrun the same plan runs on several ranks.
  private checkShardedPrecision(): void {
    if (this.setting('sharding') !== 'fsdp' || this.setting('precision') !== 'fp16' || !this.pipelineCfg) return;
    this.report({
      info: Codes.incompatibleOptions,
      message:
        "precision = fp16 is not supported with sharding = fsdp (the loss scaler's overflow check would differ " +
        'between shards); use bf16',
      span: this.valueSpan(this.pipelineCfg, 'precision') as Span,
      related: [{ span: this.valueSpan(this.pipelineCfg, 'sharding') as Span, message: 'sharding = fsdp is set here' }],
    });
  }

  // The engine refuses LoRA under FSDP: an adapter-only stage is small enough for plain data parallelism.
  private checkShardedLora(sym: BlockSymbol, cfg: BlockConfig): void {
    const lora = cfg.nested.get('lora');
    if (!lora || this.setting('sharding') !== 'fsdp' || !this.pipelineCfg) return;
    this.report({
      info: Codes.incompatibleOptions,
      message:
        `stage ${sym.name}: sharding = fsdp does not support lora; a LoRA stage trains so few parameters that ` +
        'data parallelism (sharding = none) already fits',
      span: lora.block.headerSpan,
      related: [{ span: this.valueSpan(this.pipelineCfg, 'sharding') as Span, message: 'sharding = fsdp is set here' }],
    });
  }

  private checkStageRules(sym: BlockSymbol, cfg: BlockConfig): void {
    const kind = sym.stageKind;
    this.checkShardedLora(sym, cfg);
    if (kind === 'sft' || kind === 'kd') {
      this.needColumns(cfg, 'data', ['completion', 'messages'], `${kind} training`);
      if (cfg.attributes.has('steps') && cfg.attributes.has('epochs')) {
        this.report({
          info: Codes.ignoredOption,
          message: "'epochs' is ignored because 'steps' is set",
          span: this.keySpan(cfg, 'epochs') as Span,
          related: [{ span: this.keySpan(cfg, 'steps') as Span, message: "'steps' is set here" }],
          tags: ['unnecessary'],
        });
      }
    }
    if (kind === 'kd') {
      if (cfg.values.teacher !== undefined && cfg.values.teacher === cfg.values.init) {
        this.report({
          info: Codes.suspicious,
          message: "the teacher is the student's own starting point; distillation from itself changes nothing",
          span: this.valueSpan(cfg, 'teacher') as Span,
        });
      }
      const mix = cfg.nested.get('mix');
      if (mix) {
        if (resolvedValue(mix.spec, mix.values, 'sft') === 0 && resolvedValue(mix.spec, mix.values, 'kd') === 0) {
          this.report({
            info: Codes.incompatibleOptions,
            message: "'mix' gives both the CE and the KD term weight 0, so nothing is trained",
            span: mix.block.headerSpan,
          });
        }
      }
    }
    if (kind === 'rl') {
      this.needColumns(cfg, 'data', ['answer'], 'rl rewards');
      // Resolved values are read field by field, and only when a rule applies (see `resolvedValue`).
      const resolved = (name: string) => resolvedValue(cfg.spec, cfg.values, name);
      const prompts = resolved('prompts_per_step');
      const group = resolved('group');
      const ranks = this.ranks();
      if (ranks > 1 && typeof prompts === 'number' && prompts % ranks !== 0) {
        this.checkPromptsPerRank(cfg, prompts, ranks);
      } else this.checkBatch(cfg, prompts, group, ranks);
      if (cfg.attributes.has('epsilon_high')) {
        const hi = resolved('epsilon_high');
        const eps = resolved('epsilon');
        if (typeof hi === 'number' && typeof eps === 'number' && hi < eps) {
          this.report({
            info: Codes.suspicious,
            message: `epsilon_high (${hi}) is below epsilon (${eps}); clip-higher expects epsilon_high ≥ epsilon`,
            span: this.valueSpan(cfg, 'epsilon_high') as Span,
          });
        }
      }
      if (cfg.values.scale_rewards === true && resolved('algorithm') === 'dr_grpo') {
        this.report({
          info: Codes.suspicious,
          message: 'Dr. GRPO removes the std scaling of advantages; scale_rewards = true undoes that',
          span: this.valueSpan(cfg, 'scale_rewards') as Span,
        });
      }
      this.checkOverlongBuffer(cfg, resolved('max_new_tokens'));
      const kdReg = cfg.nested.get('kd');
      if (kdReg && kdReg.values.teacher !== undefined && kdReg.values.teacher === cfg.values.init) {
        this.report({
          info: Codes.suspicious,
          message: "the KD regulariser's teacher is the policy's own starting point; use kl for that",
          span: this.valueSpan(kdReg, 'teacher') as Span,
        });
      }
    }
  }

  /**
   * The stage rules again for each stage a variant changes (its settings, or the init its place in `stages`
   * gives it), with the variant's values: `polish { group = 3 }` may break the batch arithmetic of the
   * stage as declared. What the stage as declared already reported is not repeated.
   */
  private checkVariantStageRules(): void {
    const study = this.study;
    if (!study) return;
    const key = (d: RawDiagnostic) => `${d.info.code} ${d.span.start} ${d.span.end} ${d.message}`;
    const seen = new Set(this.diagnostics.map(key));
    for (const v of study.variants) {
      const layout = layoutVariant(v, this.b, this.configs);
      if (!layout.ok) continue;
      for (const { sym, config } of layout.stages) {
        if (config === this.configs.get(sym)) continue;
        const found: RawDiagnostic[] = [];
        const report = this.report;
        this.report = (d) => found.push(d);
        try {
          this.checkStageRules(sym, config);
        } finally {
          this.report = report;
        }
        for (const d of found) {
          if (seen.has(key(d))) continue;
          seen.add(key(d));
          this.report({ ...d, message: `${d.message} (in variant ${v.name})` });
        }
      }
    }
  }

  // The soft overlong punishment is the built-in length_penalty over the last overlong_buffer tokens: the engine
  // refuses a buffer past max_new_tokens and a second length_penalty in the reward.
  private checkOverlongBuffer(cfg: BlockConfig, maxNew: unknown): void {
    const buffer = cfg.values.overlong_buffer;
    if (typeof buffer !== 'number' || buffer <= 0) return;
    const span = this.valueSpan(cfg, 'overlong_buffer') as Span;
    if (typeof maxNew === 'number' && buffer > maxNew) {
      this.report({
        info: Codes.incompatibleOptions,
        message: `overlong_buffer (${buffer}) is longer than max_new_tokens (${maxNew})`,
        span,
      });
    }
    const reward = cfg.values.reward;
    if (Array.isArray(reward) && reward.some((t) => (t as { fn?: unknown }).fn === 'length_penalty')) {
      this.report({
        info: Codes.incompatibleOptions,
        message: 'overlong_buffer adds length_penalty to the reward, which already has it; keep one of them',
        span,
      });
    }
  }

  // Each rank samples whole groups for prompts_per_step / processes prompts, so the engine refuses a remainder.
  private checkPromptsPerRank(cfg: BlockConfig, p: number, ranks: number): void {
    // An invalid value has its own error; the default standing in for it is not what the user wrote.
    if (cfg.attributes.has('prompts_per_step') && !('prompts_per_step' in cfg.values)) return;
    const best = nearestMultiple(p, ranks);
    const written = this.valueSpan(cfg, 'prompts_per_step');
    const braces = cfg.block.braces;
    // Not written: the default is at fault, so point at the stage and insert a value rather than replace one.
    const edit = written
      ? { span: written, newText: String(best) }
      : braces
        ? { span: { start: braces.open, end: braces.open }, newText: ` prompts_per_step = ${best}` }
        : undefined;
    const pipeline = this.pipelineCfg as BlockConfig;
    this.report({
      info: Codes.batchArithmetic,
      message:
        `prompts_per_step ${p}${written ? '' : ' (the default)'} must be a multiple of processes = ${ranks}, so ` +
        'that every rank samples whole groups',
      span: written ?? cfg.block.headerSpan,
      related: [{ span: this.valueSpan(pipeline, 'processes') as Span, message: `processes = ${ranks}` }],
      fixes: edit
        ? [
            {
              title: written ? `Change to ${best}` : `Add 'prompts_per_step = ${best}'`,
              edits: [edit],
              preferred: true,
            },
          ]
        : undefined,
    });
  }

  // With several ranks each one splits its own prompts_per_step / processes × group sequences into
  // micro-batches, so that per-rank count is what batch_size must divide.
  private checkBatch(cfg: BlockConfig, p: JsonValue | undefined, g: JsonValue | undefined, ranks: number): void {
    const bs = cfg.values.batch_size;
    if (typeof p !== 'number' || typeof g !== 'number' || typeof bs !== 'number' || bs === 0) return;
    const total = (p / ranks) * g;
    if (total % bs === 0) return;
    let best = 1;
    for (let d = Math.min(bs, total); d >= 1; d--) {
      if (total % d === 0) {
        best = d;
        break;
      }
    }
    const related: { span: Span; message: string }[] = [];
    for (const f of ['prompts_per_step', 'group']) {
      const s = this.valueSpan(cfg, f);
      if (s) related.push({ span: s, message: `${f} = ${f === 'group' ? g : p}` });
    }
    if (ranks > 1) {
      related.push({
        span: this.valueSpan(this.pipelineCfg as BlockConfig, 'processes') as Span,
        message: `processes = ${ranks}`,
      });
    }
    const s = this.valueSpan(cfg, 'batch_size') as Span;
    this.report({
      info: Codes.batchArithmetic,
      message:
        ranks > 1
          ? `batch_size ${bs} must divide each rank's prompts_per_step / processes × group = ${p} / ${ranks} × ${g} = ${total} sequences`
          : `batch_size ${bs} must divide prompts_per_step × group = ${p} × ${g} = ${total} generations per step`,
      span: s,
      related,
      fixes: [{ title: `Change to ${best}`, edits: [{ span: s, newText: String(best) }], preferred: true }],
    });
  }

  private checkUsage(): void {
    const used = new Set<BlockSymbol>();
    for (const r of this.b.references) if (r.target) used.add(r.target);
    for (const s of this.b.symbols) {
      if ((s.kind === 'model' || s.kind === 'dataset') && !used.has(s)) {
        this.report({
          info: Codes.unused,
          message: `${s.kind} '${s.name}' is never used`,
          span: s.nameSpan,
          tags: ['unnecessary'],
        });
      }
    }
  }
}

/** The positive multiple of `m` nearest to `n`; the lower one on a tie, so a fix never grows the step. */
function nearestMultiple(n: number, m: number): number {
  const low = Math.floor(n / m) * m;
  if (low === 0) return m;
  return n - low <= low + m - n ? low : low + m;
}

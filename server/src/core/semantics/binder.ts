// The binder: finds the pipeline, declares one symbol per named block (models, datasets, stages and evals
// share a single namespace so `init = x` is unambiguous), and records every reference with its target.
import { Codes } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import { AttributeAst, BlockAst, type SourceFile } from '../syntax/ast';
import type { Span } from '../text/lineIndex';
import { blockSpec as blockSpecImport, findField as findFieldImport } from '../schema/lookup';
import type { BlockSpec, SymbolKind } from '../schema/types';
import { weightedTerms } from './dataMix';
import { valueOf as valueOfImport, type Value } from './values';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const blockSpec = blockSpecImport;
const findField = findFieldImport;
const valueOf = valueOfImport;

export interface BlockSymbol {
  name: string;
  kind: SymbolKind;
  /** `sft`, `kd` or `rl` for stages. */
  stageKind?: string;
  block: BlockAst;
  /** The name label. */
  nameSpan: Span;
  /** The whole block. */
  span: Span;
  /** Position among the pipeline's named blocks, in source order. */
  index: number;
}

export interface Reference {
  name: string;
  span: Span;
  /**
   * The canonical field name holding the reference (`init`, `teacher`, `data`, `stages`), or `stage` for the
   * name of a study variant's settings block (`polish { lr = 1e-4 }`).
   */
  field: string;
  /** The attribute holding the reference; undefined for a variant's settings block. */
  attribute: AttributeAst | undefined;
  /**
   * The named block the reference sits in (for `kd { teacher = x }` in a stage: that stage); undefined in a
   * study, whose variants order stages themselves.
   */
  from: BlockSymbol | undefined;
  targetKinds: readonly SymbolKind[];
  /** The symbol of that name, of whatever kind; the checker reports a wrong kind. */
  target: BlockSymbol | undefined;
}

export interface Bindings {
  pipeline: BlockAst | undefined;
  symbols: BlockSymbol[];
  byName: Map<string, BlockSymbol>;
  references: Reference[];
  diagnostics: RawDiagnostic[];
}

const SYMBOL_KINDS = new Set<string>(['model', 'dataset', 'stage', 'eval']);

export function bind(file: SourceFile): Bindings {
  const diagnostics: RawDiagnostic[] = [];
  const pipelines = file.items().filter((i): i is BlockAst => i.type === 'block' && i.kind === 'pipeline');
  const pipeline = pipelines[0];
  const symbols: BlockSymbol[] = [];
  const byName = new Map<string, BlockSymbol>();
  const references: Reference[] = [];
  if (!pipeline) return { pipeline, symbols, byName, references, diagnostics };

  for (const block of pipeline.blocks()) {
    if (!SYMBOL_KINDS.has(block.kind)) continue;
    const labels = block.labels;
    const isStage = block.kind === 'stage';
    const nameLabel = isStage ? labels[1] : labels[0];
    if (!nameLabel) continue;
    const sym: BlockSymbol = {
      name: nameLabel.value,
      kind: block.kind as SymbolKind,
      stageKind: isStage ? labels[0]?.value : undefined,
      block,
      nameSpan: { start: nameLabel.node.start, end: nameLabel.node.end },
      span: { start: block.node.start, end: block.node.end },
      index: symbols.length,
    };
    symbols.push(sym);
    const prev = byName.get(sym.name);
    if (prev) {
      diagnostics.push({
        info: Codes.duplicateName,
        message: `'${sym.name}' is already defined as a ${prev.kind}; names of models, datasets, stages and evals must be unique`,
        span: sym.nameSpan,
        related: [{ span: prev.nameSpan, message: `first definition of '${sym.name}'` }],
      });
    } else byName.set(sym.name, sym);
  }

  for (const sym of symbols)
    collectReferences(file, sym.block, blockSpec(sym.kind, sym.stageKind), sym, byName, references);
  for (const study of pipeline.blocks()) {
    if (study.kind === 'study') collectStudyReferences(file, study, byName, references);
  }
  return { pipeline, symbols, byName, references, diagnostics };
}

/**
 * A variant's `stages` and `init`, the stage each settings block names, and the references inside those
 * blocks (read with the fields of that stage's kind).
 */
function collectStudyReferences(
  file: SourceFile,
  study: BlockAst,
  byName: Map<string, BlockSymbol>,
  out: Reference[],
): void {
  for (const variant of study.blocks()) {
    if (variant.kind !== 'variant') continue;
    collectReferences(file, variant, blockSpec('variant'), undefined, byName, out);
    for (const settings of variant.blocks()) {
      const kt = settings.kindToken;
      if (!kt) continue;
      const target = byName.get(settings.kind);
      out.push({
        name: settings.kind,
        span: { start: kt.start, end: kt.end },
        field: 'stage',
        attribute: undefined,
        from: undefined,
        targetKinds: ['stage'],
        target,
      });
      if (target?.kind === 'stage')
        collectReferences(file, settings, blockSpec('stage', target.stageKind), undefined, byName, out);
    }
  }
}

function collectReferences(
  file: SourceFile,
  block: BlockAst,
  spec: BlockSpec | undefined,
  from: BlockSymbol | undefined,
  byName: Map<string, BlockSymbol>,
  out: Reference[],
): void {
  if (!spec) return;
  for (const item of block.items()) {
    if (item.type === 'block') {
      if (spec.blocks.includes(item.kind)) collectReferences(file, item, blockSpec(item.kind), from, byName, out);
      continue;
    }
    const match = findField(spec, item.key);
    const node = item.value;
    if (!match || !node) continue;
    const t = match.field.type;
    if (t.kind !== 'ref' && t.kind !== 'refList') continue;
    const v = valueOf(file, node);
    if (t.kind === 'ref' && t.weighted && v.type !== 'ident') {
      for (const term of weightedTerms(v).terms)
        addReference(term.name, match.field.name, item, from, t.targets, byName, out);
    } else if (t.kind === 'ref') addReference(v, match.field.name, item, from, t.targets, byName, out);
    else if (v.type === 'list')
      for (const n of v.items) addReference(n, match.field.name, item, from, t.targets, byName, out);
  }
}

function addReference(
  v: Value,
  field: string,
  attribute: AttributeAst,
  from: BlockSymbol | undefined,
  targetKinds: readonly SymbolKind[],
  byName: Map<string, BlockSymbol>,
  out: Reference[],
): void {
  if (v.type !== 'ident') return;
  out.push({
    name: v.name,
    span: { start: v.node.start, end: v.node.end },
    field,
    attribute,
    from,
    targetKinds,
    target: byName.get(v.name),
  });
}

// Queries over the schema used by the checker, the LSP features and the plan compiler.
import {
  BUILTIN_REWARDS,
  evalSpec,
  nestedBlockSpecs as nestedBlockSpecsImport,
  pipelineSpec as pipelineSpecImport,
  stageKinds as stageKindsImport,
  topLevelBlocks,
} from './blocks';
import type { BlockSpec, FieldSpec, FieldType, JsonValue, StageKindSpec } from './types';

// Module constants for the specs `blockSpec` reads on every block: under tsx (CommonJS) each use of an
// imported binding is a getter call on the exporting module (see the note in syntax/ast.ts).
const nestedBlockSpecs = nestedBlockSpecsImport;
const pipelineSpec = pipelineSpecImport;
const stageKinds = stageKindsImport;

export { BUILTIN_REWARDS };

/** Block kinds allowed directly inside a block of `parentKind` ('' for the top level of a file). */
export function allowedBlockKinds(parentKind: string, parentStageKind?: string): readonly string[] {
  if (parentKind === '') return topLevelBlocks;
  const spec = blockSpec(parentKind, parentStageKind);
  return spec ? spec.blocks : [];
}

/**
 * The spec of a block. `stageKind` selects the stage variant (`sft`, `kd`, `rl`); for a `stage` block without
 * a known kind, the result is undefined. Nested kinds (lora, mix, kd) are looked up by name; `kd` at stage
 * level is the stage kind, while a `kd` block inside an rl stage is the regulariser.
 */
export function blockSpec(kind: string, stageKind?: string): BlockSpec | undefined {
  if (kind === 'pipeline') return pipelineSpec;
  if (kind === 'stage') return stageKind === undefined ? undefined : stageKindSpec(stageKind);
  return nestedBlockSpecs[kind];
}

export function stageKindSpec(stageKind: string): StageKindSpec | undefined {
  for (const s of stageKinds) if (s.stageKind === stageKind) return s;
  return undefined;
}

export const STAGE_KINDS: readonly string[] = stageKinds.map((s) => s.stageKind);

/** Every field a block accepts: `fieldsFor('stage', 'rl')`, `fieldsFor('lora')`, `fieldsFor('eval')`. */
export function fieldsFor(blockKind: string, stageKind?: string): readonly FieldSpec[] {
  return blockSpec(blockKind, stageKind)?.fields ?? [];
}

export interface FieldMatch {
  field: FieldSpec;
  /** Set when `name` was an alias of `field.name` (reported, with a rename fix). */
  alias?: string;
  /** Set when `name` was a synonym of `field.name` (accepted silently). */
  synonym?: string;
}

const fieldIndex = new WeakMap<BlockSpec, Map<string, FieldMatch>>();

/** The field `name` denotes in `spec`, by canonical name or alias (indexed once per spec: the checker's hot path). */
export function findField(spec: BlockSpec, name: string): FieldMatch | undefined {
  let index = fieldIndex.get(spec);
  if (!index) {
    index = new Map();
    for (const f of spec.fields) for (const a of f.aliases ?? []) index.set(a, { field: f, alias: a });
    for (const f of spec.fields) for (const a of f.synonyms ?? []) index.set(a, { field: f, synonym: a });
    for (const f of spec.fields) index.set(f.name, { field: f });
    fieldIndex.set(spec, index);
  }
  return index.get(name);
}

export function enumValues(field: FieldSpec): readonly string[] {
  return field.type.kind === 'enum' ? field.type.values : [];
}

/** One-line rendering of a type for hover and docs: `int ≥ 1`, `number in 0..1`, `one of a, b`. */
export function describeType(t: FieldType): string {
  switch (t.kind) {
    case 'int':
    case 'number': {
      const base = t.kind === 'int' ? 'integer' : 'number';
      const lo = t.min;
      const hi = t.max;
      const exLo = t.kind === 'number' && t.exclusiveMin;
      const exHi = t.kind === 'number' && t.exclusiveMax;
      if (lo !== undefined && hi !== undefined && !exLo && !exHi) return `${base} in ${lo}..${hi}`;
      const parts: string[] = [];
      if (lo !== undefined) parts.push(`${exLo ? '>' : '≥'} ${lo}`);
      if (hi !== undefined) parts.push(`${exHi ? '<' : '≤'} ${hi}`);
      return parts.length > 0 ? `${base} ${parts.join(', ')}` : base;
    }
    case 'bool':
      return 'true or false';
    case 'string':
      return t.column ? 'string (column name)' : t.datasetSource ? 'string (hub dataset id, file or folder)' : 'string';
    case 'path':
      return t.expects === 'directory' ? 'path to a folder' : 'path to a file';
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'ref':
      return t.weighted
        ? `name of a ${t.targets.join(' or ')}, or a weighted sum of them`
        : `name of a ${t.targets.join(' or ')}`;
    case 'refList':
      return `list of ${t.targets.join(' or ')} names`;
    case 'nameList':
      return t.values ? `list of ${t.values.join(', ')}` : 'list of names';
    case 'kdLoss':
      return 'forward_kl, reverse_kl or jsd(beta = B)';
    case 'reward':
      return 'reward expression (weighted sum)';
    case 'metrics':
      return 'list of accuracy, avg@K, pass@K, maj@K';
  }
}

/** The default as written in .srlm (for docs, hover and completion). */
export function defaultText(field: FieldSpec): string | undefined {
  if (field.defaultText !== undefined) return field.defaultText;
  if (field.default === undefined) return undefined;
  return renderJson(field.default);
}

function renderJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(renderJson).join(', ')}]`;
  if (typeof v === 'string') return v;
  if (v === null) return 'none';
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Markdown documentation of a field for hover and docs/fields.md. */
export function fieldDoc(field: FieldSpec): string {
  const lines = [
    `**${field.name}** — ${describeType(field.type)}${field.unit ? ` (${field.unit})` : ''}`,
    '',
    field.doc,
  ];
  const d = defaultText(field);
  if (field.required) lines.push('', 'Required.');
  else if (d !== undefined) lines.push('', `Default: \`${d}\``);
  if (field.synonyms?.length) lines.push('', `Also accepted: ${field.synonyms.map((a) => `\`${a}\``).join(', ')}`);
  if (field.aliases?.length)
    lines.push('', `Also accepted (renamed): ${field.aliases.map((a) => `\`${a}\``).join(', ')}`);
  return lines.join('\n');
}

/**
 * Fills defaults into the plan values of one block: explicit values win, then static defaults, then derived
 * defaults (which see the block's other resolved values). Fields without any default are left out.
 */
export function resolveDefaults(
  spec: BlockSpec,
  given: Readonly<Record<string, JsonValue>>,
  /** false: share the schema's default objects (read-only callers such as the checker). */
  copy = true,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const f of spec.fields) {
    if (f.name in given) out[f.name] = given[f.name];
    else if (f.default !== undefined) out[f.name] = copy ? cloneJson(f.default) : f.default;
  }
  for (const f of spec.fields) {
    if (!f.derive) continue;
    // A derived default also replaces an explicit value equal to the static placeholder (`batch_size = 0`).
    if (f.name in given && !(f.default !== undefined && given[f.name] === f.default)) continue;
    const v = f.derive(out);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/**
 * One field's value as `resolveDefaults(spec, given, false)[name]` gives it, without building the whole record
 * when the field has no derived default: the checker reads a few resolved fields per stage, and the full record
 * (one dictionary-mode object per stage) was a visible share of a large file's allocation.
 */
export function resolvedValue(
  spec: BlockSpec,
  given: Readonly<Record<string, JsonValue>>,
  name: string,
): JsonValue | undefined {
  const match = findField(spec, name);
  if (!match || match.alias !== undefined) return undefined;
  const f = match.field;
  if (f.derive) return resolveDefaults(spec, given, false)[name];
  return f.name in given ? given[f.name] : f.default;
}

export { evalSpec };

/** Defaults are shared schema objects; callers get their own copies (cheaper than structuredClone). */
function cloneJson(v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneJson);
  const o: Record<string, JsonValue> = {};
  for (const k of Object.keys(v)) o[k] = cloneJson(v[k]);
  return o;
}

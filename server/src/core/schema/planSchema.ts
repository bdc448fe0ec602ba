// Renders the plan's JSON Schema (the contract with the Python engine) from the language schema, so a field is
// declared once, in blocks.ts: its type, range, default and doc reach the engine from there. The engine fills
// absent fields from this schema's `default`s. Run `npx tsx server/src/core/schema/planSchema.ts` to rewrite
// the engine's copy; `--check` (run in CI) fails when the committed file differs.
import { datasetSpec, evalSpec, modelSpec, pipelineSpec, stageKinds } from './blocks';
import { blockSpec } from './lookup';
import { REWARD_FUNCTION_DECLARATION } from './rewardCall';
import type { BlockSpec, FieldSpec, FieldType, JsonValue, StageKindSpec } from './types';
import { writeOrCheckGenerated } from './generatedFile';

type Schema = { [key: string]: JsonValue };

/** Where the generated schema lives: inside the engine package, so an installed engine carries it. */
export const PLAN_SCHEMA_PATH = 'runtime/python/srlm_engine/plan.schema.json';

const NAME: Schema = { type: 'string', minLength: 1 };

/** `{"model": name}` or `{"stage": name}`: how a plan says which kind of block a reference names. */
function refObject(target: string): Schema {
  return { type: 'object', properties: { [target]: NAME }, required: [target], additionalProperties: false };
}

/** A weighted mix of names: `[{"dataset": "cot", "weight": 0.7}, …]`, weights normalised by the compiler. */
function weightedRefs(target: string): Schema {
  return {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      properties: { [target]: NAME, weight: { type: 'number', exclusiveMinimum: 0 } },
      required: [target, 'weight'],
      additionalProperties: false,
    },
  };
}

/** The plan form of a value of each field type (docs/plan.md), without null or default. */
function valueSchema(t: FieldType): Schema {
  switch (t.kind) {
    case 'int':
    case 'number': {
      const s: Schema = { type: t.kind === 'int' ? 'integer' : 'number' };
      if (t.min !== undefined) s[t.kind === 'number' && t.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = t.min;
      if (t.max !== undefined) s[t.kind === 'number' && t.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = t.max;
      return s;
    }
    case 'bool':
      return { type: 'boolean' };
    case 'string':
    case 'path':
      return { type: 'string' };
    case 'enum':
      return { enum: [...t.values] };
    case 'ref': {
      // A compiled plan writes the bare name; a hand-written one may say which kind of block it names.
      const one = t.targets.length === 1 ? NAME : { oneOf: [NAME, ...t.targets.map(refObject)] };
      return t.weighted ? { oneOf: [one, weightedRefs(t.targets[0])] } : one;
    }
    case 'refList':
      return { type: 'array', items: NAME };
    case 'nameList':
      return {
        type: 'array',
        items: t.values ? { enum: [...t.values] } : NAME,
        ...(t.values ? { uniqueItems: true } : {}),
        ...(t.empty ? {} : { minItems: 1 }),
      };
    case 'kdLoss':
      return {
        type: 'object',
        properties: {
          name: { enum: ['forward_kl', 'reverse_kl', 'jsd'] },
          beta: { type: 'number', minimum: 0, maximum: 1 },
        },
        required: ['name'],
        additionalProperties: false,
      };
    case 'reward':
      return {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            fn: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            weight: { type: 'number' },
            args: {
              type: 'object',
              description: 'Keyword arguments for this function only: {"max": 512} for length_penalty(max = 512).',
              additionalProperties: { type: ['number', 'string', 'boolean'] },
            },
          },
          required: ['fn', 'weight'],
          additionalProperties: false,
        },
        minItems: 1,
      };
    case 'metrics':
      return {
        type: 'array',
        items: { type: 'string', pattern: '^(accuracy|(avg|pass|maj)@[1-9][0-9]*)$' },
        minItems: 1,
      };
  }
}

/** A field absent from the file is "none" in the plan when it has no default and is not required. */
function isNullable(f: FieldSpec): boolean {
  return f.default === undefined && !f.required;
}

function withNull(s: Schema): Schema {
  if ('enum' in s) return { ...s, enum: [...(s.enum as JsonValue[]), null] };
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  return { anyOf: [s, { type: 'null' }] };
}

function describe(f: FieldSpec): string {
  const unit = f.unit ? ` Unit: ${f.unit}.` : '';
  const derived = f.defaultText && f.default === undefined ? ` Absent (null): ${f.defaultText}.` : '';
  return f.doc + unit + derived;
}

export function fieldSchema(f: FieldSpec): Schema {
  const base = valueSchema(f.type);
  const s: Schema = isNullable(f) ? withNull(base) : { ...base };
  if (f.required && s.type === 'string') s.minLength = 1;
  if (!f.required) s.default = f.default ?? null;
  s.description = describe(f);
  return s;
}

/** Field names that must be present in the plan: required in the language, except where noted. */
function requiredNames(spec: BlockSpec, except: readonly string[] = []): string[] {
  return spec.fields.filter((f) => f.required && !except.includes(f.name)).map((f) => f.name);
}

function objectOf(
  spec: BlockSpec,
  nestedOf?: string,
  extra: Record<string, Schema> = {},
  except: string[] = [],
  withNested = true,
): Schema {
  const properties: Schema = {};
  for (const f of spec.fields) {
    properties[f.name] = fieldSchema(f);
    // A synonym is a former name: plans written before the rename carry it instead (the engine maps it).
    for (const syn of f.synonyms ?? [])
      properties[syn] = { ...fieldSchema(f), description: `Former name of \`${f.name}\`, accepted in older plans.` };
  }
  for (const kind of withNested ? spec.blocks : []) {
    const nested = blockSpec(kind, nestedOf);
    if (!nested) continue;
    properties[kind] = {
      ...objectOf(nested, nestedOf),
      type: ['object', 'null'],
      default: null,
      description: nested.doc,
    };
  }
  Object.assign(properties, extra);
  const s: Schema = { type: 'object', properties, additionalProperties: false };
  const required = requiredNames(spec, except);
  if (required.length > 0) s.required = required;
  const one = spec.exactlyOne;
  if (one && one.length > 1) {
    // Exactly one of these fields is given (not null): the others must be absent or null.
    // A field's synonym stands for it: `path` satisfies (or conflicts) like `source`.
    const names = (n: string) => [n, ...(spec.fields.find((f) => f.name === n)?.synonyms ?? [])];
    s.oneOf = one.map((name): Schema => {
      const properties: Schema = {};
      for (const o of one) if (o !== name) for (const n of names(o)) properties[n] = { type: 'null' };
      const given = names(name).map((n): Schema => ({ required: [n], properties: { [n]: { not: { type: 'null' } } } }));
      return given.length === 1
        ? { ...given[0], properties: { ...(given[0].properties as Schema), ...properties } }
        : { anyOf: given, properties };
    });
  }
  return s;
}

const POSITION: Schema = {
  type: 'object',
  properties: { line: { type: 'integer', minimum: 0 }, character: { type: 'integer', minimum: 0 } },
  required: ['line', 'character'],
};

/** What the compiler adds around a stage's config: identity, lineage, evals, where it was written, cache reuse. */
function stageSchema(spec: StageKindSpec): Schema {
  const config = objectOf(spec, spec.stageKind, {}, ['init']);
  return {
    type: 'object',
    properties: {
      name: { ...NAME, description: 'The stage name (also a folder name under checkpoints/).' },
      kind: { const: spec.stageKind },
      hash: { type: 'string', description: 'Content hash of the stage: the stage cache key.' },
      parent: { type: ['string', 'null'], description: 'The stage this one continues, or null for a model.' },
      init: { oneOf: [refObject('model'), refObject('stage')] },
      evals: { type: 'array', items: { type: 'string' }, default: [] },
      source_range: { type: 'object', properties: { start: POSITION, end: POSITION } },
      reuse: {
        type: ['string', 'null'],
        default: null,
        description:
          'Absolute path of a cached checkpoint: skip training, load it, emit stage_finished with cached = true.',
      },
      config,
    },
    required: ['name', 'kind', 'init', 'config'],
    additionalProperties: false,
  };
}

export function renderPlanSchema(): Schema {
  // The pipeline's nested blocks (models, stages…) are the plan's other sections, not settings.
  const settings = { ...objectOf(pipelineSpec, undefined, {}, [], false), default: {} };
  const defs: Schema = {
    model: objectOf(modelSpec, undefined, {
      config_sha256: { type: ['string', 'null'], default: null, description: 'sha256 of a local config.json.' },
      resolved_revision: {
        type: ['string', 'null'],
        default: null,
        description:
          "The commit a hub model's revision resolved to (srlm run's preflight, srlm pull); null for local folders.",
      },
    }),
    dataset: objectOf(datasetSpec, undefined, {
      sha256: {
        type: ['string', 'null'],
        default: null,
        description: 'sha256 of a local data file or folder; null for hub and builtin datasets.',
      },
      resolved_revision: {
        type: ['string', 'null'],
        default: null,
        description: "The commit a hub dataset's revision resolved to (srlm run's preflight); null for local data.",
      },
    }),
    eval: objectOf(evalSpec),
    rewardFunction: REWARD_FUNCTION_DECLARATION as unknown as Schema,
    stage: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { enum: stageKinds.map((k) => k.stageKind) } },
      allOf: stageKinds.map((k) => ({
        if: { properties: { kind: { const: k.stageKind } }, required: ['kind'] },
        then: { $ref: `#/$defs/stage_${k.stageKind}` },
      })),
    },
  };
  for (const k of stageKinds) defs[`stage_${k.stageKind}`] = stageSchema(k);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://srlm.studio/schemas/plan-1.json',
    title: 'SRLM Studio plan, schema version 1',
    description:
      'The contract between the plan compiler and the training engine (docs/plan.md), generated from the ' +
      'language schema (server/src/core/schema/blocks.ts) — do not edit. The engine applies the defaults ' +
      'given here to absent fields.',
    type: 'object',
    required: ['schema_version', 'pipeline', 'models', 'datasets', 'stages'],
    additionalProperties: false,
    properties: {
      schema_version: { const: 1 },
      pipeline: NAME,
      source: { type: 'object', properties: { file: { type: 'string' }, sha256: { type: ['string', 'null'] } } },
      engine_version: { type: 'string' },
      settings,
      models: { type: 'object', additionalProperties: { $ref: '#/$defs/model' } },
      datasets: { type: 'object', additionalProperties: { $ref: '#/$defs/dataset' } },
      stages: { type: 'array', minItems: 1, items: { $ref: '#/$defs/stage' } },
      evals: { type: 'object', default: {}, additionalProperties: { $ref: '#/$defs/eval' } },
    },
    $defs: defs,
  };
}

export function renderPlanSchemaText(): string {
  return JSON.stringify(renderPlanSchema(), null, 2) + '\n';
}

if (require.main === module)
  writeOrCheckGenerated(PLAN_SCHEMA_PATH, renderPlanSchemaText(), 'npx tsx server/src/core/schema/planSchema.ts');

// Renders the engine's typed plan (`runtime/python/srlm_engine/plan_types.py`, Python dataclasses) from the plan
// schema that planSchema.ts renders from blocks.ts, so a field's name, type and nullability reach the engine's
// type checker from the one declaration. Defaults stay in the schema: the engine fills absent fields from it
// (srlm_engine/plan.py) before it builds these objects, so the classes carry none. Run
// `npx tsx server/src/core/schema/planTypes.ts` to rewrite the file; `--check` (run in CI) fails when it differs.
import { datasetSpec, evalSpec, modelSpec, stageKinds } from './blocks';
import { renderPlanSchema } from './planSchema';
import type { BlockSpec, JsonValue } from './types';
import { writeOrCheckGenerated } from './generatedFile';

type Schema = { [key: string]: JsonValue };

/** Where the generated module lives, beside the schema it mirrors. */
export const PLAN_TYPES_PATH = 'runtime/python/srlm_engine/plan_types.py';

/** Class names of nested objects, by the property that holds them (one shape per name; checked below). */
const NESTED_CLASS: Record<string, { name: string; doc?: string }> = {
  lora: { name: 'LoraConfig' },
  mix: { name: 'KdMix' },
  kd: { name: 'RlKd' },
  loss: { name: 'KdLoss' },
  reward: { name: 'RewardTerm', doc: 'One weighted function of a reward sum, with its keyword arguments.' },
  data: { name: 'DataPart', doc: 'One dataset of a weighted mix; the weights of a mix sum to 1.' },
};

interface ClassOptions {
  /** Properties left out (former names that plan.py maps to the current one). */
  readonly skip?: ReadonlySet<string>;
  /** Properties whose schema the class states more narrowly. */
  readonly replace?: Record<string, Schema>;
  /** Extra field lines and `from_json` arguments. */
  readonly fields?: readonly string[];
  readonly args?: readonly string[];
}

interface PyType {
  /** The annotation. */
  readonly ann: string;
  /** How a JSON value `v` (a Python expression) becomes a value of `ann`. */
  readonly conv: (v: string) => string;
  /** The same conversion as a one-argument callable, where there is one. */
  readonly fn?: string;
}

const asIs = (v: string) => v;

class Emitter {
  private readonly classes = new Map<string, { shape: string; text: string }>();

  /** Emits a dataclass for an object schema (once per name) and returns its name. */
  objectClass(name: string, s: Schema, doc: string, opts: ClassOptions = {}): string {
    // Nested blocks of one kind share a class whatever their defaults and docs (KD's and RL's `loss`).
    const shape = JSON.stringify({ properties: s.properties, required: s.required });
    const seen = this.classes.get(name);
    if (seen) {
      if (seen.shape !== shape) throw new Error(`plan types: two different shapes are both named ${name}`);
      return name;
    }
    this.classes.set(name, { shape, text: '' }); // reserve the name (and the order) before nested classes
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = new Set((s.required ?? []) as string[]);
    const lines = ['@dataclass', `class ${name}:`, `    ${pyDocstring(doc)}`, ''];
    const args: string[] = [];
    for (const [key, sub] of Object.entries({ ...props, ...opts.replace })) {
      if (opts.skip?.has(key)) continue;
      // After the engine fills defaults, a field with a default or a required one is always present; any other
      // is None when absent.
      const present = required.has(key) || 'default' in sub;
      const t = this.pyType(key, sub);
      lines.push(`    ${key}: ${present ? t.ann : orNone(t.ann)}`);
      args.push(`${key}=${present ? t.conv(`d["${key}"]`) : optional(t, `d.get("${key}")`)}`);
    }
    lines.push(
      ...(opts.fields ?? []),
      '',
      '    @classmethod',
      `    def from_json(cls, d: Mapping[str, Any]) -> ${name}:`,
    );
    lines.push('        return cls(', ...[...args, ...(opts.args ?? [])].map((a) => `            ${a},`), '        )');
    this.classes.set(name, { shape, text: lines.join('\n') });
    return name;
  }

  pyType(key: string, s: Schema): PyType {
    if ('const' in s) return { ann: `Literal[${JSON.stringify(s.const)}]`, conv: asIs };
    if (Array.isArray(s.enum)) {
      const values = s.enum.filter((v) => v !== null);
      const ann = `Literal[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
      return { ann: values.length < s.enum.length ? orNone(ann) : ann, conv: asIs };
    }
    if (Array.isArray(s.oneOf)) return this.union(key, s.oneOf as Schema[]);
    if (Array.isArray(s.anyOf)) {
      const [inner] = (s.anyOf as Schema[]).filter((a) => a.type !== 'null');
      const t = this.pyType(key, inner);
      return nullable(t);
    }
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
    const nonNull = types.filter((t) => t !== 'null');
    const parts = nonNull.map((t) => this.baseType(key, t, s));
    const base = parts.length === 1 ? parts[0] : { ann: parts.map((p) => p.ann).join(' | '), conv: asIs };
    return types.includes('null') ? nullable(base) : base;
  }

  private baseType(key: string, type: string | undefined, s: Schema): PyType {
    switch (type) {
      case 'integer':
        return { ann: 'int', conv: asIs };
      case 'number':
        return { ann: 'float', conv: asIs };
      case 'boolean':
        return { ann: 'bool', conv: asIs };
      case 'string':
        return { ann: 'str', conv: asIs };
      case 'array': {
        const item = this.pyType(key, (s.items ?? {}) as Schema);
        return item.conv === asIs
          ? { ann: `list[${item.ann}]`, conv: (v) => `list(${v})`, fn: 'list' }
          : { ann: `list[${item.ann}]`, conv: (v) => `[${item.conv('x')} for x in ${v}]` };
      }
      case 'object': {
        const nested = NESTED_CLASS[key];
        if (nested && s.properties) {
          const cls = this.objectClass(nested.name, s, nested.doc ?? String(s.description));
          return { ann: cls, conv: (v) => `${cls}.from_json(${v})`, fn: `${cls}.from_json` };
        }
        const extra = s.additionalProperties as Schema | undefined;
        const value = extra && typeof extra === 'object' ? this.pyType(key, extra).ann : 'Any';
        return { ann: `dict[str, ${value}]`, conv: (v) => `dict(${v})`, fn: 'dict' };
      }
      default:
        throw new Error(`plan types: no Python type for ${key}: ${JSON.stringify(s)}`);
    }
  }

  /** A reference (`"name"` or `{"model": name}`) stays as written (plan.py resolves it); a weighted reference
   * is a name or a list of weighted parts. */
  private union(key: string, options: Schema[]): PyType {
    const types = options.map((o) => (o.type === 'string' ? { ann: 'str', conv: asIs } : this.refOrList(key, o)));
    const anns = [...new Set(types.map((t) => t.ann))];
    const list = types.find((t) => t.ann.startsWith('list['));
    if (!list) return { ann: anns.join(' | '), conv: asIs };
    return { ann: anns.join(' | '), conv: (v) => `${v} if isinstance(${v}, str) else ${list.conv(v)}` };
  }

  private refOrList(key: string, o: Schema): PyType {
    if (Array.isArray(o.oneOf)) return this.union(key, o.oneOf as Schema[]);
    if (o.type === 'object') return { ann: 'dict[str, str]', conv: asIs };
    return this.pyType(key, o);
  }

  /** Module-level code between the classes. */
  code(name: string, text: string): void {
    this.classes.set(name, { shape: '', text });
  }

  text(): string {
    return [...this.classes.values()].map((c) => c.text).join('\n\n\n');
  }
}

function orNone(ann: string): string {
  return ann.endsWith(' | None') ? ann : `${ann} | None`;
}

/** A value or None: the conversion applies to a value only. */
function nullable(t: PyType): PyType {
  return t.conv === asIs ? { ann: orNone(t.ann), conv: asIs } : { ann: orNone(t.ann), conv: (v) => optional(t, v) };
}

function optional(t: PyType, v: string): string {
  if (t.conv === asIs || t.ann.endsWith(' | None')) return t.conv(v);
  return `_opt(${t.fn ?? `lambda x: ${t.conv('x')}`}, ${v})`;
}

function pyDocstring(doc: string): string {
  return `"""${doc.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"')}"""`;
}

/** Former names of fields: plans may still carry them, and plan.py maps them to the current name. */
function synonyms(spec: BlockSpec): Set<string> {
  return new Set(spec.fields.flatMap((f) => [...(f.synonyms ?? [])]));
}

const HEADER = `"""The plan as typed objects — GENERATED from the language schema by server/src/core/schema/planTypes.ts
(through plan.schema.json); do not edit. Regenerate with \`npx tsx server/src/core/schema/planTypes.ts\`.

Each class mirrors one object of plan.schema.json. They carry no defaults: plan.py fills absent fields from the
schema before \`from_json\`, so every field that has a default (or is required) is present, and a field without
one is None when absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")


def _opt(conv: Callable[[Any], _T], value: Any) -> _T | None:
    return None if value is None else conv(value)


@dataclass
class Ref:
    """A resolved reference: a model of \`models\` or an earlier stage."""

    kind: Literal["model", "stage"]
    name: str`;

export function renderPlanTypesText(): string {
  const schema = renderPlanSchema();
  const defs = schema.$defs as Record<string, Schema>;
  const props = schema.properties as Record<string, Schema>;
  const e = new Emitter();
  e.objectClass('Settings', props.settings, 'The `settings` of the pipeline block.');
  e.objectClass('ModelSpec', defs.model, modelSpec.doc, { skip: synonyms(modelSpec) });
  e.objectClass('DatasetSpec', defs.dataset, datasetSpec.doc, { skip: synonyms(datasetSpec) });
  e.objectClass('EvalSpec', defs.eval, evalSpec.doc, { skip: synonyms(evalSpec) });
  const configs = stageKinds.map((k) => {
    const config = (defs[`stage_${k.stageKind}`].properties as Record<string, Schema>).config;
    return e.objectClass(`${k.stageKind[0].toUpperCase()}${k.stageKind.slice(1)}Config`, config, k.doc, {
      skip: synonyms(k),
    });
  });
  e.code('StageConfig', `StageConfig = ${configs.join(' | ')}\n"""The config of a stage of any kind."""`);
  // The stage around its config is the same for every kind; the config's class follows `kind`.
  const stage = defs[`stage_${stageKinds[0].stageKind}`];
  const { config: _config, ...around } = stage.properties as Record<string, Schema>;
  void _config;
  const byKind = stageKinds.map((k, i) => `"${k.stageKind}": ${configs[i]}`).join(', ');
  e.objectClass(
    'Stage',
    { ...stage, properties: around },
    'A stage of the pipeline: its config and what surrounds it.',
    {
      replace: { kind: { enum: stageKinds.map((k) => k.stageKind) } },
      fields: [
        '    config: StageConfig',
        '    # Resolved by plan.py from `init` and the teacher of the config (KD, or the `kd` block of RL).',
        '    init_ref: Ref = field(init=False)',
        '    teacher_ref: Ref | None = field(init=False, default=None)',
      ],
      args: [`config={${byKind}}[d["kind"]].from_json(d["config"])`],
    },
  );
  const body = e.text();
  return `${HEADER}\n\n\n${body}\n`;
}

if (require.main === module)
  writeOrCheckGenerated(PLAN_TYPES_PATH, renderPlanTypesText(), 'npx tsx server/src/core/schema/planTypes.ts');

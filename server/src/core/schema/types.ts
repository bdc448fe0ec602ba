// The shapes the schema is written in. One declaration per block kind, stage kind and field; validation,
// completion, hover, docs/fields.md, defaults for the plan compiler and the engine's config all read it.

export type SymbolKind = 'model' | 'dataset' | 'stage' | 'eval';

export type FieldType =
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean }
  | { kind: 'bool' }
  /**
   * Free text; `column` marks names of dataset columns (checked against sampled rows), `modelSource` a hub id
   * or model folder, `datasetSource` a hub dataset id or a data file or folder; `bare` also accepts a bare
   * name for the string (`split = train`, as when the field was an enum); `suggest` lists common values that
   * completion offers (any other text is valid too); `template` a chat template:
   * inline Jinja text, or a `.jinja` file relative to the .srlm file that the plan compiler reads in.
   */
  | {
      kind: 'string';
      column?: boolean;
      modelSource?: boolean;
      datasetSource?: boolean;
      bare?: boolean;
      suggest?: readonly string[];
      template?: boolean;
    }
  /** A file or folder path, relative to the folder of the .srlm file. */
  | { kind: 'path'; expects?: 'file' | 'directory' }
  | { kind: 'enum'; values: readonly string[] }
  /**
   * A bare name of a block defined in the pipeline; `weighted` also accepts a weighted sum of names
   * (`0.7 * cot + 0.3 * r1`), whose plan form is `[{dataset, weight}]` with weights summing to 1.
   */
  | { kind: 'ref'; targets: readonly SymbolKind[]; weighted?: boolean }
  | { kind: 'refList'; targets: readonly SymbolKind[] }
  /** A list of names or strings: any (LoRA target modules, with `suggestions` for completion) or, with `values`,
   * only those (metric back-ends); `empty` when `[]` is a meaningful value (no tags). */
  | { kind: 'nameList'; values?: readonly string[]; suggestions?: readonly string[]; empty?: boolean }
  /** `forward_kl`, `reverse_kl`, `jsd` or `jsd(beta = B)`. */
  | { kind: 'kdLoss' }
  /** A weighted sum of reward functions: `accuracy + 0.2 * format`. */
  | { kind: 'reward' }
  /** A list of eval metrics: `accuracy`, `avg@K` (alias `mean@K`), `pass@K`, `maj@K`. */
  | { kind: 'metrics' };

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly doc: string;
  /** Plan value when the field is absent; undefined means "none" (omitted / null in the plan). */
  readonly default?: JsonValue;
  /** How the default reads in docs when it is not a plain value (e.g. "prompts_per_step × group"). */
  readonly defaultText?: string;
  /** Defaults that depend on sibling fields (resolved plan values of the same block). */
  readonly derive?: (resolved: Readonly<Record<string, JsonValue>>) => JsonValue | undefined;
  readonly unit?: string;
  readonly required?: boolean;
  /** Former or foreign names (HF/TRL spellings) accepted with a warning and a rename fix. */
  readonly aliases?: readonly string[];
  /** Former names that stay valid without a warning (`path` for a dataset's `source`: old files keep working). */
  readonly synonyms?: readonly string[];
  /** How the value is written in plan.json when that differs from the `.srlm` text (docs/plan.md shows it). */
  readonly planForm?: string;
}

export interface BlockSpec {
  /** The block keyword (`model`) or, for stages, `stage`. */
  readonly kind: string;
  readonly doc: string;
  /** Label names in order, e.g. ['name'] or ['kind', 'name']; empty for nested blocks like `lora`. */
  readonly labels: readonly string[];
  readonly fields: readonly FieldSpec[];
  /** Nested block kinds allowed inside (each at most once). */
  readonly blocks: readonly string[];
  /** Fields of which exactly one must be given (checked by the checker, and a `oneOf` in the plan schema). */
  readonly exactlyOne?: readonly string[];
  /** Required nested-field groups that are checked separately, documented here for docs/fields.md. */
  readonly notes?: readonly string[];
}

export interface StageKindSpec extends BlockSpec {
  readonly stageKind: 'sft' | 'kd' | 'rl';
}

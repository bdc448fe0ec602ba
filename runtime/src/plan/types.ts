// The compiled plan handed to the engine (docs/plan.md, runtime/python/srlm_engine/plan.schema.json, generated). Configs stay loosely typed
// here: their fields come from the language schema, and the supervisor only reads the few named below.

export const PLAN_SCHEMA_VERSION = 1;

/** The engine release plans are compiled for (and hashed with); engines with the same major.minor are accepted. */
export const EXPECTED_ENGINE_VERSION = '0.1.0';

/**
 * Bumped whenever the engine computes something different for the same plan without a new engine version: how
 * stages seed their random streams, the rows a built-in task generates. Part of every stage hash, so the stage
 * cache never hands back a checkpoint the current engine would not have trained.
 * 2: each stage seeded from the pipeline seed and its name; random inits on their own stream.
 */
export const ENGINE_RESULTS_REVISION = 2;

export interface SourcePosition {
  readonly line: number;
  readonly character: number;
}

export interface PlanStage {
  readonly name: string;
  readonly kind: 'sft' | 'kd' | 'rl';
  /** Content hash: resolved config, parent hash, dataset hashes, model identities, engine version. */
  readonly hash: string;
  readonly parent: string | null;
  readonly init: { readonly model: string } | { readonly stage: string };
  readonly config: Readonly<Record<string, unknown>>;
  readonly evals: readonly string[];
  readonly source_range?: { readonly start: SourcePosition; readonly end: SourcePosition };
  /** Set by the stage cache: absolute path of a finished checkpoint that replaces training this stage. */
  readonly reuse?: string | null;
}

export interface Plan {
  readonly schema_version: number;
  readonly pipeline: string;
  readonly source?: { readonly file: string; readonly sha256: string | null };
  readonly engine_version?: string;
  readonly settings?: Readonly<Record<string, unknown>> & { readonly output?: string };
  readonly models: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly datasets: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly stages: readonly PlanStage[];
  readonly evals?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

// The typed event stream of a run: one JSON object per line of `events.jsonl`, appended by the Python engine.
// These types mirror runtime/events.schema.json (the engine validates its own output against that file; a test
// compares the two). Only the fields every consumer needs are required here; engines may add more, and
// `parseEvent` keeps them, so a newer engine never breaks an older dashboard.

export const EVENTS_SCHEMA_VERSION = 1;

/** How a run or a stage ended. `cached` is a stage whose checkpoint was reused from an earlier run. */
export type RunStatus = 'completed' | 'failed' | 'stopped';
export type StageStatus = RunStatus | 'cached';

export interface EventBase {
  /** Schema version of this event. */
  readonly v: number;
  readonly type: string;
  /** Wall-clock time in seconds since the Unix epoch; read it through `eventTimeMs`. */
  readonly time: number;
  readonly run_id: string;
  /** Null for run-level events and for evals of an init model (`when: before`). */
  readonly stage?: string | null;
  /** Optimizer step inside the stage, where the event belongs to one. */
  readonly step?: number;
  /**
   * Who wrote the line; absent means the engine. The supervisor writes `origin: "supervisor"` events, e.g. the
   * run_finished of an engine that died without writing its own.
   */
  readonly origin?: string;
}

export interface RunStartedEvent extends EventBase {
  readonly type: 'run_started';
  readonly pipeline?: string;
  readonly engine_version?: string;
  /** Stage names in order, as the engine will run them. */
  readonly stages?: readonly string[];
  readonly plan_sha256?: string;
  readonly device?: string;
  readonly world_size?: number;
  /** Threads of a CPU run's forward passes (the pipeline's `cpu_threads`); null on a GPU. */
  readonly cpu_threads?: number | null;
  /** Threads of a CPU run's backward passes and optimizer steps (SRLM_NUM_THREADS, else half the cores). */
  readonly gradient_threads?: number | null;
  /** True when the engine continues an earlier attempt of this run (`--resume`). */
  readonly resume?: boolean;
  readonly from_stage?: string | null;
  readonly pid?: number;
}

export interface RunFinishedEvent extends EventBase {
  readonly type: 'run_finished';
  readonly status: RunStatus;
  readonly duration_s?: number;
  readonly message?: string | null;
  /** Supervisor-written only: the attempt (1 + resumes) this event ends, for an engine that died or was killed. */
  readonly attempt?: number;
}

export interface StageStartedEvent extends EventBase {
  readonly type: 'stage_started';
  readonly stage: string;
  readonly kind?: 'sft' | 'kd' | 'rl';
  /** Total optimizer steps the stage will run. */
  readonly total_steps?: number;
  /** What initialises the stage (model name, stage name or checkpoint path). */
  readonly init?: string;
  /** Step of the checkpoint this attempt continues from (after a resume). */
  readonly resumed_from_step?: number;
  readonly hash?: string | null;
}

export interface StageFinishedEvent extends EventBase {
  readonly type: 'stage_finished';
  readonly stage: string;
  readonly status: RunStatus;
  /** The stage's result was reused from the stage cache (`reuse` in the plan) instead of trained. */
  readonly cached: boolean;
  /** Final checkpoint folder of the stage. */
  readonly checkpoint?: string | null;
  readonly duration_s?: number;
  readonly metrics?: Readonly<Record<string, number | null>>;
}

export interface MetricsEvent extends EventBase {
  readonly type: 'metrics';
  readonly stage: string;
  readonly step: number;
  readonly total_steps?: number;
  readonly epoch?: number;
  readonly metrics: Readonly<Record<string, number | null>>;
}

export interface EvalEvent extends EventBase {
  readonly type: 'eval';
  /** Name of the eval block. */
  readonly eval: string;
  /** `before`: the init model, before the stage trains; `during`: every N steps; `after`: at stage end. */
  readonly when: 'before' | 'during' | 'after';
  /** Examples evaluated. */
  readonly n: number;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly duration_s?: number;
  /** How the sampled metrics (avg@K, pass@K, maj@K) were drawn; absent when the eval has none. */
  readonly sampling?: { readonly temperature: number; readonly top_p: number; readonly samples_per_prompt: number };
}

export interface Sample {
  readonly prompt: string;
  readonly completion: string;
  readonly answer?: string | null;
  readonly reward?: number | null;
  /** Per reward function, before weighting. */
  readonly rewards?: Readonly<Record<string, number | null>>;
  readonly correct?: boolean | null;
  readonly truncated?: boolean;
  readonly length?: number;
}

export interface SamplesEvent extends EventBase {
  readonly type: 'samples';
  readonly source: 'eval' | 'rl' | 'kd';
  /** Eval block name for eval samples. */
  readonly eval?: string | null;
  readonly samples: readonly Sample[];
}

export interface CheckpointEvent extends EventBase {
  readonly type: 'checkpoint';
  readonly path: string;
  readonly step: number;
  /** True for the checkpoint written at the end of a stage. */
  readonly final: boolean;
  readonly metrics?: Readonly<Record<string, number | null>>;
  /** Folder of the checkpoint's ONNX export (stage field `export_onnx`), absent or null when none was made. */
  readonly onnx?: string | null;
}

export interface LogEvent extends EventBase {
  readonly type: 'log';
  readonly message: string;
  readonly level: 'debug' | 'info';
}

export interface WarningEvent extends EventBase {
  readonly type: 'warning';
  readonly message: string;
  readonly code?: string | null;
  /** What the user can do about it (e.g. for `no_learning_signal`). */
  readonly hint?: string;
}

export interface ErrorEvent extends EventBase {
  readonly type: 'error';
  readonly message: string;
  readonly traceback?: string | null;
  readonly code?: string | null;
  readonly context?: Readonly<Record<string, unknown>>;
  /** Supervisor-written only (`code: "engine_died"`): the attempt whose engine died. */
  readonly attempt?: number;
}

export type RunEvent =
  | RunStartedEvent
  | RunFinishedEvent
  | StageStartedEvent
  | StageFinishedEvent
  | MetricsEvent
  | EvalEvent
  | SamplesEvent
  | CheckpointEvent
  | LogEvent
  | WarningEvent
  | ErrorEvent;

export type EventType = RunEvent['type'];

/**
 * Fields each event type must carry beyond the common ones, checked by `parseEvent`: the ones a reader cannot do
 * without. A subset of the schema's `required` lists (a test holds them to that), so the hot path stays cheap.
 */
export const EVENT_REQUIRED_FIELDS: Readonly<Record<EventType, readonly [string, 'string' | 'number' | 'object'][]>> = {
  run_started: [],
  run_finished: [['status', 'string']],
  stage_started: [['stage', 'string']],
  stage_finished: [['stage', 'string']],
  metrics: [
    ['stage', 'string'],
    ['step', 'number'],
    ['metrics', 'object'],
  ],
  eval: [['metrics', 'object']],
  samples: [['samples', 'object']],
  checkpoint: [['path', 'string']],
  log: [['message', 'string']],
  warning: [['message', 'string']],
  error: [['message', 'string']],
};

export function isKnownEventType(t: string): t is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_REQUIRED_FIELDS, t);
}

/** Why a line was not accepted as an event. */
export class EventParseError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Checks one decoded JSON value against the event shape. Unknown event types are returned as-is (typed as the
 * base) so newer engines stay readable; a known type missing a required field is an error naming the field.
 */
export function parseEvent(value: unknown): RunEvent | (EventBase & { type: string }) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EventParseError('event is not a JSON object');
  }
  const o = value as Record<string, unknown>;
  if (typeof o.type !== 'string') throw new EventParseError("missing string field 'type'", 'type');
  if (typeof o.v !== 'number') throw new EventParseError("missing number field 'v'", 'v');
  if (o.v > EVENTS_SCHEMA_VERSION) {
    throw new EventParseError(`event schema version ${o.v} is newer than this reader (${EVENTS_SCHEMA_VERSION})`, 'v');
  }
  if (!isKnownEventType(o.type)) return o as unknown as EventBase & { type: string };
  for (const [field, kind] of EVENT_REQUIRED_FIELDS[o.type]) {
    const actual = o[field];
    if (actual === undefined || actual === null || typeof actual !== kind) {
      throw new EventParseError(`${o.type} event: field '${field}' must be a ${kind}`, field);
    }
  }
  return o as unknown as RunEvent;
}

/** Event time in epoch milliseconds, or NaN when the field is unreadable. */
export function eventTimeMs(e: Pick<EventBase, 'time'>): number {
  // Strings are tolerated for hand-written fixtures; the schema says epoch seconds.
  const t: unknown = e.time;
  if (typeof t === 'number') return t * 1000;
  if (typeof t === 'string') return Date.parse(t);
  return NaN;
}

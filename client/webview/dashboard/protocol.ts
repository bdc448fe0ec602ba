// Messages between the dashboard host (client/src/dashboard) and the dashboard webview. Metrics travel as
// columns of typed arrays, never as one object per point, so a million-point replay is three array copies.

import type { EvalSampling } from '../../../runtime/src/events/evalMetrics';

export type StageKind = 'sft' | 'kd' | 'rl' | 'eval' | string;
export type Status = 'pending' | 'running' | 'completed' | 'failed' | 'stopped' | 'cached' | string;

export interface StageInfo {
  name: string;
  kind: StageKind;
  status: Status;
  step: number;
  totalSteps?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Seconds left, from the engine's own estimate or the step rate so far. */
  etaSeconds?: number;
}

export interface MetricChunk {
  stage: string;
  name: string;
  step: Float64Array;
  /** Seconds since the run started. */
  time: Float64Array;
  value: Float64Array;
}

export interface SampleRow {
  stage: string;
  step: number;
  prompt: string;
  completion: string;
  rewards: Record<string, number>;
}

export interface EvalRow {
  stage: string;
  step: number;
  /** Seconds since the run started. */
  time: number;
  name?: string;
  metrics: Record<string, number>;
  /** How the sampled metrics (avg@K, pass@K, maj@K) were drawn. */
  sampling?: EvalSampling;
}

/** A warning the engine raised (`warning` events), shown above the charts. */
export interface WarningRow {
  stage?: string;
  step?: number;
  code?: string;
  message: string;
  /** What the user can do about it. */
  hint?: string;
}

export interface RunHeader {
  id: string;
  pipeline: string;
  status: Status;
  startedAt?: number;
  finishedAt?: number;
  sourceFile?: string;
  /** The run folder, persisted so the serializer can reopen the run after a reload. */
  dir?: string;
}

export interface RunDelta {
  run?: RunHeader;
  stages?: StageInfo[];
  metrics?: MetricChunk[];
  samples?: SampleRow[];
  evals?: EvalRow[];
  warnings?: WarningRow[];
  logs?: string[];
}

export type HostMessage =
  | { type: 'reset'; delta: RunDelta }
  | { type: 'delta'; delta: RunDelta }
  | { type: 'overlay'; delta: RunDelta | null }
  | { type: 'settings'; refreshHz: number };

export type WebviewMessage =
  { type: 'ready' } | { type: 'revealStage'; stage: string } | { type: 'pickOverlay' } | { type: 'clearOverlay' };

/** What the webview persists with setState, so the serializer can reopen the same run after a reload. */
export interface DashboardState {
  runId: string;
  runDir?: string;
  xAxis?: 'step' | 'time';
  logScale?: boolean;
  smoothing?: number;
}

/** Which metric charts matter for each stage kind, in display order (names as in docs/events.md); the rest
 * follow alphabetically. Eval charts (eval/<block>: its scores; eval/<block>/<metric>: the rest) come first: they are the outcome. */
export const METRIC_GROUPS: Record<string, readonly string[]> = {
  sft: ['loss', 'ce', 'lr', 'grad_norm', 'tokens_per_s', 'time_s', 'gpu_mem_gb'],
  kd: ['loss', 'kd', 'ce', 'on_policy', 'lr', 'grad_norm', 'tokens_per_s', 'time_s', 'gpu_mem_gb'],
  rl: [
    'reward',
    'reward_std',
    'frac_zero_std_groups',
    'resample_draws',
    'kl',
    'entropy',
    'completion_len',
    'truncation_rate',
    'clip_ratio',
    'kd',
    'loss',
    'lr',
    'grad_norm',
    'tokens_per_s',
    'time_s',
    'gpu_mem_gb',
  ],
};

/** Metrics that share a chart although their names do not share a `family/` prefix. */
export const FAMILY_PREFIXES: readonly [RegExp, string][] = [
  [/^clip_(ratio(_|$)|fraction$)/, 'clip_ratio'],
  [/^completion_len(_|$)/, 'completion_len'],
  [/^[a-z]+_time_s$/, 'time_s'],
];

/** Progress counters, not signals: no chart. */
export const HIDDEN_METRICS = new Set(['epoch']);

// Messages between the dashboard host (client/src/dashboard) and the dashboard webview. Metrics travel as
// columns of typed arrays, never as one object per point, so a million-point replay is three array copies.

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

/** Which metrics are worth a chart for each stage kind, in display order; others go to "other". */
export const METRIC_GROUPS: Record<string, readonly string[]> = {
  sft: ['loss', 'lr', 'grad_norm', 'tokens_per_s', 'step_time', 'gpu_mem'],
  kd: ['loss', 'kd_loss', 'ce_loss', 'lr', 'grad_norm', 'tokens_per_s'],
  rl: [
    'reward',
    'reward_std',
    'zero_std_frac',
    'kl',
    'entropy',
    'completion_len',
    'completion_len_max',
    'truncated_frac',
    'clip_ratio',
    'loss',
    'lr',
  ],
  eval: ['accuracy', 'pass@k', 'maj@k'],
};

// The state of one run, rebuilt from its event stream: run → stages → metric series, evals, samples,
// checkpoints, plus status, progress and ETA. Everything the CLI progress line, `srlm show`, the tree views and
// the dashboard display comes from here. Memory is bounded by this model's budgets (points per series, samples
// and log lines kept), not by the length of the events file.
import { MetricSeries, DEFAULT_MAX_POINTS } from './series';
import { eventTimeMs, type RunStatus, type Sample, type StageStatus } from './types';
import type { AnyEvent } from './lines';
import { parseSampling, type EvalSampling } from './evalMetrics';

export type RunPhase = 'pending' | 'running' | RunStatus;
export type StagePhase = 'pending' | 'running' | StageStatus;

export interface StateBudget {
  /** Points kept per metric series before pairwise decimation (default 16384). */
  maxPointsPerSeries: number;
  /** Sample batches kept per stage (newest win; default 20). */
  maxSampleBatches: number;
  /** Log lines, warnings and errors kept per run (newest win; default 200 each). */
  maxMessages: number;
  /** Eval results kept per stage (default 1000). */
  maxEvals: number;
}

const DEFAULT_BUDGET: StateBudget = {
  maxPointsPerSeries: DEFAULT_MAX_POINTS,
  maxSampleBatches: 20,
  maxMessages: 200,
  maxEvals: 1000,
};

export interface EvalRecord {
  /** Eval block name. */
  readonly name: string | undefined;
  readonly when: 'before' | 'during' | 'after' | undefined;
  readonly step: number | undefined;
  /** Examples evaluated. */
  readonly n: number | undefined;
  readonly timeMs: number;
  readonly metrics: Readonly<Record<string, number | null>>;
  /** How the sampled metrics (avg@K, pass@K, maj@K) were drawn; absent when the eval has none. */
  readonly sampling?: EvalSampling;
}

export interface SampleBatch {
  readonly source: string | undefined;
  /** Eval block name for eval samples. */
  readonly eval: string | undefined;
  readonly step: number | undefined;
  readonly samples: readonly Sample[];
}

export interface CheckpointRecord {
  readonly path: string;
  readonly step: number | undefined;
  readonly final: boolean;
  readonly timeMs: number;
}

export interface Message {
  readonly kind: 'log' | 'warning' | 'error';
  readonly stage: string | undefined;
  readonly message: string;
  readonly traceback?: string;
  /** The event's `code` (e.g. `no_learning_signal`) and, for warnings, what the user can do (`hint`). */
  readonly code?: string;
  readonly hint?: string;
  readonly timeMs: number;
  /** 'supervisor' when written by the supervisor rather than the engine. */
  readonly origin?: string;
}

/** Keeps the newest `max` items; old items are dropped from the front in amortised O(1). */
export class Ring<T> {
  private items: T[] = [];
  constructor(readonly max: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.max * 2) this.items = this.items.slice(-this.max);
  }
  toArray(): readonly T[] {
    return this.items.length > this.max ? this.items.slice(-this.max) : this.items;
  }
  get length(): number {
    return Math.min(this.items.length, this.max);
  }
  last(): T | undefined {
    return this.items[this.items.length - 1];
  }
}

export class StageState {
  kind: string | undefined;
  hash: string | undefined;
  status: StagePhase = 'pending';
  cached = false;
  totalSteps: number | undefined;
  /** Last optimizer step seen (from metrics, evals or checkpoints). */
  step = 0;
  startedMs: number | undefined;
  finishedMs: number | undefined;
  finalCheckpoint: string | undefined;
  readonly metrics = new Map<string, MetricSeries>();
  readonly evals: EvalRecord[] = [];
  readonly samples: Ring<SampleBatch>;
  readonly checkpoints: CheckpointRecord[] = [];
  /** Start of the current attempt's rate window: (time, step). Reset on each (re)start. */
  private rateT0 = NaN;
  private rateS0 = 0;
  private rateT1 = NaN;
  private rateS1 = 0;

  constructor(
    readonly name: string,
    private readonly budget: StateBudget,
  ) {
    this.samples = new Ring<SampleBatch>(budget.maxSampleBatches);
  }

  series(metric: string): MetricSeries {
    let s = this.metrics.get(metric);
    if (!s) {
      s = new MetricSeries(this.budget.maxPointsPerSeries);
      this.metrics.set(metric, s);
    }
    return s;
  }

  /** Latest value of a metric, or undefined. */
  latest(metric: string): number | undefined {
    const s = this.metrics.get(metric);
    return s && s.count > 0 ? s.lastValue : undefined;
  }

  /** Steps per second over the current attempt, or undefined before two distinct steps were seen. */
  get stepsPerSecond(): number | undefined {
    const dt = (this.rateT1 - this.rateT0) / 1000;
    const ds = this.rateS1 - this.rateS0;
    return dt > 0 && ds > 0 ? ds / dt : undefined;
  }

  /** Fraction done in 0..1, or undefined when the total is unknown. */
  get fraction(): number | undefined {
    if (this.status === 'completed' || this.status === 'cached') return 1;
    if (!this.totalSteps) return undefined;
    return Math.min(1, this.step / this.totalSteps);
  }

  /** Seconds left in this stage at the current rate, measured from the last event. */
  get etaSeconds(): number | undefined {
    if (this.status !== 'running' || !this.totalSteps) return undefined;
    const rate = this.stepsPerSecond;
    return rate ? Math.max(0, this.totalSteps - this.step) / rate : undefined;
  }

  /** Latest eval metrics of this stage. */
  get lastEval(): EvalRecord | undefined {
    return this.evals[this.evals.length - 1];
  }

  /** The latest result of each eval block on this stage (a validation and a test eval, say), in the order the
   * blocks first reported. */
  get latestEvals(): EvalRecord[] {
    return latestPerEval(this.evals);
  }

  /** @internal */
  noteStep(step: number, timeMs: number): void {
    if (!Number.isFinite(step)) return;
    if (step < this.step) {
      // A resumed attempt repeats steps after its last checkpoint.
      this.rateT0 = NaN;
    }
    this.step = step;
    if (!Number.isFinite(timeMs)) return;
    if (Number.isNaN(this.rateT0)) {
      this.rateT0 = timeMs;
      this.rateS0 = step;
    }
    this.rateT1 = timeMs;
    this.rateS1 = step;
  }

  /** @internal */
  restartRate(): void {
    this.rateT0 = NaN;
    this.rateT1 = NaN;
  }

  /** @internal */
  pushEval(r: EvalRecord): void {
    this.evals.push(r);
    if (this.evals.length > this.budget.maxEvals) this.evals.splice(0, this.evals.length - this.budget.maxEvals);
  }
}

/** The last record of each eval name, in the order the names first appear. */
export function latestPerEval(records: readonly EvalRecord[]): EvalRecord[] {
  const byName = new Map<string | undefined, EvalRecord>();
  for (const r of records) byName.set(r.name, r); // a Map keeps a key's first position when it is set again
  return [...byName.values()];
}

export class RunState {
  runId: string | undefined;
  pipeline: string | undefined;
  engineVersion: string | undefined;
  status: RunPhase = 'pending';
  /** Message of run_finished (e.g. why it failed). */
  finishMessage: string | undefined;
  startedMs: number | undefined;
  finishedMs: number | undefined;
  /** Last event time seen. */
  lastEventMs: number | undefined;
  /** Number of engine attempts (1 + resumes). */
  attempts = 0;
  readonly stages: StageState[] = [];
  readonly logs: Ring<Message>;
  readonly warnings: Ring<Message>;
  readonly errors: Ring<Message>;
  /** Evals of init models before any stage trained them (events with no stage). */
  readonly baselineEvals: EvalRecord[] = [];
  /** Events applied; grows by one per event, so a UI can tell cheaply whether anything changed. */
  version = 0;
  private readonly byName = new Map<string, StageState>();
  private readonly budget: StateBudget;

  constructor(budget: Partial<StateBudget> = {}) {
    this.budget = { ...DEFAULT_BUDGET, ...budget };
    this.logs = new Ring(this.budget.maxMessages);
    this.warnings = new Ring(this.budget.maxMessages);
    this.errors = new Ring(this.budget.maxMessages);
  }

  /** Declares the stages in plan order before any event arrives (e.g. from plan.json), so pending ones show. */
  declareStages(stages: readonly { name: string; kind?: string; hash?: string }[]): void {
    for (const s of stages) {
      const st = this.stage(s.name);
      st.kind ??= s.kind;
      st.hash ??= s.hash;
    }
  }

  stage(name: string): StageState {
    let s = this.byName.get(name);
    if (!s) {
      s = new StageState(name, this.budget);
      this.byName.set(name, s);
      this.stages.push(s);
    }
    return s;
  }

  findStage(name: string): StageState | undefined {
    return this.byName.get(name);
  }

  /** The running stage, else the last one that started. */
  get currentStage(): StageState | undefined {
    let last: StageState | undefined;
    for (const s of this.stages) {
      if (s.status === 'running') return s;
      if (s.status !== 'pending') last = s;
    }
    return last;
  }

  /** Whole-run progress in 0..1: finished stages count 1, the running one its fraction. */
  get fraction(): number {
    if (this.stages.length === 0) return this.status === 'completed' ? 1 : 0;
    let done = 0;
    for (const s of this.stages) done += s.fraction ?? 0;
    return done / this.stages.length;
  }

  /** Best value of an eval metric over all stages (highest), for the run index. */
  bestEval(metric = 'accuracy'): number | undefined {
    let best: number | undefined;
    for (const s of this.stages) {
      for (const e of s.evals) {
        if (e.when === 'before') continue;
        const v = e.metrics[metric];
        if (typeof v === 'number' && (best === undefined || v > best)) best = v;
      }
    }
    return best;
  }

  apply(e: AnyEvent): void {
    this.version++;
    const t = eventTimeMs(e);
    if (Number.isFinite(t)) this.lastEventMs = t;
    this.runId ??= e.run_id;
    const ev = e as AnyEvent & Record<string, unknown>;
    switch (e.type) {
      case 'run_started': {
        this.attempts++;
        this.status = 'running';
        this.finishMessage = undefined;
        this.finishedMs = undefined;
        this.startedMs ??= t;
        if (typeof ev.pipeline === 'string') this.pipeline = ev.pipeline;
        if (typeof ev.engine_version === 'string') this.engineVersion = ev.engine_version;
        if (Array.isArray(ev.stages)) {
          for (const n of ev.stages) if (typeof n === 'string') this.stage(n);
        }
        for (const s of this.stages) s.restartRate();
        return;
      }
      case 'run_finished': {
        this.status = ev.status as RunStatus;
        // The supervisor's run_finished for an engine that died before its own run_started names the attempt.
        if (typeof ev.attempt === 'number') this.attempts = Math.max(this.attempts, ev.attempt);
        this.finishedMs = t;
        this.finishMessage = typeof ev.message === 'string' ? ev.message : undefined;
        // A stage still marked running ended with the run.
        for (const s of this.stages)
          if (s.status === 'running') s.status = this.status === 'completed' ? 'completed' : this.status;
        return;
      }
      case 'stage_started': {
        const s = this.stage(ev.stage as string);
        s.status = 'running';
        s.cached = false;
        if (typeof ev.kind === 'string') s.kind = ev.kind;
        if (typeof ev.hash === 'string') s.hash = ev.hash;
        if (typeof ev.total_steps === 'number') s.totalSteps = ev.total_steps;
        s.startedMs ??= t;
        s.finishedMs = undefined;
        s.restartRate();
        if (typeof ev.resumed_from_step === 'number') s.noteStep(ev.resumed_from_step, t);
        return;
      }
      case 'stage_finished': {
        const s = this.stage(ev.stage as string);
        const cached = ev.cached === true && ev.status !== 'failed';
        s.cached = cached;
        s.status = cached ? 'cached' : ((ev.status as StageStatus | undefined) ?? 'completed');
        s.finishedMs = t;
        if (typeof ev.checkpoint === 'string') s.finalCheckpoint = ev.checkpoint;
        if (s.status === 'completed' && s.totalSteps) s.step = Math.max(s.step, s.totalSteps);
        return;
      }
      case 'metrics': {
        const s = this.stage(ev.stage as string);
        const step = ev.step as number;
        const values = ev.metrics as Record<string, unknown>;
        for (const k in values) {
          const v = values[k];
          if (typeof v === 'number') s.series(k).push(step, v);
        }
        s.noteStep(step, t);
        if (typeof ev.total_steps === 'number') s.totalSteps = ev.total_steps;
        if (s.status === 'pending') s.status = 'running';
        return;
      }
      case 'eval': {
        const sampling = parseSampling(ev.sampling);
        const rec: EvalRecord = {
          name: typeof ev.eval === 'string' ? ev.eval : undefined,
          when: typeof ev.when === 'string' ? (ev.when as EvalRecord['when']) : undefined,
          step: typeof ev.step === 'number' ? ev.step : undefined,
          n: typeof ev.n === 'number' ? ev.n : undefined,
          timeMs: t,
          metrics: ev.metrics as Record<string, number | null>,
          ...(sampling ? { sampling } : {}),
        };
        // An eval with no stage measures an init model before any stage trains it: the run's baseline.
        if (typeof ev.stage === 'string') this.stage(ev.stage).pushEval(rec);
        else this.baselineEvals.push(rec);
        return;
      }
      case 'samples': {
        const name = typeof ev.stage === 'string' ? ev.stage : this.currentStage?.name;
        if (!name) return;
        this.stage(name).samples.push({
          source: typeof ev.source === 'string' ? ev.source : undefined,
          eval: typeof ev.eval === 'string' ? ev.eval : undefined,
          step: typeof ev.step === 'number' ? ev.step : undefined,
          samples: ev.samples as Sample[],
        });
        return;
      }
      case 'checkpoint': {
        const name = typeof ev.stage === 'string' ? ev.stage : this.currentStage?.name;
        if (!name) return;
        const s = this.stage(name);
        const rec: CheckpointRecord = {
          path: ev.path as string,
          step: typeof ev.step === 'number' ? ev.step : undefined,
          final: ev.final === true,
          timeMs: t,
        };
        const i = s.checkpoints.findIndex((c) => c.path === rec.path);
        if (i >= 0) s.checkpoints[i] = rec;
        else s.checkpoints.push(rec);
        if (rec.final) s.finalCheckpoint = rec.path;
        return;
      }
      case 'log':
      case 'warning':
      case 'error': {
        const m: Message = {
          kind: e.type,
          stage: typeof ev.stage === 'string' ? ev.stage : undefined,
          message: String(ev.message),
          traceback: typeof ev.traceback === 'string' ? ev.traceback : undefined,
          code: typeof ev.code === 'string' ? ev.code : undefined,
          hint: typeof ev.hint === 'string' ? ev.hint : undefined,
          timeMs: t,
          origin: typeof ev.origin === 'string' ? ev.origin : undefined,
        };
        (e.type === 'log' ? this.logs : e.type === 'warning' ? this.warnings : this.errors).push(m);
        return;
      }
      default:
        // Unknown event types from a newer engine are counted (version) but otherwise ignored.
        return;
    }
  }
}

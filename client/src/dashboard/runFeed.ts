// Follows one run folder's events.jsonl with the runtime's tailer and state model and turns it into dashboard
// deltas. Keeps the whole metric history host-side (columns, not objects), so a webview that was destroyed
// while hidden, or restored after a window reload, gets a complete replay from `snapshot()`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventTailer } from '../../../runtime/src/events/tail';
import { parseSampling } from '../../../runtime/src/events/evalMetrics';
import { RunState, type StageState } from '../../../runtime/src/events/state';
import type { AnyEvent } from '../../../runtime/src/events/lines';
import { SeriesBuffer } from '../../webview/dashboard/series';
import type {
  EvalRow,
  MetricChunk,
  RunDelta,
  RunHeader,
  SampleRow,
  StageInfo,
  WarningRow,
} from '../../webview/dashboard/protocol';

/** Sample rows kept host-side for a replay; the tables show the newest. */
const MAX_SAMPLES = 200;

interface Tracked {
  stage: string;
  name: string;
  buf: SeriesBuffer;
  /** How much of buf has been handed out as deltas. */
  sent: number;
}

export class RunFeed {
  state = new RunState();
  private series = new Map<string, Tracked>();
  private samples: SampleRow[] = [];
  private evals: EvalRow[] = [];
  private pendingSamples: SampleRow[] = [];
  private pendingEvals: EvalRow[] = [];
  private warnings: WarningRow[] = [];
  private pendingWarnings: WarningRow[] = [];
  private logs: string[] = [];
  private t0: number | undefined;
  private tailer: EventTailer | undefined;
  private scheduled = false;
  private emittedVersion = -1;
  private listeners = new Set<(delta: RunDelta, reset: boolean) => void>();
  private headerExtra: { sourceFile?: string } = {};

  constructor(
    readonly runId: string,
    readonly runDir: string,
  ) {
    const rec = readJson(path.join(runDir, 'run.json')) as { source?: string; pipeline?: string } | undefined;
    this.headerExtra.sourceFile = rec?.source;
    const plan = readJson(path.join(runDir, 'plan.json')) as
      { stages?: { name: string; kind?: string; hash?: string }[] } | undefined;
    if (plan?.stages) this.state.declareStages(plan.stages);
  }

  /** Subscribes to deltas; `reset` deltas replace everything the listener had. */
  onDelta(fn: (delta: RunDelta, reset: boolean) => void): { dispose(): void } {
    this.listeners.add(fn);
    return { dispose: () => this.listeners.delete(fn) };
  }

  /** Starts following the file (idempotent). */
  start(pollMs = 250): void {
    if (this.tailer) return;
    this.tailer = new EventTailer(path.join(this.runDir, 'events.jsonl'), {
      onEvent: (e) => this.apply(e),
      onReset: () => this.reset(),
      onWarning: (w) => this.logs.push(`events.jsonl:${w.line}: ${w.message}`),
      pollMs,
    });
    this.tailer.start();
  }

  /** Reads what is in the file now (for tests and one-shot loads). */
  async poll(): Promise<void> {
    if (!this.tailer) {
      this.tailer = new EventTailer(path.join(this.runDir, 'events.jsonl'), {
        onEvent: (e) => this.apply(e),
        onReset: () => this.reset(),
      });
    }
    await this.tailer.poll();
    this.emit();
  }

  async stop(): Promise<void> {
    await this.tailer?.stop();
    this.tailer = undefined;
  }

  private reset(): void {
    this.state = new RunState();
    this.series.clear();
    this.samples = [];
    this.evals = [];
    this.pendingSamples = [];
    this.pendingEvals = [];
    this.warnings = [];
    this.pendingWarnings = [];
    this.t0 = undefined;
    for (const l of this.listeners) l(this.snapshot(), true);
  }

  private rel(e: AnyEvent): number {
    const t = typeof e.time === 'number' ? e.time : NaN;
    this.t0 ??= Number.isFinite(t) ? t : undefined;
    return this.t0 === undefined ? NaN : t - this.t0;
  }

  private apply(e: AnyEvent): void {
    this.state.apply(e);
    const ev = e as AnyEvent & Record<string, unknown>;
    const time = this.rel(e);
    switch (e.type) {
      case 'metrics': {
        const stage = ev.stage as string;
        const step = ev.step as number;
        const values = ev.metrics as Record<string, unknown>;
        for (const name in values) {
          const v = values[name];
          const key = `${stage}\u0000${name}`;
          let tr = this.series.get(key);
          if (!tr) this.series.set(key, (tr = { stage, name, buf: new SeriesBuffer(256), sent: 0 }));
          const before = tr.buf.length;
          // null is how the engine writes a non-finite value: kept as a gap (NaN), not as zero.
          tr.buf.append([step], [time], [typeof v === 'number' ? v : NaN]);
          // A resumed stage re-emits steps: what was already sent past the rewind point is sent again.
          if (tr.buf.length <= before) tr.sent = Math.min(tr.sent, tr.buf.length - 1);
        }
        break;
      }
      case 'eval': {
        const metrics: Record<string, number> = {};
        for (const [k, v] of Object.entries((ev.metrics ?? {}) as Record<string, unknown>))
          if (typeof v === 'number') metrics[k] = v;
        const row: EvalRow = {
          stage: typeof ev.stage === 'string' ? ev.stage : 'baseline',
          step: typeof ev.step === 'number' ? ev.step : 0,
          time,
          name: typeof ev.eval === 'string' ? ev.eval : undefined,
          metrics,
        };
        const sampling = parseSampling(ev.sampling);
        if (sampling) row.sampling = sampling;
        this.evals.push(row);
        this.pendingEvals.push(row);
        break;
      }
      case 'warning': {
        const row: WarningRow = {
          stage: typeof ev.stage === 'string' ? ev.stage : undefined,
          step: typeof ev.step === 'number' ? ev.step : undefined,
          code: typeof ev.code === 'string' ? ev.code : undefined,
          message: String(ev.message ?? ''),
          hint: typeof ev.hint === 'string' ? ev.hint : undefined,
        };
        this.warnings.push(row);
        this.pendingWarnings.push(row);
        break;
      }
      case 'samples': {
        const stage = typeof ev.stage === 'string' ? ev.stage : (this.state.currentStage?.name ?? '');
        const source = typeof ev.source === 'string' ? ev.source : '';
        for (const s of (ev.samples ?? []) as Record<string, unknown>[]) {
          const rewards: Record<string, number> = {};
          const r = s.rewards as Record<string, unknown> | undefined;
          if (r) for (const [k, v] of Object.entries(r)) if (typeof v === 'number') rewards[k] = v;
          if (typeof s.reward === 'number') rewards.total = s.reward;
          if (typeof s.correct === 'boolean') rewards.correct = s.correct ? 1 : 0;
          const row: SampleRow = {
            stage: source && source !== 'rl' ? `${stage} (${source})` : stage,
            step: typeof ev.step === 'number' ? ev.step : 0,
            prompt: String(s.prompt ?? ''),
            completion: shownCompletion(String(s.completion ?? ''), s.truncated === true),
            rewards,
          };
          this.samples.push(row);
          this.pendingSamples.push(row);
        }
        if (this.samples.length > MAX_SAMPLES * 2) this.samples = this.samples.slice(-MAX_SAMPLES);
        if (this.pendingSamples.length > MAX_SAMPLES) this.pendingSamples = this.pendingSamples.slice(-MAX_SAMPLES);
        break;
      }
    }
    this.scheduleEmit();
  }

  private scheduleEmit(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // One delta per read chunk rather than per event: the tailer delivers a chunk's events synchronously.
    setImmediate(() => this.emit());
  }

  private emit(): void {
    this.scheduled = false;
    if (this.listeners.size === 0 || this.state.version === this.emittedVersion) return;
    this.emittedVersion = this.state.version;
    const delta = this.takeDelta();
    for (const l of this.listeners) l(delta, false);
  }

  header(): RunHeader {
    const s = this.state;
    return {
      id: this.runId,
      pipeline: s.pipeline ?? this.runId,
      status: s.status,
      startedAt: s.startedMs !== undefined ? s.startedMs / 1000 : undefined,
      finishedAt: s.finishedMs !== undefined ? s.finishedMs / 1000 : undefined,
      sourceFile: this.headerExtra.sourceFile,
      dir: this.runDir,
    };
  }

  stages(): StageInfo[] {
    return this.state.stages.map(stageInfo);
  }

  /** Everything new since the last delta. */
  takeDelta(): RunDelta {
    const metrics: MetricChunk[] = [];
    for (const tr of this.series.values()) {
      if (tr.sent >= tr.buf.length) continue;
      const v = tr.buf.view();
      metrics.push({
        stage: tr.stage,
        name: tr.name,
        step: v.step.slice(tr.sent),
        time: v.time.slice(tr.sent),
        value: v.value.slice(tr.sent),
      });
      tr.sent = tr.buf.length;
    }
    const d: RunDelta = { run: this.header(), stages: this.stages() };
    if (metrics.length) d.metrics = metrics;
    if (this.pendingSamples.length) d.samples = this.pendingSamples;
    if (this.pendingEvals.length) d.evals = this.pendingEvals;
    if (this.pendingWarnings.length) d.warnings = this.pendingWarnings;
    this.pendingSamples = [];
    this.pendingEvals = [];
    this.pendingWarnings = [];
    return d;
  }

  /** The whole history, for a fresh or restored webview. Marks everything as sent. */
  snapshot(): RunDelta {
    const metrics: MetricChunk[] = [];
    for (const tr of this.series.values()) {
      const v = tr.buf.view();
      metrics.push({
        stage: tr.stage,
        name: tr.name,
        step: v.step.slice(),
        time: v.time.slice(),
        value: v.value.slice(),
      });
      tr.sent = tr.buf.length;
    }
    this.pendingSamples = [];
    this.pendingEvals = [];
    this.pendingWarnings = [];
    return {
      run: this.header(),
      stages: this.stages(),
      metrics,
      samples: this.samples.slice(-MAX_SAMPLES),
      evals: [...this.evals],
      warnings: [...this.warnings],
    };
  }

  pointCount(): number {
    let n = 0;
    for (const tr of this.series.values()) n += tr.buf.length;
    return n;
  }
}

export function stageInfo(s: StageState): StageInfo {
  return {
    name: s.name,
    kind: s.kind ?? '',
    status: s.status,
    step: s.step,
    totalSteps: s.totalSteps,
    startedAt: s.startedMs !== undefined ? s.startedMs / 1000 : undefined,
    finishedAt: s.finishedMs !== undefined ? s.finishedMs / 1000 : undefined,
    etaSeconds: s.etaSeconds,
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A completion as the sample table shows it. The engine decodes each completion whole, so characters made of
 * several byte-level tokens are intact; only a completion cut by `max_new_tokens` inside a character ends in
 * U+FFFD (bytes that are no character yet), which is dropped rather than shown as a replacement character.
 */
export function shownCompletion(text: string, truncated: boolean): string {
  return truncated ? text.replace(/\uFFFD+$/, '') : text;
}

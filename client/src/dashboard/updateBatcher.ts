// Coalesces run updates for one dashboard panel: at most `hz` posts a second, and nothing is posted while the
// panel is hidden (VS Code drops messages to a hidden webview that has no retainContextWhenHidden); the
// pending delta is kept and merged, and goes out in one post when the panel becomes visible again.
import type { HostMessage, MetricChunk, RunDelta } from '../../webview/dashboard/protocol';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class UpdateBatcher {
  private pending: RunDelta | undefined;
  private pendingReset = false;
  private timer: unknown;
  private lastPost = -Infinity;
  private visible = true;
  private disposed = false;

  constructor(
    private readonly post: (msg: HostMessage) => void | Thenable<boolean>,
    private hz: number,
    private readonly clock: Clock = realClock,
  ) {}

  setRate(hz: number): void {
    this.hz = Math.min(10, Math.max(0.2, hz));
  }

  get rateHz(): number {
    return Math.min(10, Math.max(0.2, this.hz));
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.schedule();
  }

  /** A full replay replaces whatever was pending. */
  reset(delta: RunDelta): void {
    this.pending = delta;
    this.pendingReset = true;
    this.schedule();
  }

  push(delta: RunDelta): void {
    this.pending = this.pending ? mergeDelta(this.pending, delta) : delta;
    this.schedule();
  }

  hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Posts now if visible, regardless of the rate; used when a panel is first shown. */
  flush(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.visible || this.disposed || !this.pending) return;
    const delta = this.pending;
    const reset = this.pendingReset;
    this.pending = undefined;
    this.pendingReset = false;
    this.lastPost = this.clock.now();
    void this.post({ type: reset ? 'reset' : 'delta', delta });
  }

  private schedule(): void {
    if (!this.visible || this.disposed || !this.pending || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastPost + 1000 / this.rateHz - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

/** Later snapshots of run and stages win; metric columns of the same series are concatenated; rows append. */
export function mergeDelta(a: RunDelta, b: RunDelta): RunDelta {
  const out: RunDelta = { ...a };
  if (b.run) out.run = b.run;
  if (b.stages) {
    const byName = new Map((a.stages ?? []).map((s) => [s.name, s]));
    for (const s of b.stages) byName.set(s.name, s);
    out.stages = [...byName.values()];
  }
  if (b.metrics) out.metrics = mergeMetrics(a.metrics ?? [], b.metrics);
  if (b.samples) out.samples = [...(a.samples ?? []), ...b.samples];
  if (b.evals) out.evals = [...(a.evals ?? []), ...b.evals];
  if (b.warnings) out.warnings = [...(a.warnings ?? []), ...b.warnings];
  if (b.logs) out.logs = [...(a.logs ?? []), ...b.logs];
  return out;
}

function mergeMetrics(a: MetricChunk[], b: MetricChunk[]): MetricChunk[] {
  const byKey = new Map<string, MetricChunk>();
  for (const c of [...a, ...b]) {
    const key = `${c.stage}\u0000${c.name}`;
    const prev = byKey.get(key);
    byKey.set(key, prev ? concatChunk(prev, c) : c);
  }
  return [...byKey.values()];
}

function concatChunk(a: MetricChunk, b: MetricChunk): MetricChunk {
  const cat = (x: Float64Array, y: Float64Array): Float64Array => {
    const r = new Float64Array(x.length + y.length);
    r.set(x);
    r.set(y, x.length);
    return r;
  };
  return {
    stage: a.stage,
    name: a.name,
    step: cat(a.step, b.step),
    time: cat(a.time, b.time),
    value: cat(a.value, b.value),
  };
}

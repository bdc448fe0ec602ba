// Debounced, cancellable diagnostics. Each change restarts a per-document timer; when it fires, the text-only
// diagnostics are published at once and the slower file-system checks follow. A newer change, or closing the
// document, cancels an in-flight run before it can publish stale results.

const SLOW_GRACE_MS = 15;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface DiagnosticsRun<D> {
  /** Diagnostics decidable from the text alone (parse, bind, check). */
  fast(): D[];
  /** File-system checks; `isCancelled` lets them stop between file reads. */
  slow(isCancelled: () => boolean): Promise<D[]>;
}

export interface SchedulerOptions<D> {
  delayMs: number;
  /** A number that changes whenever the document's content does (the store's revision); undefined when closed. */
  version(uri: string): number | undefined;
  start(uri: string): DiagnosticsRun<D> | undefined;
  publish(uri: string, version: number | undefined, diagnostics: D[]): void;
  onError(uri: string, e: unknown): void;
}

export class DiagnosticsScheduler<D> {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Generation per document; a run compares its own generation before publishing. */
  private readonly generations = new Map<string, number>();
  /** Whether the last publication held file-check diagnostics (only then can they flicker). */
  private readonly hadSlow = new Map<string, boolean>();

  constructor(private readonly o: SchedulerOptions<D>) {}

  schedule(uri: string, delayMs = this.o.delayMs): void {
    this.cancel(uri);
    const gen = this.generations.get(uri) ?? 0;
    if (delayMs <= 0) {
      void this.run(uri, gen);
      return;
    }
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.run(uri, gen);
      }, delayMs),
    );
  }

  /** Stops the timer and invalidates any in-flight run for `uri`. */
  cancel(uri: string): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
    this.generations.set(uri, (this.generations.get(uri) ?? 0) + 1);
  }

  close(uri: string): void {
    this.cancel(uri);
    this.generations.delete(uri);
    this.hadSlow.delete(uri);
    this.o.publish(uri, undefined, []);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async run(uri: string, gen: number): Promise<void> {
    const current = (): boolean => this.generations.get(uri) === gen;
    const version = this.o.version(uri);
    if (version === undefined || !current()) return;
    const cancelled = (): boolean => !current() || this.o.version(uri) !== version;
    try {
      const run = this.o.start(uri);
      if (!run) return;
      const fast = run.fast();
      if (cancelled()) return;
      // File checks are usually answered from cache within a few milliseconds; waiting that long lets one
      // publication carry both and keeps file diagnostics from flickering off and on at each keystroke.
      // When the last publication had none, nothing can flicker and the text diagnostics go out at once.
      const slowPromise = run.slow(cancelled);
      const grace = this.hadSlow.get(uri) === true ? SLOW_GRACE_MS : 0;
      const early = grace > 0 ? await Promise.race([slowPromise, delay(grace).then(() => undefined)]) : undefined;
      if (cancelled()) return;
      if (early !== undefined) {
        this.hadSlow.set(uri, early.length > 0);
        this.o.publish(uri, version, [...fast, ...early]);
        return;
      }
      this.o.publish(uri, version, fast);
      const slow = await slowPromise;
      if (cancelled()) return;
      this.hadSlow.set(uri, slow.length > 0);
      if (slow.length === 0) return;
      this.o.publish(uri, version, [...fast, ...slow]);
    } catch (e) {
      this.o.onError(uri, e);
    }
  }
}

// Follows one run: tails its events into a RunState and watches the engine process. When the engine is gone
// without having written run_finished (killed, out of memory, a crash in native code), the watcher records the
// run as failed, with the tail of engine.log as the reason, so no run stays "running" forever.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventTailer } from '../events/tail';
import { RunState } from '../events/state';
import type { AnyEvent, LineWarning } from '../events/lines';
import { tailLines } from '../store/fileIo';
import { loadRunState } from '../store/runSummary';
import type { RunRecord, RunStore } from '../store/runStore';
import type { Plan } from '../plan/types';
import { isProcessAlive } from './process';
import type { EngineExit, LaunchedEngine } from './launch';
import { EVENTS_SCHEMA_VERSION, type RunStatus } from '../events/types';

export interface WatchOptions {
  onEvent?(e: AnyEvent, state: RunState): void;
  onWarning?(w: LineWarning): void;
  /** The state was rebuilt from scratch (the events file was rewritten by a resume). */
  onReset?(state: RunState): void;
  /** The engine this process launched, if any: its exit status makes the failure message precise. */
  engine?: LaunchedEngine;
  /** How often the engine's liveness is checked (default 500 ms). */
  livenessMs?: number;
  pollMs?: number;
  /** Lines of engine.log quoted when an engine dies (default 20). */
  logTailLines?: number;
}

export interface WatchResult {
  readonly status: RunStatus;
  readonly state: RunState;
  /** True when the engine died without finishing and the supervisor marked the run failed. */
  readonly died: boolean;
}

/** Describes how an engine exited, for messages. */
export function describeExit(exit: EngineExit | undefined): string {
  if (!exit) return 'the engine process is gone';
  if (exit.signal) return `the engine was killed by ${exit.signal}`;
  return `the engine exited with code ${exit.code}`;
}

/**
 * Appends an event written by the supervisor (not the engine). If the engine died mid-line, the partial line is
 * first terminated, so it is skipped as corrupt instead of swallowing this event.
 */
export function appendSupervisorEvent(file: string, event: Record<string, unknown>): void {
  let prefix = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size > 0) {
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, size - 1);
        if (b[0] !== 0x0a) prefix = '\n';
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // no events file yet
  }
  fs.appendFileSync(file, `${prefix}${JSON.stringify(event)}\n`);
}

export function supervisorEvent(runId: string, type: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { v: EVENTS_SCHEMA_VERSION, type, time: Date.now() / 1000, run_id: runId, origin: 'supervisor', ...fields };
}

export class RunWatcher {
  state = new RunState();
  readonly done: Promise<WatchResult>;
  private tailer: EventTailer;
  private liveness: NodeJS.Timeout | null = null;
  private resolve!: (r: WatchResult) => void;
  private finished = false;
  private exit: EngineExit | undefined;
  private checking = false;

  constructor(
    private readonly store: RunStore,
    readonly runId: string,
    private readonly opts: WatchOptions = {},
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    this.seedStages();
    this.tailer = new EventTailer(store.file(runId, 'events'), {
      pollMs: opts.pollMs ?? 200,
      onEvent: (e) => {
        this.state.apply(e);
        opts.onEvent?.(e, this.state);
      },
      onWarning: (w) => opts.onWarning?.(w),
      onReset: () => {
        this.state = new RunState();
        this.seedStages();
        opts.onReset?.(this.state);
      },
    });
    opts.engine?.exited.then((x) => {
      this.exit = x;
      void this.check();
    });
  }

  /** True once the run has ended and `done` has resolved. */
  get ended(): boolean {
    return this.finished;
  }

  start(): this {
    this.tailer.start();
    this.liveness = setInterval(() => void this.check(), this.opts.livenessMs ?? 500);
    return this;
  }

  /** Stops watching; the run itself is not affected. */
  async close(): Promise<void> {
    if (this.liveness) clearInterval(this.liveness);
    this.liveness = null;
    await this.tailer.stop();
  }

  private seedStages(): void {
    let plan: Plan | undefined;
    try {
      plan = this.store.readPlan(this.runId);
    } catch {
      plan = undefined; // damaged or forged: the events still name the stages
    }
    if (plan) this.state.declareStages(plan.stages.map((s) => ({ name: s.name, kind: s.kind, hash: s.hash })));
  }

  private engineAlive(): boolean {
    if (this.opts.engine) return this.exit === undefined;
    let rec;
    try {
      rec = this.store.read(this.runId);
    } catch {
      return false;
    }
    if (rec.pid === undefined) return rec.status === 'starting';
    return isProcessAlive(rec.pid, rec.pidStart);
  }

  /**
   * Reads what is new and checks the engine; finishes the watch (resolving `done`) when the run has ended.
   * Public so a one-shot caller (`srlm runs`, reconcileRun) can use the same rules without starting timers.
   */
  async check(): Promise<void> {
    if (this.finished || this.checking) return;
    this.checking = true;
    try {
      const alive = this.engineAlive();
      await this.tailer.poll();
      const final = this.isFinal();
      if (alive && !final) return;
      if (alive && final) {
        // run_finished is the engine's last line; it exits right after. Give it a moment, then stop waiting.
        if (this.opts.engine) await Promise.race([this.opts.engine.exited, new Promise((r) => setTimeout(r, 5000))]);
      }
      // Whatever the engine wrote before exiting is on disk now: read it all, report a cut-off last line.
      await this.tailer.stop(true);
      if (this.liveness) clearInterval(this.liveness);
      this.liveness = null;
      this.finished = true;
      let died = false;
      if (!this.isFinal()) {
        died = true;
        await this.markDead();
      }
      this.updateRecord();
      this.resolve({ status: this.state.status as RunStatus, state: this.state, died });
    } finally {
      this.checking = false;
    }
  }

  /**
   * The latest attempt has finished. A resumed run's file already ends in the previous attempt's run_finished
   * until the new engine writes its run_started, so attempts are counted, not just the last status.
   */
  private isFinal(): boolean {
    const st = this.state.status;
    if (st !== 'completed' && st !== 'failed' && st !== 'stopped') return false;
    let expected = 1;
    try {
      expected = this.store.read(this.runId).attempts;
    } catch {
      // no record: trust the events
    }
    return this.state.attempts >= expected;
  }

  private async markDead(): Promise<void> {
    let rec: RunRecord | undefined;
    try {
      rec = this.store.read(this.runId);
    } catch {
      rec = undefined;
    }
    const attempt = rec?.attempts ?? 1;
    const events = this.store.file(this.runId, 'events');
    // The CLI and the editor may both notice the same death: the first to create this marker records it, the
    // other reads what was recorded.
    try {
      fs.closeSync(fs.openSync(path.join(this.store.dir(this.runId), `.ended-${attempt}`), 'wx'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        for (let i = 0; i < 40; i++) {
          this.state = loadRunState(this.store, this.runId);
          if (this.isFinal()) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        return;
      }
    }
    if (rec?.stopRequested) {
      // `srlm stop` killed an engine that did not stop by itself: the user asked for this, it is not a failure.
      const stopped = supervisorEvent(this.runId, 'run_finished', {
        status: 'stopped',
        duration_s: 0,
        message: rec.stopRequested.forced ?? 'stopped on request; the engine exited before it recorded the stop',
        attempt,
      });
      try {
        appendSupervisorEvent(events, stopped);
      } catch {
        // the record below still says so
      }
      this.state.apply(stopped as unknown as AnyEvent);
      return;
    }
    const log = this.store.file(this.runId, 'log');
    const tail = tailLines(log, this.opts.logTailLines ?? 20).join('\n');
    const reason = `${describeExit(this.exit)} before finishing the run`;
    const stage = this.state.currentStage;
    const error = supervisorEvent(this.runId, 'error', {
      ...(stage && stage.status === 'running' ? { stage: stage.name, step: stage.step } : {}),
      message: `${reason}; last lines of engine.log:\n${tail || '(engine.log is empty)'}`,
      code: 'engine_died',
      attempt,
    });
    // `attempt` lets readers count this as the end of that attempt even though the engine never wrote its own
    // run_started (it may have died while importing).
    const finished = supervisorEvent(this.runId, 'run_finished', {
      status: 'failed',
      duration_s: 0,
      message: reason,
      attempt,
    });
    try {
      appendSupervisorEvent(events, error);
      appendSupervisorEvent(events, finished);
    } catch {
      // An unwritable events file must not hide the failure: the record below still says so.
    }
    this.state.apply(error as unknown as AnyEvent);
    this.state.apply(finished as unknown as AnyEvent);
  }

  private updateRecord(): void {
    try {
      const rec = this.store.read(this.runId);
      rec.status = this.state.status as RunStatus;
      rec.finished = new Date().toISOString();
      const msg = this.state.finishMessage ?? this.state.errors.last()?.message;
      if (rec.status !== 'completed' && msg) rec.message = msg;
      else delete rec.message;
      this.store.write(rec);
    } catch {
      // the run folder was removed while we watched
    }
  }
}

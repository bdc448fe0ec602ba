// The runs in the runs folder, kept current whoever started them (the editor or `srlm run` in a terminal):
// the folder is watched for new run folders, finished runs are read once (and re-read only when their files
// change), and live runs are followed with the runtime's tailer into the runtime's state model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EventTailer } from '../../../runtime/src/events/tail';
import { RunState } from '../../../runtime/src/events/state';
import { RunStore, type RunRecord } from '../../../runtime/src/store/runStore';
import type { RunSummary } from '../../../runtime/src/store/runSummary';
import { LiveRunReconciler, recordedLive } from './reconcile';
import { RunIndexReader } from './runIndex';

export interface RunEntry {
  readonly id: string;
  readonly dir: string;
  record: RunRecord | undefined;
  state: RunState;
  /** events.jsonl size+mtime and run.json mtime when last read. */
  key: string;
  tailer?: EventTailer;
  /** Bumped per asynchronous read of a finished run, so a stale read does not announce itself. */
  loading?: number;
  /** The read in progress (or done) of a finished run's events. */
  loaded?: Promise<void>;
  /**
   * A finished run shown from the runtime's run index, its events not read yet (`state` is empty): they are
   * read when the run is expanded (`RunRegistry.ensureLoaded`).
   */
  summary?: RunSummary;
}

export function isLive(e: RunEntry): boolean {
  const s = e.record?.status;
  if (s === 'completed' || s === 'failed' || s === 'stopped') return false;
  if (e.state.status === 'completed' || e.state.status === 'failed' || e.state.status === 'stopped') return false;
  return s === 'running' || s === 'starting' || e.state.status === 'running';
}

/** The status to show: the engine's own (events) once it has one, else the supervisor's record. */
export function runStatus(e: RunEntry): string {
  const fromEvents = e.state.status;
  const rec = e.record?.status;
  if (rec === 'failed' || rec === 'stopped') return fromEvents === 'completed' ? fromEvents : rec;
  if (fromEvents !== 'pending') return fromEvents;
  return rec ?? 'pending';
}

function stamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

export class RunRegistry implements vscode.Disposable {
  private readonly entries = new Map<string, RunEntry>();
  private readonly changed = new vscode.EventEmitter<RunEntry | undefined>();
  readonly onDidChange = this.changed.event;
  private watcher: fs.FSWatcher | undefined;
  private watchedRoot: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private fireTimer: NodeJS.Timeout | undefined;
  private started = false;
  private disposed = false;
  private readonly reconciler = new LiveRunReconciler();
  private index: RunIndexReader | undefined;

  constructor(private readonly root: () => string | undefined) {}

  /** Starts watching on first use (the Runs view becoming visible, or a command), not at activation. */
  ensureStarted(): void {
    if (this.started) return;
    this.started = true;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), 2000);
  }

  get folder(): string | undefined {
    return this.root();
  }

  list(): RunEntry[] {
    this.ensureStarted();
    return [...this.entries.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  get(id: string): RunEntry | undefined {
    this.ensureStarted();
    return this.entries.get(id);
  }

  /** The newest live run, for the status bar. */
  active(): RunEntry | undefined {
    return this.list().find(isLive);
  }

  /** Re-scans the folder; cheap when nothing changed (a readdir and two stats per run). */
  refresh(): void {
    const root = this.root();
    this.watch(root);
    const ids = root ? new RunStore(root).ids() : [];
    let any = false;
    for (const id of ids) {
      const dir = path.join(root!, id);
      const key = `${stamp(path.join(dir, 'events.jsonl'))}|${stamp(path.join(dir, 'run.json'))}`;
      let e = this.entries.get(id);
      if (e && e.key === key) continue;
      if (!e) {
        e = { id, dir, record: undefined, state: new RunState(), key: '' };
        this.entries.set(id, e);
      }
      e.key = key;
      e.record = readRecord(dir);
      if (!e.tailer) {
        if (isLive(e) || e.record?.status === 'starting' || e.record?.status === 'running') this.follow(e);
        else {
          // A finished run never read here, which the index describes as it is now: its row comes from the
          // summary, its events are read when it is expanded. Once read, a change is read again as before.
          const summary = !e.loaded && !recordedLive(e.record?.status) ? this.indexFor(root!).get(id, key) : undefined;
          if (summary) e.summary = summary;
          else this.load(e);
        }
      }
      if (e.tailer && !isLive(e) && e.state.status !== 'running' && e.state.status !== 'pending') {
        void e.tailer.stop(true);
        e.tailer = undefined;
      }
      any = true;
    }
    for (const [id, e] of this.entries) {
      if (!ids.includes(id)) {
        void e.tailer?.stop();
        this.entries.delete(id);
        any = true;
      }
    }
    if (any) this.fire(undefined);
    // run.json says what was last observed; an engine that died while nobody watched is noticed here (every
    // refresh, i.e. at least every 2 s) and recorded as failed, and the next refresh reads the new record.
    if (root)
      for (const e of this.entries.values())
        if (recordedLive(e.record?.status))
          void this.reconciler.check(root, e.id).then((ended) => {
            if (ended && !this.disposed) this.refresh();
          });
  }

  private indexFor(root: string): RunIndexReader {
    if (!this.index || this.index.root !== root) this.index = new RunIndexReader(root);
    return this.index;
  }

  /** Reads a run's events if only its index summary is known yet; resolves when the state is complete. */
  async ensureLoaded(e: RunEntry): Promise<void> {
    if (e.tailer) return;
    if (!e.loaded) this.load(e);
    // A read superseded by a newer one (the files changed meanwhile) resolves early: wait for the latest.
    for (let p: Promise<void> | undefined; e.loaded && p !== e.loaded;) {
      p = e.loaded;
      await p;
    }
  }

  private follow(e: RunEntry): void {
    e.summary = undefined;
    e.state = planState(e.dir);
    e.tailer = new EventTailer(path.join(e.dir, 'events.jsonl'), {
      onEvent: (ev) => {
        e.state.apply(ev);
        this.fire(e);
      },
      onReset: () => {
        e.state = new RunState();
      },
      pollMs: 500,
    });
    e.tailer.start();
  }

  /** Coalesces change notifications: a replay of thousands of events is one tree refresh. */
  private fire(e: RunEntry | undefined): void {
    if (this.fireTimer) return;
    this.fireTimer = setTimeout(() => {
      this.fireTimer = undefined;
      this.changed.fire(e);
    }, 250);
  }

  private watch(root: string | undefined): void {
    if (root === this.watchedRoot && this.watcher) return;
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedRoot = root;
    if (!root) return;
    try {
      this.watcher = fs.watch(root, { persistent: false }, () => {
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.refresh(), 200);
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // The folder does not exist yet: the 2 s poll notices when the first run creates it.
      this.watcher = undefined;
    }
  }

  /**
   * Reads a finished run's events asynchronously (1 MiB reads with awaits between), so a long run's file never
   * blocks the extension host; the row fills in when the read is done.
   */
  private load(e: RunEntry): Promise<void> {
    const state = planState(e.dir);
    const token = (e.loading = (e.loading ?? 0) + 1);
    const tailer = new EventTailer(path.join(e.dir, 'events.jsonl'), { onEvent: (ev) => state.apply(ev) });
    // The row keeps the summary (when there is one) until the read is done, then shows the full state.
    if (!e.summary) e.state = state;
    e.loaded = tailer
      .poll()
      .then(() => tailer.stop(true))
      .catch(() => undefined)
      .then(() => {
        if (e.loading !== token || this.entries.get(e.id) !== e) return;
        e.state = state;
        e.summary = undefined;
        this.fire(e);
      });
    return e.loaded;
  }

  /** Waits until a run matching `pred` appears (used after launching, to open its dashboard). */
  waitFor(pred: (e: RunEntry) => boolean, timeoutMs: number): Promise<RunEntry | undefined> {
    this.ensureStarted();
    this.refresh();
    const now = this.list().find(pred);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const sub = this.onDidChange(() => {
        const hit = this.list().find(pred);
        if (hit) {
          clearTimeout(t);
          sub.dispose();
          resolve(hit);
        }
      });
      const t = setTimeout(() => {
        sub.dispose();
        resolve(undefined);
      }, timeoutMs);
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.fireTimer) clearTimeout(this.fireTimer);
    this.watcher?.close();
    for (const e of this.entries.values()) void e.tailer?.stop();
    this.changed.dispose();
  }
}

// Run folders are read through the runtime's checked reader (runtime/src/store/runFolder.ts): a workspace may
// carry a forged run.json or plan.json, and a record that does not name its own folder is not shown as a run's.
function readRecord(dir: string): RunRecord | undefined {
  return new RunStore(path.dirname(dir)).tryRead(path.basename(dir));
}

function planState(dir: string): RunState {
  const state = new RunState();
  try {
    const plan = new RunStore(path.dirname(dir)).readPlan(path.basename(dir));
    if (plan) state.declareStages(plan.stages);
  } catch {
    // a damaged or forged plan: the events still name the stages
  }
  return state;
}

/** Whether any run record in the folder says its engine is starting or running (reads run.json files only). */
export function hasLiveRecord(root: string): boolean {
  try {
    const store = new RunStore(root);
    return store.ids().some((id) => {
      const s = store.tryRead(id)?.status;
      return s === 'running' || s === 'starting';
    });
  } catch {
    return false;
  }
}

// Run lifecycle: create a run folder for a compiled plan, launch the engine, stop it, resume it, and reconcile a
// run whose engine may have died while nobody watched. Shared by the CLI and the extension.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Plan } from '../plan/types';
import { describeFsError, writeFileAtomic } from '../store/fileIo';
import { stageCheckpointDir } from '../store/runFolder';
import { RunStore, type RunRecord } from '../store/runStore';
import { listRuns, loadRunState, type RunSummary } from '../store/runSummary';
import { launchEngine, type LaunchedEngine } from './launch';
import {
  isProcessAlive,
  killEngineLeftovers,
  refuseSignal,
  signalEngine,
  UnsafeSignalError,
  waitUntilDead,
  type EngineIdentity,
} from './process';
import { checkRunsFolder, PreflightError } from './preflight';
import { appendSupervisorEvent, RunWatcher, supervisorEvent } from './watch';

/** A request the run's current state does not allow (stop a finished run, resume a running one…). */
export class RunStateError extends Error {}

export interface CreateRunOptions {
  readonly store: RunStore;
  readonly plan: Plan;
  readonly source: string;
  readonly options: RunRecord['options'];
  readonly minFreeBytes: number;
  /** The pipeline text the plan was compiled from, kept beside it. */
  readonly sourceText?: string;
}

/** Checks the runs folder, then creates the run folder with plan.json and run.json (status `starting`). */
export function createRun(o: CreateRunOptions): RunRecord {
  checkRunsFolder(o.store.root, o.minFreeBytes);
  const id = o.store.newId(o.plan.pipeline);
  const record: RunRecord = {
    version: 1,
    id,
    pipeline: o.plan.pipeline,
    source: o.source,
    created: new Date().toISOString(),
    status: 'starting',
    attempts: 0,
    options: o.options,
    stages: o.plan.stages.map((s) => ({
      name: s.name,
      kind: s.kind,
      hash: s.hash,
      ...(s.reuse ? { reuse: s.reuse } : {}),
    })),
  };
  try {
    o.store.create(record);
    writeFileAtomic(o.store.file(id, 'plan'), `${JSON.stringify(o.plan, null, 2)}\n`);
    if (o.sourceText !== undefined) writeFileAtomic(o.store.file(id, 'pipeline'), o.sourceText);
  } catch (err) {
    throw new PreflightError(describeFsError(err, `cannot create the run folder ${o.store.dir(id)}`));
  }
  return record;
}

export interface LaunchRunOptions {
  readonly python: string;
  readonly engineVersion?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly resume?: boolean;
}

/** Launches the engine for a run and records its pid before returning. */
export async function launchRun(store: RunStore, id: string, o: LaunchRunOptions): Promise<LaunchedEngine> {
  const rec = store.read(id);
  rec.attempts += 1;
  rec.status = 'starting';
  rec.python = o.python;
  if (o.engineVersion) rec.engineVersion = o.engineVersion;
  delete rec.finished;
  delete rec.message;
  delete rec.stopRequested;
  store.write(rec);
  let engine: LaunchedEngine;
  try {
    engine = await launchEngine({
      python: o.python,
      runDir: store.dir(id),
      planPath: store.file(id, 'plan'),
      eventsLog: store.file(id, 'events'),
      engineLog: store.file(id, 'log'),
      resume: o.resume,
      env: o.env,
    });
  } catch (err) {
    rec.status = 'failed';
    rec.message = `could not start the engine: ${(err as Error).message}`;
    rec.finished = new Date().toISOString();
    store.write(rec);
    throw new RunStateError(rec.message);
  }
  rec.pid = engine.pid;
  rec.pidStart = engine.pidStart;
  rec.status = 'running';
  store.write(rec);
  return engine;
}

export function engineAlive(rec: RunRecord): boolean {
  return rec.pid !== undefined && isProcessAlive(rec.pid, rec.pidStart);
}

/**
 * Brings run.json up to date with what is true now: a run recorded as running whose engine is gone is finished
 * (from its events) or failed (the engine died; the tail of engine.log says why).
 */
export async function reconcileRun(store: RunStore, id: string): Promise<RunRecord> {
  const rec = store.read(id);
  if (rec.status !== 'running' && rec.status !== 'starting') return rec;
  if (engineAlive(rec)) return rec;
  // A run created moments ago may not have its pid recorded yet.
  if (rec.pid === undefined && Date.now() - Date.parse(rec.created) < 60_000) return rec;
  const w = new RunWatcher(store, id, {});
  await w.check();
  await w.close();
  return store.read(id);
}

/** Every run's summary, after noticing engines that died while nobody watched. */
export async function listRunsReconciled(store: RunStore): Promise<RunSummary[]> {
  for (const id of store.ids()) {
    try {
      await reconcileRun(store, id);
    } catch {
      // a run folder being created or removed right now
    }
  }
  return listRuns(store);
}

export interface StopResult {
  /** The engine ignored SIGTERM for the whole grace period and was killed. */
  readonly forced: boolean;
  readonly record: RunRecord;
}

/**
 * Stops a run: SIGTERM to the engine's process group (the engine saves a checkpoint at the next step boundary
 * and writes run_finished "stopped"), then SIGKILL after `timeoutMs` if it is still there.
 */
export async function stopRun(store: RunStore, id: string, timeoutMs = 30_000): Promise<StopResult> {
  const rec = await reconcileRun(store, id);
  if (!engineAlive(rec)) throw new RunStateError(`run ${id} is not running (status: ${rec.status})`);
  const engine: EngineIdentity = { pid: rec.pid!, pidStart: rec.pidStart, runDir: store.dir(id) };
  // Checked before anything is written: a forged run.json changes nothing and signals nobody.
  const refused = refuseSignal(engine);
  if (refused) throw new RunStateError(`run ${id}: not signalling its recorded engine: ${refused}`);
  const alive = () => isProcessAlive(engine.pid, engine.pidStart);
  rec.stopRequested = { at: new Date().toISOString() };
  store.write(rec);
  const signal = (sig: 'SIGTERM' | 'SIGKILL') => {
    try {
      signalEngine(engine, sig);
    } catch (err) {
      if (err instanceof UnsafeSignalError) throw new RunStateError(`run ${id}: ${err.message}`);
      throw err;
    }
  };
  signal('SIGTERM');
  let forced = false;
  const forcedMessage = `stopped: the engine did not stop within ${Math.round(timeoutMs / 1000)}s of SIGTERM and was killed`;
  if (!(await waitUntilDead(alive, timeoutMs))) {
    forced = true;
    // Recorded before the kill, so a watcher that sees the engine die first reports the same reason.
    store.write({ ...store.read(id), stopRequested: { at: rec.stopRequested.at, forced: forcedMessage } });
    signal('SIGKILL');
    await waitUntilDead(alive, 10_000);
  }
  // Anything the group left behind (a reward worker that outlived the engine) goes too.
  killEngineLeftovers(engine);
  const state = loadRunState(store, id);
  const ended = state.status === 'completed' || state.status === 'failed' || state.status === 'stopped';
  if (!ended || state.attempts < rec.attempts) {
    const message = forced ? forcedMessage : 'stopped before the engine recorded it';
    appendSupervisorEvent(
      store.file(id, 'events'),
      supervisorEvent(id, 'run_finished', { status: 'stopped', duration_s: 0, message, attempt: rec.attempts }),
    );
  }
  const after = store.read(id);
  const final = loadRunState(store, id);
  after.status = final.status === 'completed' ? 'completed' : final.status === 'failed' ? 'failed' : 'stopped';
  after.finished = new Date().toISOString();
  if (final.finishMessage) after.message = final.finishMessage;
  store.write(after);
  return { forced, record: after };
}

export interface ResumePoint {
  /** The stage that was interrupted, if any (none: the run stopped between stages). */
  readonly stage?: string;
  /** Step of the checkpoint it continues from (0: the stage restarts from its init). */
  readonly step: number;
  /** Event lines removed because the resumed engine will write them again. */
  readonly dropped: number;
}

const STEP_DIR = /^step-(\d+)$/;

/** The newest complete step checkpoint of a stage in a run, by the engine's own rule (meta.json present). */
export function latestStepCheckpoint(store: RunStore, id: string, stage: string): number {
  const dir = stageCheckpointDir(store.dir(id), stage, store.file(id, 'events'));
  let best = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    const m = STEP_DIR.exec(n);
    if (m && fs.existsSync(path.join(dir, n, 'meta.json'))) best = Math.max(best, Number(m[1]));
  }
  return best;
}

const STEP_EVENTS = new Set(['metrics', 'checkpoint', 'eval', 'samples']);

/**
 * Rewrites events.jsonl before a resume so that the finished run has every step once: the interrupted stage's
 * step events after its last checkpoint are removed (the resumed engine repeats those steps). The removed lines
 * are kept in events.dropped.jsonl. The file is replaced atomically; live tailers notice and re-read it.
 */
export function prepareResume(store: RunStore, id: string): ResumePoint {
  const file = store.file(id, 'events');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { step: 0, dropped: 0 };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // Find the interrupted stage: started (last time) and never finished after that.
  let stage: string | undefined;
  let startedAt = -1;
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  });
  parsed.forEach((e, i) => {
    if (!e) return;
    if (e.type === 'stage_started' && typeof e.stage === 'string') {
      stage = e.stage;
      startedAt = i;
    } else if (e.type === 'stage_finished' && e.stage === stage && e.status === 'completed') {
      stage = undefined;
      startedAt = -1;
    }
  });
  if (stage === undefined) return { step: 0, dropped: 0 };
  const step = latestStepCheckpoint(store, id, stage);
  const keep: string[] = [];
  const drop: string[] = [];
  lines.forEach((l, i) => {
    const e = parsed[i];
    const stale =
      i > startedAt &&
      e !== undefined &&
      e.stage === stage &&
      typeof e.type === 'string' &&
      STEP_EVENTS.has(e.type) &&
      typeof e.step === 'number' &&
      e.step > step;
    // A line cut off when the engine died can never be completed, and would swallow the next attempt's first
    // event if left unterminated: unreadable lines go with the dropped ones (kept there for inspection).
    const unreadable = e === undefined && l.trim() !== '';
    (stale || unreadable ? drop : keep).push(l);
  });
  if (drop.length > 0) {
    fs.appendFileSync(path.join(store.dir(id), 'events.dropped.jsonl'), `${drop.join('\n')}\n`);
    writeFileAtomic(file, keep.length > 0 ? `${keep.join('\n')}\n` : '');
  }
  return { stage, step, dropped: drop.length };
}

/** How long a resume waits for an engine that has written its run_finished to exit. */
const EXIT_GRACE_MS = 15_000;

/** The latest attempt's run_finished is in the events (the engine may still be exiting). */
function attemptFinished(store: RunStore, id: string, rec: RunRecord): boolean {
  const st = loadRunState(store, id);
  return (
    (st.status === 'completed' || st.status === 'failed' || st.status === 'stopped') && st.attempts >= rec.attempts
  );
}

/** Checks a run can be resumed, rewrites its events (see prepareResume) and relaunches the engine with --resume. */
export async function resumeRun(
  store: RunStore,
  id: string,
  o: Omit<LaunchRunOptions, 'resume'>,
): Promise<{ engine: LaunchedEngine; point: ResumePoint }> {
  // Two resumes at once (a terminal and the editor) would start two engines on one run folder: the first to
  // create the lock goes ahead. A lock left by a crashed supervisor is taken over after a minute.
  store.read(id); // an unknown run is RunNotFoundError, not a missing lock folder
  const lock = path.join(store.dir(id), '.resume.lock');
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = Date.now() - fs.statSync(lock).mtimeMs;
    if (age < 60_000) throw new RunStateError(`run ${id} is being resumed by another process right now`);
    fs.writeFileSync(lock, String(process.pid));
  }
  try {
    let rec = await reconcileRun(store, id);
    if (engineAlive(rec) && attemptFinished(store, id, rec)) {
      // The engine wrote its run_finished (so a watcher reported the run failed or stopped) and is exiting:
      // closing files, reward workers, the process group. Wait for that instead of calling the run live.
      await waitUntilDead(() => engineAlive(rec), EXIT_GRACE_MS);
      rec = await reconcileRun(store, id);
    }
    if (engineAlive(rec)) throw new RunStateError(`run ${id} is still running (pid ${rec.pid}); nothing to resume`);
    if (rec.status === 'completed') throw new RunStateError(`run ${id} already completed; start a new run instead`);
    store.readPlan(id); // the engine will use its stage names as folders: a forged one stops the resume here
    const point = prepareResume(store, id);
    const engine = await launchRun(store, id, { ...o, resume: true });
    return { engine, point };
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

// Process identity and signalling for engines the supervisor may not be the parent of (a run launched by an
// earlier `srlm run --detach`, or before a window reload).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINE_MODULE } from './python';

function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is parenthesised and may contain spaces or ')': split after the last ')'.
    // rest[0] is field 3 (state), rest[2] field 5 (process group), rest[19] field 22 (start time).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat, in clock ticks since boot; on macOS and
 * the BSDs, `ps -o lstart`), or undefined where neither is available or the process is gone. Together with the
 * pid it names one process for good: pids are recycled, start times of a recycled pid differ.
 */
export function processStartTime(pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (HAS_PROC) return procStat(pid)?.[19];
  if (process.platform === 'win32') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

const HAS_PROC = fs.existsSync('/proc/self/stat');

/** True when a zombie: exited but not yet reaped by its parent. Such a process is dead for our purposes. */
function isZombie(pid: number): boolean {
  return procStat(pid)?.[0] === 'Z';
}

/** Whether the process `pid` (started at `startTime`, when known) is still running. */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it cannot be our engine unless we lost privileges.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (isZombie(pid)) return false;
  if (startTime !== undefined) {
    const now = processStartTime(pid);
    if (now !== undefined && now !== startTime) return false;
  }
  return true;
}

/** The engine of one run, as run.json records it: what a signal may be sent to. */
export interface EngineIdentity {
  readonly pid: number;
  readonly pidStart: string | undefined;
  /** The run folder: the engine's command line names it (`--run-dir`). */
  readonly runDir: string;
}

function ownGroup(): number | undefined {
  const g = Number(procStat('self')?.[2]);
  return Number.isSafeInteger(g) ? g : undefined;
}

/** The process's arguments (Linux), or undefined where they cannot be read. */
function commandLine(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Why `e.pid` must not be signalled as the run's engine, or undefined when it may. A run folder may be forged
 * (a workspace can carry one), so a pid is signalled only when it is above 1 (0 is our own group, 1 init, and
 * kill(-1) every process we may signal), is not this process or its group, still has the start time recorded
 * when the engine was launched, and — where the command line can be read — runs `-m srlm_engine` for this run
 * folder. A process that is gone is not refused here; there is simply nothing to signal.
 */
export function refuseSignal(e: EngineIdentity): string | undefined {
  if (!Number.isSafeInteger(e.pid) || e.pid <= 1) return `pid ${e.pid} is not a process the supervisor started`;
  if (e.pid === process.pid || e.pid === ownGroup()) return `pid ${e.pid} is this process or its group`;
  if (e.pidStart === undefined && process.platform !== 'win32')
    return `run.json records no start time for pid ${e.pid}, so it cannot be told from another process`;
  const now = processStartTime(e.pid);
  if (now === undefined) {
    if (!isProcessAlive(e.pid) || process.platform === 'win32') return undefined; // gone: nothing to signal
    return `the start time of pid ${e.pid} cannot be read, so it cannot be told from another process`;
  }
  if (now !== e.pidStart) return `pid ${e.pid} is now a different process (its start time is not the recorded one)`;
  const cmd = commandLine(e.pid);
  if (cmd) {
    const m = cmd.indexOf('-m');
    const d = cmd.indexOf('--run-dir');
    const engine = m >= 0 && cmd[m + 1] === ENGINE_MODULE;
    if (!engine || d < 0 || path.basename(cmd[d + 1] ?? '') !== path.basename(e.runDir))
      return `pid ${e.pid} is not the engine of ${path.basename(e.runDir)} (command: ${cmd.join(' ').trim().slice(0, 200)})`;
  }
  return undefined;
}

/** Signals one process group; false when it is gone. Callers check the group is the engine's first. */
function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Signals the engine's process group (the engine, its ranks and reward workers) after checking, at this moment,
 * that the pid is still the engine (`refuseSignal`). Returns false when the engine is gone; throws
 * UnsafeSignalError when the pid is not the engine's.
 */
export function signalEngine(e: EngineIdentity, signal: NodeJS.Signals): boolean {
  const why = refuseSignal(e);
  if (why) throw new UnsafeSignalError(why);
  if (!isProcessAlive(e.pid)) return false;
  // The engine is launched as a session leader, so its group id is its pid; were it not, only it is signalled.
  const group = procStat(e.pid)?.[2];
  if (group !== undefined && Number(group) !== e.pid) {
    process.kill(e.pid, signal);
    return true;
  }
  return killGroup(e.pid, signal);
}

/**
 * After the engine (verified before, while alive) has exited: SIGKILL to whatever is left of its process group
 * (a reward worker stuck in user code). The kernel does not reuse a pid while a group of that id exists, so a
 * surviving group is the engine's; if a process with the pid exists again, it is a new one and is left alone.
 */
export function killEngineLeftovers(e: EngineIdentity): boolean {
  if (!Number.isSafeInteger(e.pid) || e.pid <= 1 || e.pid === ownGroup()) return false;
  if (isProcessAlive(e.pid)) return false;
  return killGroup(e.pid, 'SIGKILL');
}

/** A pid that run.json names is not the run's engine; nothing was signalled. */
export class UnsafeSignalError extends Error {}

/** Resolves true once `alive()` turns false, or false after `timeoutMs`. */
export async function waitUntilDead(alive: () => boolean, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

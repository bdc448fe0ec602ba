// Process identity and stopping for engines the supervisor may not be the parent of (a run launched by an
// earlier `srlm run --detach`, or before a window reload). The rules are here; what each operating system
// offers (process facts, groups, how a stop is delivered) is a ProcessPlatform chosen from process.platform.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINE_MODULE } from './python';
import { linuxPlatform } from './processLinux';
import {
  systemFacts,
  type EngineIdentity,
  type OsFacts,
  type ProcessInfo,
  type ProcessPlatform,
} from './processPlatform';
import { psPlatform } from './processPs';
import { win32Platform } from './processWin32';

export type { EngineIdentity } from './processPlatform';

/** The implementation for an operating system (`process.platform`'s names), reading the system through `facts`. */
export function processPlatform(name: NodeJS.Platform, facts: OsFacts, hasProc = false): ProcessPlatform {
  if (name === 'win32') return win32Platform(facts);
  if (name === 'linux' && hasProc) return linuxPlatform(facts);
  // macOS, the BSDs, and a Linux without /proc: ps and POSIX process groups.
  return psPlatform(facts, name === 'linux' ? 'linux-ps' : name);
}

let current: ProcessPlatform | undefined;
function here(): ProcessPlatform {
  current ??= processPlatform(process.platform, systemFacts, fs.existsSync('/proc/self/stat'));
  return current;
}

/**
 * The kernel's start time of a process (Linux: field 22 of /proc/<pid>/stat; macOS and the BSDs: `ps -o lstart`;
 * Windows: the creation date), or undefined when the process is gone or it cannot be read. Together with the pid
 * it names one process for good: pids are recycled, start times of a recycled pid differ.
 */
export function processStartTime(pid: number, p: ProcessPlatform = here()): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return p.info(pid)?.start;
}

function exists(pid: number, facts: OsFacts): boolean {
  try {
    facts.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it cannot be our engine unless we lost privileges.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How old an answer about a process the liveness check may reuse: a pid that still exists and had the recorded
 * start time moments ago is taken as the same process (where asking is cheap, the platform asks anyway). A stop
 * always asks afresh (`refuseSignal`).
 */
const LIVENESS_INFO_MAX_AGE_MS = 10_000;

/** Whether the process `pid` (started at `startTime`, when known) is still running. */
export function isProcessAlive(
  pid: number,
  startTime?: string,
  p: ProcessPlatform = here(),
  facts: OsFacts = systemFacts,
): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || !exists(pid, facts)) return false;
  const info = p.info(pid, LIVENESS_INFO_MAX_AGE_MS);
  if (info?.zombie) return false;
  if (startTime !== undefined && info !== undefined && info.start !== startTime) return false;
  return true;
}

/** The last path segment, split at / and \\ alike: run ids have neither, and Windows paths use both. */
const base = (p: string) => path.win32.basename(p);

/**
 * Whether the command line is `… -m srlm_engine … --run-dir <this run's folder> [--resume]`. Arguments one by
 * one (Linux, Windows) are compared as such; a joined string (`ps`) by what follows `--run-dir `, which
 * engineArgs() puts last but for `--resume`, so a folder with spaces is still read whole.
 */
export function runsEngineOf(info: ProcessInfo, runDir: string): boolean {
  const id = base(runDir);
  if (info.argv) {
    const cmd = info.argv;
    const m = cmd.indexOf('-m');
    const d = cmd.indexOf('--run-dir');
    return m >= 0 && cmd[m + 1] === ENGINE_MODULE && d >= 0 && base(cmd[d + 1] ?? '') === id;
  }
  const line = info.command ?? '';
  if (!new RegExp(`(^|\\s)-m ${ENGINE_MODULE}(\\s|$)`).test(line)) return false;
  const at = line.lastIndexOf(' --run-dir ');
  if (at < 0) return false;
  const dir = line.slice(at + ' --run-dir '.length).replace(/ --resume$/, '');
  return base(dir) === id;
}

function commandText(info: ProcessInfo): string {
  return (info.argv ? info.argv.join(' ') : (info.command ?? '')).trim().slice(0, 200);
}

/**
 * Why `e.pid` must not be stopped as the run's engine, or undefined when it may. A run folder may be forged
 * (a workspace can carry one), so a pid is stopped only when it is above 1 (0 is our own group, 1 init, and
 * kill(-1) every process we may signal), is not this process or its group, still has the start time recorded
 * when the engine was launched, and — where the command line can be read — runs `-m srlm_engine` for this run
 * folder. The same on every platform: on Windows a forced stop is `taskkill /T /F`, no less dangerous. A
 * process that is gone is not refused here; there is simply nothing to stop.
 */
export function refuseSignal(
  e: EngineIdentity,
  p: ProcessPlatform = here(),
  facts: OsFacts = systemFacts,
): string | undefined {
  if (!Number.isSafeInteger(e.pid) || e.pid <= 1) return `pid ${e.pid} is not a process the supervisor started`;
  if (e.pid === facts.pid || e.pid === p.ownGroup()) return `pid ${e.pid} is this process or its group`;
  if (e.pidStart === undefined)
    return `run.json records no start time for pid ${e.pid}, so it cannot be told from another process`;
  const info = p.info(e.pid);
  if (info === undefined) {
    if (!exists(e.pid, facts)) return undefined; // gone: nothing to stop
    return `the start time of pid ${e.pid} cannot be read, so it cannot be told from another process`;
  }
  if (info.start !== e.pidStart)
    return `pid ${e.pid} is now a different process (its start time is not the recorded one)`;
  if ((info.argv || info.command !== undefined) && !runsEngineOf(info, e.runDir))
    return `pid ${e.pid} is not the engine of ${base(e.runDir)} (command: ${commandText(info)})`;
  return undefined;
}

/**
 * Stops the engine and what it started (POSIX: SIGTERM or SIGKILL to its process group; Windows: a stop request
 * or `taskkill /T /F`) after checking, at this moment, that the pid is still the engine (`refuseSignal`).
 * Returns false when the engine is gone; throws UnsafeSignalError when the pid is not the engine's.
 */
export function signalEngine(
  e: EngineIdentity,
  signal: 'SIGTERM' | 'SIGKILL',
  p: ProcessPlatform = here(),
  facts: OsFacts = systemFacts,
): boolean {
  const why = refuseSignal(e, p, facts);
  if (why) throw new UnsafeSignalError(why);
  if (!isProcessAlive(e.pid, undefined, p, facts)) return false;
  return p.stop(e, signal === 'SIGKILL' ? 'force' : 'graceful');
}

/**
 * After the engine (verified before, while alive) has exited: ends whatever is left of what it started. If a
 * process with the pid exists again, it is a new one and is left alone.
 */
export function killEngineLeftovers(
  e: EngineIdentity,
  p: ProcessPlatform = here(),
  facts: OsFacts = systemFacts,
): boolean {
  if (!Number.isSafeInteger(e.pid) || e.pid <= 1 || e.pid === p.ownGroup()) return false;
  if (isProcessAlive(e.pid, undefined, p, facts)) return false;
  return p.killLeftovers(e);
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

// What the supervisor needs to know about a process and how it stops one, per operating system. Each
// implementation reads the system only through `OsFacts` (files, commands, signals), so its parsing and the
// commands it issues are unit-tested on any machine with injected facts (test/runtime/processPlatforms.test.ts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The engine of one run, as run.json records it: what a stop may reach. */
export interface EngineIdentity {
  readonly pid: number;
  readonly pidStart: string | undefined;
  /** The run folder: the engine's command line names it (`--run-dir`). */
  readonly runDir: string;
}

/** What the operating system says about a live (or zombie) process. */
export interface ProcessInfo {
  /** The kernel's start time, in the platform's own format: with the pid it names one process for good. */
  readonly start: string;
  /** Exited but not yet reaped by its parent: dead for our purposes. */
  readonly zombie: boolean;
  /** The POSIX process group; undefined where there are none (Windows). */
  readonly group?: number;
  /** The arguments one by one, where the platform gives them so (Linux; Windows, parsed). */
  readonly argv?: readonly string[];
  /** The command line as one string, where that is all there is (`ps` on macOS and the BSDs). */
  readonly command?: string;
}

/** The system calls the implementations make; the real ones below, fakes in tests. */
export interface OsFacts {
  readonly pid: number;
  /** A file's text, or undefined when it cannot be read. */
  readFile(file: string): string | undefined;
  /** A command's standard output (run without a shell), or undefined when it cannot run or fails. */
  run(file: string, args: readonly string[]): string | undefined;
  /** `process.kill`: throws ESRCH when there is no such process, EPERM when it is not ours. */
  kill(pid: number, signal: NodeJS.Signals | 0): void;
  writeFile(file: string, text: string): void;
}

export type StopKind = 'graceful' | 'force';

export interface ProcessPlatform {
  readonly name: string;
  /**
   * The process `pid` as the system sees it; undefined when it is gone or cannot be read. `maxAgeMs`: an answer
   * that old may be reused where asking is expensive (Windows starts PowerShell); 0 (the default) asks now.
   */
  info(pid: number, maxAgeMs?: number): ProcessInfo | undefined;
  /** This process's group, which must never be signalled; undefined without POSIX groups. */
  ownGroup(): number | undefined;
  /**
   * Stops the engine (already verified as the run's) and what it started: 'graceful' lets it checkpoint first,
   * 'force' ends it now. False when it was gone.
   */
  stop(e: EngineIdentity, kind: StopKind): boolean;
  /**
   * After the verified engine has exited: ends what is left of what it started (a reward worker stuck in user
   * code). False when there was nothing to end or the platform cannot find it.
   */
  killLeftovers(e: EngineIdentity): boolean;
}

/** `kill` that answers false for a process that is gone instead of throwing. */
export function sendSignal(facts: OsFacts, target: number, signal: NodeJS.Signals): boolean {
  try {
    facts.kill(target, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export const systemFacts: OsFacts = {
  pid: process.pid,
  readFile(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  run(file, args) {
    try {
      return execFileSync(file, args, {
        encoding: 'utf8',
        // ps prints dates in the C locale's words, which the start-time comparison relies on.
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'ignore'],
        windowsHide: true,
        timeout: 15_000,
      });
    } catch {
      return undefined;
    }
  },
  kill: (pid, signal) => process.kill(pid, signal),
  writeFile: (file, text) => fs.writeFileSync(file, text),
};

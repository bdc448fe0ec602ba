// Starts the engine as a detached process in its own process group, with stdout and stderr appended to the
// run's engine.log. Detached, so the run outlives the CLI or a reloaded editor window; its own group, so a stop
// signal reaches the engine and anything it spawned (reward workers, rollout servers) at once. On Windows there
// are no such groups: a stop goes through a stop-request file and `taskkill /T` (processWin32.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../store/runStore';
import { ENGINE_MODULE } from './python';
import { processStartTime } from './process';

export interface LaunchOptions {
  readonly python: string;
  readonly runDir: string;
  readonly planPath: string;
  readonly eventsLog: string;
  readonly engineLog: string;
  readonly resume?: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LaunchedEngine {
  readonly pid: number;
  readonly pidStart: string | undefined;
  readonly child: ChildProcess;
  /** Resolves when the engine exits (only observable by the process that launched it). */
  readonly exited: Promise<EngineExit>;
}

export function engineArgs(o: Pick<LaunchOptions, 'planPath' | 'runDir' | 'resume'>): string[] {
  return ['-m', ENGINE_MODULE, 'run', '--plan', o.planPath, '--run-dir', o.runDir, ...(o.resume ? ['--resume'] : [])];
}

export function launchEngine(o: LaunchOptions): Promise<LaunchedEngine> {
  const args = engineArgs(o);
  // A stop request left by an earlier attempt would stop this one at its first step.
  fs.rmSync(path.join(o.runDir, RUN_FILES.stopRequest), { force: true });
  const fd = fs.openSync(o.engineLog, 'a');
  try {
    fs.writeSync(fd, `--- srlm ${new Date().toISOString()}: ${o.python} ${args.join(' ')}\n`);
    const child = spawn(o.python, args, {
      cwd: o.runDir,
      detached: true,
      // Detached on Windows means a console of its own: hidden, not a window popping up beside the editor.
      windowsHide: true,
      stdio: ['ignore', fd, fd],
      env: { ...o.env, PYTHONUNBUFFERED: '1' },
    });
    const exited = new Promise<EngineExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    return new Promise((resolve, reject) => {
      child.once('error', (err) => reject(err));
      child.once('spawn', () => {
        // The CLI may exit while the engine trains on; the engine must not keep it alive, nor die with it.
        child.unref();
        const pid = child.pid!;
        resolve({ pid, pidStart: processStartTime(pid), child, exited });
      });
    });
  } finally {
    fs.closeSync(fd);
  }
}

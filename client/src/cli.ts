// Runs the bundled `srlm` command-line tool (dist/srlm.js): the run supervisor lives behind it, so launching,
// stopping and resuming a run from the editor is exactly what the terminal does, and the engine it starts is
// detached from the editor (a window reload does not kill a run). The extension host's own executable runs it
// (ELECTRON_RUN_AS_NODE makes VS Code's Electron behave as plain Node; code-server's host is Node already).
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import type { DetachedRun } from '../../runtime/src/cli/commands/run';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment the CLI runs with: the host's own, with Electron switched to plain Node. */
export function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' };
}

export function runCli(
  cliPath: string,
  args: string[],
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    output: vscode.OutputChannel;
    timeoutMs?: number;
    /** Ends the command (SIGTERM), as a cancelled progress notification does. */
    signal?: AbortSignal;
    /** Each line the command writes to stderr (its progress), as it comes. */
    onStderrLine?: (line: string) => void;
    /** Each complete line the command writes to stdout, as it comes (the JSON lines of `srlm run STUDY --json`). */
    onStdoutLine?: (line: string) => void;
  },
): Promise<CliResult> {
  return new Promise((resolve) => {
    opts.output.appendLine(`$ srlm ${args.join(' ')}`);
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      const s = b.toString();
      stdout += s;
      opts.output.append(s);
      if (!opts.onStdoutLine) return;
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) opts.onStdoutLine(l);
    });
    child.stderr.on('data', (b: Buffer) => {
      const s = b.toString();
      stderr += s;
      opts.output.append(s);
      // A terminal-style redraw (\r) or a newline ends a progress line; the last complete one is what matters.
      const line = s
        .split(/[\r\n]/)
        .filter((l) => l.trim())
        .pop();
      if (line && opts.onStderrLine) opts.onStderrLine(line.trim());
    });
    opts.signal?.addEventListener('abort', () => {
      child.kill('SIGTERM');
      stderr += `\n(srlm ${args[0]} cancelled)`;
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGTERM');
          stderr += `\n(srlm ${args[0]} timed out after ${opts.timeoutMs} ms)`;
        }, opts.timeoutMs)
      : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${String(err)}` });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (partial.trim()) opts.onStdoutLine?.(partial);
      opts.output.appendLine(`(exit ${code ?? 'signal'})`);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** What `srlm run --detach --json` prints on stdout (runtime/src/cli/commands/run.ts `DetachedRun`). */
export type { DetachedRun } from '../../runtime/src/cli/commands/run';

/** The run `srlm run --detach --json` started, or undefined when its stdout holds no such object. */
export function parseDetachedRun(stdout: string): DetachedRun | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const v = JSON.parse(line) as Partial<DetachedRun>;
    if (typeof v.id === 'string' && typeof v.dir === 'string' && typeof v.pid === 'number') return v as DetachedRun;
  } catch {
    // not JSON: an older CLI or a crash; the caller says so
  }
  return undefined;
}

// Windows: no /proc, no signals between processes, no POSIX process groups. Identity comes from the process's
// creation date and command line (CIM's Win32_Process through PowerShell: `wmic` is gone from current Windows,
// and `tasklist` shows neither). A clean stop is a stop-request file in the run folder, which the engine reads at
// its next step boundary; a forced one is `taskkill /T /F` on the engine's tree.
import * as path from 'node:path';
import { RUN_FILES } from '../store/runStore';
import type { EngineIdentity, OsFacts, ProcessInfo, ProcessPlatform, StopKind } from './processPlatform';

/** Prints the creation date (UTC, ISO 8601) and the command line on two lines, or nothing for no such process. */
export function cimScript(pid: number): string {
  // Single quotes only: the script travels as one argument, and double quotes would need another quoting layer.
  return (
    // UTF-8 out, so a command line with non-ASCII folder names reaches Node as it is.
    '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; ' +
    `$p = Get-CimInstance Win32_Process -Filter 'ProcessId=${pid}'; ` +
    `if ($p -and $p.CreationDate) { $p.CreationDate.ToUniversalTime().ToString('o'); $p.CommandLine }`
  );
}

export const POWERSHELL_ARGS = (pid: number) => ['-NoProfile', '-NonInteractive', '-Command', cimScript(pid)];

export function parseCimOutput(out: string): ProcessInfo | undefined {
  const lines = out.replace(/\r/g, '').split('\n');
  const start = lines[0]?.trim();
  if (!start || !/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(start)) return undefined;
  const command = lines.slice(1).join('\n').trim();
  // An empty command line: the process belongs to another user (or is a system one); it cannot be the engine.
  return { start, zombie: false, argv: command ? splitWindowsCommandLine(command) : [] };
}

/**
 * A command line split as the C runtime (and CommandLineToArgvW) splits it: white space separates arguments
 * outside double quotes; 2n backslashes before a quote are n backslashes and the quote toggles quoting, 2n+1
 * are n backslashes and a literal quote; other backslashes are literal (so `C:\dir\` stays as it is).
 */
export function splitWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
      inArg = true;
    } else if (c === '"') {
      // Inside quotes, "" is a literal quote (the CRT's rule since 2008).
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
      inArg = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) args.push(cur);
  return args;
}

export const TASKKILL_ARGS = (pid: number) => ['/PID', String(pid), '/T', '/F'];

export function win32Platform(facts: OsFacts): ProcessPlatform {
  // PowerShell takes a good fraction of a second to start; the Runs view checks live engines every 2 s.
  const asked = new Map<number, { at: number; info: ProcessInfo | undefined }>();
  const info = (pid: number, maxAgeMs = 0): ProcessInfo | undefined => {
    const prev = asked.get(pid);
    if (prev && maxAgeMs > 0 && Date.now() - prev.at <= maxAgeMs) return prev.info;
    const out = facts.run('powershell.exe', POWERSHELL_ARGS(pid));
    const now = out === undefined ? undefined : parseCimOutput(out);
    asked.set(pid, { at: Date.now(), info: now });
    return now;
  };
  const stop = (e: EngineIdentity, kind: StopKind): boolean => {
    if (kind === 'graceful') {
      facts.writeFile(path.win32.join(e.runDir, RUN_FILES.stopRequest), `${new Date().toISOString()}\n`);
      return true;
    }
    return facts.run('taskkill.exe', TASKKILL_ARGS(e.pid)) !== undefined;
  };
  return {
    name: 'win32',
    info,
    ownGroup: () => undefined,
    stop,
    // The tree went with the forced stop; after a clean exit the engine has ended its workers itself. Orphans of
    // a dead engine cannot be told from unrelated processes by pid alone, so none is touched.
    killLeftovers: () => false,
  };
}

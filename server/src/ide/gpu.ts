// The local GPU as nvidia-smi reports it. Asked once per server, asynchronously and with a short timeout, so a
// machine without a driver (or a hung driver) only means "no GPU known", never a slow editor.
//
// The server starts in the workspace, in Restricted Mode too, so the executable is found by absolute path and
// run from the temporary folder: on Windows a bare `nvidia-smi` is looked up in the working directory first,
// so a workspace carrying `nvidia-smi.exe` would have run it at server start; on other systems an empty or
// relative PATH entry means the working directory too. Nothing inside a workspace folder is ever run.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface GpuInfo {
  name: string;
  memoryBytes: number;
  count: number;
}

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` (MiB). */
export function parseNvidiaSmi(stdout: string): GpuInfo | undefined {
  const rows = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const i = l.lastIndexOf(',');
      return { name: l.slice(0, i).trim(), mib: Number(l.slice(i + 1).trim()) };
    })
    .filter((r) => r.name.length > 0 && Number.isFinite(r.mib) && r.mib > 0);
  if (rows.length === 0) return undefined;
  // Training runs on one device here, so the smallest card is the one that must fit.
  const smallest = rows.reduce((a, b) => (b.mib < a.mib ? b : a));
  return { name: smallest.name, memoryBytes: smallest.mib * 1024 * 1024, count: rows.length };
}

/** What finding nvidia-smi depends on; tests pass other platforms' facts. */
export interface HostFacts {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  isFile(p: string): boolean;
  /** Folders nothing is run from (the workspace folders). */
  untrusted: readonly string[];
}

export function localFacts(untrusted: readonly string[]): HostFacts {
  return {
    platform: process.platform,
    env: process.env,
    isFile: (p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    },
    untrusted,
  };
}

/**
 * The absolute path of nvidia-smi, or undefined. Windows: only where the NVIDIA driver installs it (System32
 * for current drivers, NVSMI under Program Files for older ones), never PATH, which may hold `.` or a workspace
 * folder. Elsewhere: absolute PATH entries outside the untrusted folders, then the usual driver locations.
 */
export function findNvidiaSmi(f: HostFacts): string | undefined {
  const win = f.platform === 'win32';
  const p = win ? path.win32 : path.posix;
  const inside = (file: string, dir: string): boolean => {
    const rel = p.relative(p.resolve(dir), p.resolve(file));
    return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
  };
  const candidates: string[] = [];
  if (win) {
    candidates.push(p.join(f.env.SystemRoot ?? f.env.windir ?? 'C:\\Windows', 'System32', 'nvidia-smi.exe'));
    candidates.push(
      p.join(
        f.env.ProgramW6432 ?? f.env.ProgramFiles ?? 'C:\\Program Files',
        'NVIDIA Corporation',
        'NVSMI',
        'nvidia-smi.exe',
      ),
    );
  } else {
    for (const dir of (f.env.PATH ?? '').split(':')) if (p.isAbsolute(dir)) candidates.push(p.join(dir, 'nvidia-smi'));
    candidates.push('/usr/bin/nvidia-smi', '/usr/local/nvidia/bin/nvidia-smi', '/usr/lib/wsl/lib/nvidia-smi');
  }
  const fold = (s: string): string => (win ? s.toLowerCase() : s);
  return candidates.find((c) => p.isAbsolute(c) && !f.untrusted.some((d) => inside(fold(c), fold(d))) && f.isFile(c));
}

export type ExecFile = (
  file: string,
  args: string[],
  options: { cwd: string; timeout: number; windowsHide: boolean },
  done: (err: Error | null, stdout: string) => void,
) => void;

export interface DetectOptions {
  timeoutMs?: number;
  facts?: HostFacts;
  /** Folders nothing is run from, when `facts` is not given. */
  untrusted?: readonly string[];
  exec?: ExecFile;
}

const nodeExec: ExecFile = (file, args, options, done) =>
  execFile(file, args, options, (err, stdout) => done(err, String(stdout)));

export function detectGpu(o: DetectOptions = {}): Promise<GpuInfo | undefined> {
  return new Promise((resolve) => {
    try {
      const exe = findNvidiaSmi(o.facts ?? localFacts(o.untrusted ?? []));
      if (!exe) return resolve(undefined);
      (o.exec ?? nodeExec)(
        exe,
        ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'],
        { cwd: tmpdir(), timeout: o.timeoutMs ?? 3000, windowsHide: true },
        (err, stdout) => resolve(err ? undefined : parseNvidiaSmi(stdout)),
      );
    } catch {
      resolve(undefined);
    }
  });
}

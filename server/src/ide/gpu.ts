// The local GPU as nvidia-smi reports it. Asked once per server, asynchronously and with a short timeout, so a
// machine without a driver (or a hung driver) only means "no GPU known", never a slow editor.
import { execFile } from 'node:child_process';

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

export function detectGpu(timeoutMs = 3000): Promise<GpuInfo | undefined> {
  return new Promise((resolve) => {
    try {
      execFile(
        'nvidia-smi',
        ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'],
        { timeout: timeoutMs, windowsHide: true },
        (err, stdout) => resolve(err ? undefined : parseNvidiaSmi(String(stdout))),
      );
    } catch {
      resolve(undefined);
    }
  });
}

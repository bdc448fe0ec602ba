// Server settings, from initializationOptions (any client) or the `srlm` configuration section (VS Code).

export interface ServerSettings {
  /** Pause after the last keystroke before diagnostics run. */
  diagnosticsDelayMs: number;
  /** GPU memory to check estimates against when nvidia-smi is absent (pipeline `gpu_memory` wins). */
  gpuMemoryGiB?: number;
  /** Ask nvidia-smi for the local GPU at start-up. */
  detectGpu: boolean;
}

export const DEFAULT_SETTINGS: ServerSettings = { diagnosticsDelayMs: 150, detectGpu: true };

export function readSettings(raw: unknown, base: ServerSettings): ServerSettings {
  if (typeof raw !== 'object' || raw === null) return base;
  const r = raw as Record<string, unknown>;
  const out = { ...base };
  if (typeof r.diagnosticsDelayMs === 'number' && r.diagnosticsDelayMs >= 0)
    out.diagnosticsDelayMs = r.diagnosticsDelayMs;
  // The VS Code setting uses 0 for "none".
  if (typeof r.gpuMemoryGiB === 'number') out.gpuMemoryGiB = r.gpuMemoryGiB > 0 ? r.gpuMemoryGiB : undefined;
  if (r.gpuMemoryGiB === null) out.gpuMemoryGiB = undefined;
  if (typeof r.detectGpu === 'boolean') out.detectGpu = r.detectGpu;
  return out;
}

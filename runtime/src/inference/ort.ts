// Loads onnxruntime-node on first use only: its native binary costs ~100 ms and memory, and most editor sessions
// never generate. Nothing in the extension may import this module's target statically.
import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;
export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu';
export type ProviderPreference = 'auto' | ExecutionProviderName;

let cached: Ort | undefined;

export function loadOrt(): Ort {
  // A plain require keeps the package external to the bundle (esbuild.mjs) and defers the native load to here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= require('onnxruntime-node') as Ort;
  return cached;
}

export function isOrtLoaded(): boolean {
  return cached !== undefined;
}

/** Providers to try in order; 'auto' tries accelerators the installed binding reports, then the CPU. */
export function providerCandidates(ort: Ort, preference: ProviderPreference): ExecutionProviderName[] {
  if (preference === 'cpu') return ['cpu'];
  if (preference !== 'auto') return [preference, 'cpu'];
  const available = new Set(ort.listSupportedBackends().map((b) => b.name));
  const order: ExecutionProviderName[] = ['cuda', 'webgpu'];
  return [...order.filter((p) => available.has(p)), 'cpu'];
}

export interface LoadedSession {
  readonly session: OrtModule.InferenceSession;
  readonly provider: ExecutionProviderName;
  /** Why preferred providers were skipped, for the log; empty when the first choice worked. */
  readonly fallbacks: string[];
}

export async function createSession(
  modelPath: string,
  preference: ProviderPreference = 'auto',
  threads?: number,
): Promise<LoadedSession> {
  const ort = loadOrt();
  const fallbacks: string[] = [];
  for (const provider of providerCandidates(ort, preference)) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
      });
      return { session, provider, fallbacks };
    } catch (err) {
      // CUDA needs binaries that ONNXRUNTIME_NODE_INSTALL=skip leaves out; falling back keeps generation usable.
      if (provider === 'cpu') throw err;
      fallbacks.push(`${provider}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error('no execution provider could load the model');
}

// Loads onnxruntime-node on first use only: its native binary costs ~100 ms and memory, and most editor sessions
// never generate. Nothing in the extension may import this module's target statically.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { ortUnavailableMessage } from './ortTargets';

export type Ort = typeof OrtModule;
export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu';
export type ProviderPreference = 'auto' | ExecutionProviderName;

let cached: Ort | undefined;

/** This installation cannot load onnxruntime-node (a universal or darwin-x64 package, or a broken binary). */
export class OrtUnavailableError extends Error {}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireOrt = (): Ort => require('onnxruntime-node') as Ort;

export function loadOrt(load: () => Ort = requireOrt): Ort {
  if (cached) return cached;
  // A plain require keeps the package external to the bundle (esbuild.mjs) and defers the native load to here.
  // Packages without the binaries (scripts/package-vsix.ts) fail here with MODULE_NOT_FOUND; a binary that
  // cannot be loaded (an older C library, a missing system DLL) fails with the loader's error: both mean no
  // generation in this build, said once, in words.
  try {
    cached = load();
  } catch (err) {
    throw new OrtUnavailableError(
      ortUnavailableMessage(process.platform, process.arch, err instanceof Error ? err.message : String(err)),
    );
  }
  return cached;
}

export function isOrtLoaded(): boolean {
  return cached !== undefined;
}

/**
 * Providers to try in order. 'auto' takes CUDA only when its provider library was installed beside the binding
 * (npm install without ONNXRUNTIME_NODE_INSTALL=skip on a CUDA machine), then the CPU. WebGPU is opt-in: the
 * binding lists it everywhere, but without a GPU adapter it fails noisily, and for small models it is rarely
 * faster than the CPU.
 */
export function providerCandidates(ort: Ort, preference: ProviderPreference): ExecutionProviderName[] {
  if (preference === 'cpu') return ['cpu'];
  if (preference !== 'auto') return [preference, 'cpu'];
  const cuda = ort.listSupportedBackends().some((b) => b.name === 'cuda') && cudaLibraryInstalled();
  return cuda ? ['cuda', 'cpu'] : ['cpu'];
}

function cudaLibraryInstalled(): boolean {
  try {
    const binding = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(binding, 'bin', `napi-v6`, process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(path.join(dir, lib));
  } catch {
    return false;
  }
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
        // Spinning intra-op threads hold cores while they wait. Next to a training run, the language server and
        // VS Code, that contention made decoding 4× slower in bench/inference; sleeping workers cost ~nothing.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
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

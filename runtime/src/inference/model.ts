// One ONNX causal LM session with an explicit KV cache: each call feeds new tokens plus the cache from the
// previous call and gets the grown cache back, so a decoding step costs one token, not the whole prefix.
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { findExportDir, readManifest, type OnnxManifest } from './manifest';
import { createSession, loadOrt, type ExecutionProviderName, type ProviderPreference } from './ort';

export interface KVCache {
  readonly length: number;
  readonly tensors: readonly Tensor[];
}

export interface StepOutput {
  /** Logits of the last fed position. */
  readonly logits: Float32Array;
  readonly cache: KVCache;
}

export interface LoadOptions {
  readonly provider?: ProviderPreference;
  readonly threads?: number;
}

export class OnnxCausalLM {
  private constructor(
    readonly exportDir: string,
    readonly manifest: OnnxManifest,
    private readonly session: InferenceSession,
    readonly provider: ExecutionProviderName,
    readonly providerFallbacks: readonly string[],
  ) {}

  static async load(checkpointOrExport: string, options: LoadOptions = {}): Promise<OnnxCausalLM> {
    const dir = findExportDir(checkpointOrExport);
    const manifest = readManifest(dir);
    const loaded = await createSession(path.join(dir, manifest.model), options.provider ?? 'auto', options.threads);
    return new OnnxCausalLM(dir, manifest, loaded.session, loaded.provider, loaded.fallbacks);
  }

  emptyCache(): KVCache {
    const ort = loadOrt();
    const { num_layers, num_kv_heads, head_dim } = this.manifest;
    const tensors: Tensor[] = [];
    for (let i = 0; i < 2 * num_layers; i++) {
      tensors.push(new ort.Tensor('float32', new Float32Array(0), [1, num_kv_heads, 0, head_dim]));
    }
    return { length: 0, tensors };
  }

  /** Feeds `ids` after `cache` (batch of one) and returns the last position's logits and the grown cache. */
  async step(ids: readonly number[], cache: KVCache): Promise<StepOutput> {
    const ort = loadOrt();
    const n = ids.length;
    const total = cache.length + n;
    const names = this.manifest.input_names;
    const feeds: Record<string, Tensor> = {
      [names[0]!]: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (x) => BigInt(x)),
        [1, n],
      ),
      [names[1]!]: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      [names[2]!]: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, (_, i) => BigInt(cache.length + i)),
        [1, n],
      ),
    };
    cache.tensors.forEach((t, i) => (feeds[names[3 + i]!] = t));
    const out = await this.session.run(feeds);
    const outNames = this.manifest.output_names;
    const logits = out[outNames[0]!]!;
    const vocab = logits.dims[2]!;
    const data = logits.data as Float32Array;
    const last = data.slice((n - 1) * vocab, n * vocab);
    return { logits: last, cache: { length: total, tensors: outNames.slice(1).map((k) => out[k]!) } };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

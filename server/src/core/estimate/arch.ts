// Model architecture facts read from a Hugging Face `config.json`, and the parameter count derived from them.
// Only decoder-only transformers of the Llama/Qwen2 family are modelled exactly (SwiGLU MLP, RMSNorm, GQA,
// rotary positions); other configs still give an estimate because the same fields exist under the same names.
import { table } from '../table';

export interface ModelArch {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  tiedEmbeddings: boolean;
  /** q/k/v projections carry a bias (Qwen2 does, Llama does not). */
  qkvBias: boolean;
  maxPositions?: number;
  modelType?: string;
  /** `torch_dtype` / `dtype` as stored in config.json, when present. */
  dtype?: string;
}

export interface ParamBreakdown {
  embedding: number;
  /** Separate output projection; 0 when tied to the embedding. */
  lmHead: number;
  perLayer: { attention: number; mlp: number; norms: number; total: number };
  layers: number;
  finalNorm: number;
  total: number;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * Reads the architecture from a parsed config.json. Returns undefined when the essential sizes are missing,
 * so callers can say "unknown" instead of estimating from garbage.
 */
export function archFromConfig(config: unknown): ModelArch | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  // Multimodal or wrapper configs nest the language model's config.
  const c = config as Record<string, unknown>;
  const inner = c.text_config ?? c.llm_config;
  if (num(c.hidden_size) === undefined && typeof inner === 'object' && inner !== null) {
    return archFromConfig(inner);
  }
  const hidden = num(c.hidden_size) ?? num(c.n_embd) ?? num(c.d_model);
  const layers = num(c.num_hidden_layers) ?? num(c.n_layer);
  const heads = num(c.num_attention_heads) ?? num(c.n_head);
  const vocab = num(c.vocab_size);
  if (hidden === undefined || layers === undefined || heads === undefined || vocab === undefined) return undefined;
  const kvHeads = num(c.num_key_value_heads) ?? heads;
  const headDim = num(c.head_dim) ?? Math.floor(hidden / heads);
  const intermediate = num(c.intermediate_size) ?? num(c.n_inner) ?? 4 * hidden;
  const modelType = typeof c.model_type === 'string' ? c.model_type : undefined;
  const dtypeRaw = c.torch_dtype ?? c.dtype;
  return {
    vocab,
    hidden,
    layers,
    heads,
    kvHeads,
    headDim,
    intermediate,
    tiedEmbeddings: c.tie_word_embeddings === true,
    qkvBias: c.attention_bias === true || modelType === 'qwen2' || modelType === 'qwen2_moe',
    maxPositions: num(c.max_position_embeddings),
    modelType,
    dtype: typeof dtypeRaw === 'string' ? dtypeRaw : undefined,
  };
}

/** Parameters of one linear layer d_in → d_out. */
function linear(dIn: number, dOut: number, bias: boolean): number {
  return dIn * dOut + (bias ? dOut : 0);
}

export function paramBreakdown(a: ModelArch): ParamBreakdown {
  const qDim = a.heads * a.headDim;
  const kvDim = a.kvHeads * a.headDim;
  const attention =
    linear(a.hidden, qDim, a.qkvBias) + 2 * linear(a.hidden, kvDim, a.qkvBias) + linear(qDim, a.hidden, false);
  const mlp = 3 * a.hidden * a.intermediate; // gate, up, down (SwiGLU), no biases
  const norms = 2 * a.hidden; // RMSNorm weight before attention and before the MLP
  const perLayerTotal = attention + mlp + norms;
  const embedding = a.vocab * a.hidden;
  const lmHead = a.tiedEmbeddings ? 0 : a.vocab * a.hidden;
  const finalNorm = a.hidden;
  return {
    embedding,
    lmHead,
    perLayer: { attention, mlp, norms, total: perLayerTotal },
    layers: a.layers,
    finalNorm,
    total: embedding + lmHead + a.layers * perLayerTotal + finalNorm,
  };
}

export function paramCount(a: ModelArch): number {
  return paramBreakdown(a).total;
}

/** The seven linear projections of a decoder layer with their (d_in, d_out), keyed by the HF module name. */
export function layerLinears(a: ModelArch): Record<string, [number, number]> {
  const qDim = a.heads * a.headDim;
  const kvDim = a.kvHeads * a.headDim;
  return {
    q_proj: [a.hidden, qDim],
    k_proj: [a.hidden, kvDim],
    v_proj: [a.hidden, kvDim],
    o_proj: [qDim, a.hidden],
    gate_proj: [a.hidden, a.intermediate],
    up_proj: [a.hidden, a.intermediate],
    down_proj: [a.intermediate, a.hidden],
  };
}

/**
 * LoRA adds A (r × d_in) and B (d_out × r) to every targeted projection of every layer. Unknown target names
 * (e.g. a typo) add nothing; the checker reports them, the estimate must not invent them.
 */
export function loraParamCount(a: ModelArch, rank: number, targets: readonly string[]): number {
  const lin = layerLinears(a);
  let perLayer = 0;
  for (const t of new Set(targets)) {
    if (t === 'all-linear' || t === 'all_linear') {
      for (const [dIn, dOut] of Object.values(lin)) perLayer += rank * (dIn + dOut);
      continue;
    }
    const dims = lin[t];
    if (dims) perLayer += rank * (dims[0] + dims[1]);
  }
  return perLayer * a.layers;
}

/** Bytes of K and V cached per generated or prompt token, over all layers. */
export function kvCacheBytesPerToken(a: ModelArch, bytesPerElement: number): number {
  return 2 * a.layers * a.kvHeads * a.headDim * bytesPerElement;
}

/** Well-known configs, used in tests and as the fallback when a hub model is not on disk. */
export const KNOWN_ARCHS: Readonly<Record<string, ModelArch>> = table({
  'Qwen/Qwen2.5-0.5B': {
    vocab: 151936,
    hidden: 896,
    layers: 24,
    heads: 14,
    kvHeads: 2,
    headDim: 64,
    intermediate: 4864,
    tiedEmbeddings: true,
    qkvBias: true,
    maxPositions: 32768,
    modelType: 'qwen2',
    dtype: 'bfloat16',
  },
  'Qwen/Qwen2.5-1.5B': {
    vocab: 151936,
    hidden: 1536,
    layers: 28,
    heads: 12,
    kvHeads: 2,
    headDim: 128,
    intermediate: 8960,
    tiedEmbeddings: true,
    qkvBias: true,
    maxPositions: 32768,
    modelType: 'qwen2',
    dtype: 'bfloat16',
  },
  'Qwen/Qwen2.5-7B': {
    vocab: 152064,
    hidden: 3584,
    layers: 28,
    heads: 28,
    kvHeads: 4,
    headDim: 128,
    intermediate: 18944,
    tiedEmbeddings: false,
    qkvBias: true,
    maxPositions: 131072,
    modelType: 'qwen2',
    dtype: 'bfloat16',
  },
});

/** Hub ids map to a known architecture regardless of the -Instruct / -Math suffixes that share one shape. */
export function knownArch(source: string): ModelArch | undefined {
  const exact = KNOWN_ARCHS[source];
  if (exact) return exact;
  const base = source.replace(/-(Instruct|Math|Coder)$/i, '').replace(/-(Math|Coder)-/i, '-');
  if (KNOWN_ARCHS[base]) return KNOWN_ARCHS[base];
  if (/DeepSeek-R1-Distill-Qwen-7B/i.test(source)) return { ...KNOWN_ARCHS['Qwen/Qwen2.5-7B']!, vocab: 152064 };
  return undefined;
}

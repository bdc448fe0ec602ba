// Peak GPU memory of one training stage, built up from the tensors that are alive at the same moment.
// The derivation (and every constant below) is explained in docs/memory-estimator.md; keep the two in step.
import { type ModelArch, kvCacheBytesPerToken, loraParamCount, paramBreakdown, paramCount } from './arch';

export type Dtype = 'fp32' | 'bf16' | 'fp16';
export type Attention = 'sdpa' | 'eager' | 'flash_attention_2';

export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = { fp32: 4, bf16: 2, fp16: 2 };

/** Normalises the spellings found in config.json (`bfloat16`, `torch.float16`) and in .srlm (`bf16`). */
export function parseDtype(s: string | undefined): Dtype | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/^torch\./, '').toLowerCase();
  if (t === 'bf16' || t === 'bfloat16') return 'bf16';
  if (t === 'fp16' || t === 'float16' || t === 'half') return 'fp16';
  if (t === 'fp32' || t === 'float32' || t === 'float') return 'fp32';
  return undefined;
}

export interface PolicySpec {
  arch: ModelArch;
  /** Dtype the weights are loaded in. */
  weightDtype: Dtype;
  /**
   * Mixed precision: activations in 16 bits, AdamW moments in fp32, and an fp32 master copy when the weights
   * themselves are 16-bit. Without it everything (activations, grads, moments) lives in `weightDtype`.
   */
  mixedPrecision: boolean;
  lora?: { rank: number; targets: readonly string[] };
  gradCheckpointing: boolean;
  attention: Attention;
}

export interface StageMemorySpec {
  policy: PolicySpec;
  /** Sequences in one forward/backward micro-batch. */
  microBatch: number;
  /** Tokens per training sequence (prompt + completion); the padded worst case. */
  seqLen: number;
  /** KD: a frozen teacher whose logits are held beside the student's. */
  teacher?: { arch: ModelArch; dtype: Dtype };
  /** RL with kl > 0: a frozen reference copy of the policy. With LoRA the reference is the base model with
   * adapters switched off, so it costs nothing extra. */
  reference?: boolean;
  /** Dtype of the frozen reference copy; the policy's weight dtype when absent. */
  referenceDtype?: Dtype;
  /** Fused AdamW (the engine's choice on CUDA) updates in place; foreach AdamW needs an fp32 temporary. */
  fusedOptimizer?: boolean;
  /** RL rollouts and on-policy KD: `sequences` generated together, each `promptLen + newTokens` long. */
  generation?: { sequences: number; promptLen: number; newTokens: number };
  /**
   * RL training: the LM head runs on the last `positions` tokens of each sequence only (`logits_to_keep`) and the
   * per-token log-probs come from the engine's chunked selective log-softmax, so no full fp32 copy of the logits
   * exists (a KD regulariser still takes a full log-softmax of these logits). Absent: a full cross-entropy over
   * every token (SFT, KD).
   */
  selectiveLogits?: { positions: number };
  /**
   * SFT and KD with the losses fused with the LM head (`losses.fused_*`): the head runs inside the loss on chunks
   * of kept tokens, so only one chunk's logits (student and teacher) exist at a time. The engine does this for
   * the model families of FUSED_LOSS_MODEL_TYPES when the policy is not sharded.
   */
  fusedLoss?: boolean;
  /**
   * FSDP over this many ranks (`sharding = fsdp`): each GPU holds 1/N of the policy's weights, gradients, master
   * copy and AdamW moments. Activations, logits, the autocast weight casts (made from each layer's gathered
   * weights and saved for backward) and frozen models stay whole. 1 or absent: unsharded.
   */
  fsdpShards?: number;
}

export interface MemoryBreakdown {
  /** Policy parameters (all, trainable or frozen). */
  params: number;
  trainableParams: number;
  weights: number;
  masterWeights: number;
  optimizer: number;
  gradients: number;
  activations: number;
  logits: number;
  teacher: number;
  reference: number;
  kvCache: number;
  optimizerStep: number;
  /** Autocast over fp32 weights: the bf16 copies of the weights that matmuls save for backward. */
  castWeights: number;
  /** Which phase sets the peak: the training forward/backward, the rollout, or the optimizer step. */
  peakPhase: 'train' | 'generate' | 'step';
  /** Comparable to torch.cuda.max_memory_allocated(). */
  peak: number;
  /** Peak plus the CUDA context and allocator slack: compare this with the card's memory. */
  peakWithOverhead: number;
}

/** Vocabulary entries per fp32 working chunk of the engine's selective log-softmax (`losses.CHUNK_ELEMS`). */
export const LOGPROB_CHUNK_ELEMS = 2 ** 26;

/** Model types whose SFT/KD losses the engine fuses with the LM head (`heads.FUSABLE_MODEL_TYPES`). */
export const FUSED_LOSS_MODEL_TYPES: readonly string[] = ['qwen2', 'qwen3', 'llama', 'mistral'];
/** Logit entries per chunk of the fused losses (`losses.FUSED_CHUNK_ELEMS`). */
export const FUSED_CHUNK_ELEMS = 2 ** 25;
/**
 * fp32 chunk-sized tensors alive at once inside a fused loss's chunk (logits, log-probabilities, gradients; KD
 * adds the teacher's, the mixture's and the KL terms). Calibrated from the CPU measurement in
 * docs/BENCHMARKS.md (peak RSS growth less the head's gradient, over one chunk's fp32 size).
 */
export const FUSED_CE_CHUNK_TENSORS = 4;
export const FUSED_KD_CHUNK_TENSORS = 15;

/** CUDA context + cuBLAS/cuDNN workspaces as seen by nvidia-smi but not by PyTorch's allocator. */
export const CUDA_CONTEXT_BYTES = 600 * 1024 ** 2;
/** Caching-allocator fragmentation, as a fraction of the allocated peak. */
export const FRAGMENTATION = 0.05;

/** Bytes saved for backward per token, per decoder layer (see docs/memory-estimator.md §Activations). */
export function activationBytesPerTokenPerLayer(p: PolicySpec, seqLen: number): number {
  const a = p.arch;
  const act = p.mixedPrecision ? 2 : DTYPE_BYTES[p.weightDtype];
  const qDim = a.heads * a.headDim;
  const kvDim = a.kvHeads * a.headDim;
  // RMSNorm upcasts its input to fp32 (saved by pow/mul) and saves the cast-back output for the projections.
  const norm = 4 * a.hidden + (act < 4 ? act * a.hidden : 0);
  // SDPA/eager paths repeat K/V up to the query heads before the kernel, so the saved K/V are query-sized;
  // flash-attention-2 takes grouped K/V directly.
  const kvSaved = p.attention === 'flash_attention_2' ? kvDim : qDim;
  // q, k, v as saved by the attention kernel, its output, and the contiguous copy fed to o_proj.
  let attention = act * (3 * qDim + 2 * kvSaved) + 4 * a.heads; // + fp32 log-sum-exp per head
  if (p.attention === 'eager') {
    // Softmax output in fp32 (saved by softmax) plus its cast (saved by the matmul with V): heads × seq per token.
    attention += (4 + act) * a.heads * seqLen;
  }
  // SwiGLU: gate (for SiLU), SiLU output and up (for the product), product (for down_proj).
  const mlp = 4 * act * a.intermediate;
  return 2 * norm + attention + mlp;
}

export function estimateStageMemory(s: StageMemorySpec): MemoryBreakdown {
  const p = s.policy;
  const a = p.arch;
  const w = DTYPE_BYTES[p.weightDtype];
  const act = p.mixedPrecision ? 2 : w;
  const params = paramCount(a);
  const shards = Math.max(1, s.fsdpShards ?? 1);

  let trainable: number;
  let gradBytes: number;
  let masterBytes: number;
  let momentBytes: number;
  if (p.lora) {
    // peft keeps adapters in fp32 when the base is 16-bit (autocast_adapter_dtype), so no master copy.
    trainable = loraParamCount(a, p.lora.rank, p.lora.targets);
    gradBytes = 4;
    masterBytes = 0;
    momentBytes = 4;
  } else {
    trainable = params;
    gradBytes = w;
    masterBytes = p.mixedPrecision && w < 4 ? 4 : 0;
    momentBytes = p.mixedPrecision ? 4 : w;
  }

  const shard = (bytes: number) => Math.ceil(bytes / shards);
  const weights = shard(params * w + (p.lora ? trainable * 4 : 0));
  const masterWeights = shard(trainable * masterBytes);
  const optimizer = shard(2 * trainable * momentBytes);
  const gradients = shard(trainable * gradBytes);

  const tokens = s.microBatch * s.seqLen;
  const perLayer = activationBytesPerTokenPerLayer(p, s.seqLen);
  const finalNorm = 4 * a.hidden + (act < 4 ? act * a.hidden : 0);
  const layerStack = p.gradCheckpointing
    ? a.layers * act * a.hidden + perLayer // each layer keeps only its input; one layer is recomputed at a time
    : a.layers * perLayer;
  const activations = tokens * (layerStack + finalNorm);
  let logits: number;
  let logitTokens = tokens;
  if (s.selectiveLogits) {
    logitTokens = s.microBatch * s.selectiveLogits.positions;
    const entries = logitTokens * a.vocab;
    // Selective log-softmax: the logits (saved by it), the logits' gradient it writes in backward and the
    // full-width gradient of the slice that feeds the LM head, all in the activation dtype, plus at most three
    // fp32 working chunks. With a KD regulariser the full-softmax path below applies to these logits too.
    const chunks = 3 * 4 * Math.min(LOGPROB_CHUNK_ELEMS, entries);
    logits = entries * (s.teacher ? act + 12 : 3 * act) + chunks;
  } else if (s.fusedLoss) {
    // The kept tokens' hidden states (selected for the head) and their fp32 gradient, written in the forward;
    // then one chunk's working tensors. The head's own gradient is part of `gradients`.
    const rows = Math.max(1, Math.floor(FUSED_CHUNK_ELEMS / a.vocab));
    const chunk = Math.min(tokens, rows) * a.vocab * 4;
    logits = tokens * a.hidden * (act + 4) + chunk * (s.teacher ? FUSED_KD_CHUNK_TENSORS : FUSED_CE_CHUNK_TENSORS);
  } else {
    // Logits kept in the model output, fp32 log-softmax saved by the loss, and the fp32 gradient pair that
    // exists while backward passes through the loss.
    logits = tokens * a.vocab * (act + 4 + 8);
  }

  let teacher = 0;
  let teacherLogits = 0;
  if (s.teacher) {
    const t = s.teacher;
    teacher = paramCount(t.arch) * DTYPE_BYTES[t.dtype];
    teacherLogits = s.fusedLoss
      ? // Only the teacher's last hidden states; its logits are made a chunk at a time (counted above).
        logitTokens * t.arch.hidden * DTYPE_BYTES[t.dtype]
      : // Teacher logits and their fp32 log-probs, plus the fp32 mixture a JSD keeps for backward.
        logitTokens * t.arch.vocab * (DTYPE_BYTES[t.dtype] + 4 + 4);
  }
  const reference = s.reference && !p.lora ? params * DTYPE_BYTES[s.referenceDtype ?? p.weightDtype] : 0;

  let kvCache = 0;
  let generate = 0;
  if (s.generation) {
    const g = s.generation;
    const kvBytes = kvCacheBytesPerToken(a, act);
    kvCache = g.sequences * (g.promptLen + g.newTokens) * kvBytes;
    // Per decoding step: the last position's logits in fp32 and the sampling probabilities; the prefill holds
    // one layer's MLP intermediates for every prompt token.
    const sampling = g.sequences * a.vocab * 4 * 2;
    const prefill = g.sequences * g.promptLen * 3 * act * a.intermediate;
    generate = kvCache + Math.max(sampling, prefill);
  }

  // Under autocast the fp32 weights are cast per forward and the 16-bit copies are saved for backward.
  const pb = paramBreakdown(a);
  const matmulParams = pb.total - pb.embedding - pb.lmHead + a.vocab * a.hidden;
  const castWeights = p.mixedPrecision && w === 4 ? 2 * matmulParams : 0;

  const persistent = weights + masterWeights + optimizer + teacher + reference;
  const train = gradients + activations + logits + teacherLogits + castWeights;
  // torch's foreach AdamW allocates an fp32 temporary per trainable tensor during the update; fused does not.
  const optimizerStep = gradients + (s.fusedOptimizer ? 0 : shard(trainable * 4));
  const phases: Array<[MemoryBreakdown['peakPhase'], number]> = [
    ['train', train],
    ['generate', generate],
    ['step', optimizerStep],
  ];
  const [peakPhase, phaseBytes] = phases.reduce((best, cur) => (cur[1] > best[1] ? cur : best));
  const peak = persistent + phaseBytes;
  return {
    params,
    trainableParams: trainable,
    weights,
    masterWeights,
    optimizer,
    gradients,
    activations,
    logits: logits + teacherLogits,
    teacher,
    reference,
    kvCache,
    optimizerStep,
    castWeights,
    peakPhase,
    peak,
    peakWithOverhead: Math.round(peak * (1 + FRAGMENTATION)) + CUDA_CONTEXT_BYTES,
  };
}

export const GIB = 1024 ** 3;

export function formatBytes(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

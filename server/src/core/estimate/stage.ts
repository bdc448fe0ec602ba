// From a stage's resolved fields (the plan's `stages[i].config`) to memory and time estimates.
// Defaults mirror docs/plan.md so a partially written stage still gets an estimate while the user types.
import { type ModelArch, loraParamCount, paramCount } from './arch';
import {
  type Attention,
  type Dtype,
  FUSED_LOSS_MODEL_TYPES,
  type MemoryBreakdown,
  estimateStageMemory,
  parseDtype,
} from './memory';
import { type DeviceProfile, type TimeEstimate, estimateStageTime } from './time';

export interface StageEstimateInput {
  kind: 'sft' | 'kd' | 'rl';
  /** Field values by name; nested blocks (`lora`, `kd`, `mix`) as nested records. */
  config: Readonly<Record<string, unknown>>;
  policy: ModelArch;
  /** The model's `dtype` field (`auto`, `bf16`, …). */
  policyDtype?: string;
  attention?: string;
  teacher?: ModelArch;
  teacherDtype?: string;
  /** Pipeline `precision`. */
  precision?: string;
  /** Overrides the mixed-precision reading of `precision`: false models pure 16-bit training (16-bit moments,
   * no master copy), which is what a plain AdamW over bf16 weights does. */
  mixedPrecision?: boolean;
  /** Longest prompt in tokens (RL rollouts, on-policy KD); 256 when unknown. */
  promptLen?: number;
  /** Longest row (prompt + completion) in tokens, when the dataset was sampled: batches pad to their longest
   * row, not to max_len. */
  rowTokens?: number;
  /** Rows in the stage's dataset, to turn epochs into steps. */
  datasetRows?: number;
  /** Fused AdamW (default, as the engine uses on CUDA). */
  fusedOptimizer?: boolean;
  /** Pipeline `processes`: ranks on this machine, one per GPU (1 when absent). */
  processes?: number;
  /** Pipeline `sharding` (`none` when absent). */
  sharding?: string;
}

export interface StageEstimate {
  memory: MemoryBreakdown;
  trainableParams: number;
  totalParams: number;
  /** Undefined when the step count cannot be known (epochs over a dataset of unknown size). */
  time?: TimeEstimate;
  steps?: number;
  assumptions: string[];
  /** Ranks the stage trains on; memory and time are per GPU when above 1. */
  ranks: number;
  /** Whether the policy is sharded (FSDP over `ranks`) rather than replicated. */
  sharded: boolean;
}

const DEFAULT_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'];
export const DEFAULT_PROMPT_TOKENS = 256;

function n(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}
function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The engine's reading of a model's `dtype` (runtime/python/srlm_engine/models.py, pick_dtype): `auto` keeps a
 * trained model in fp32 (master weights; bf16 compute comes from autocast) and loads a frozen teacher or
 * reference in bf16.
 */
export function resolveDtype(field: string | undefined, trainable: boolean): Dtype {
  return parseDtype(field) ?? (trainable ? 'fp32' : 'bf16');
}

function attentionOf(s: string | undefined): Attention {
  return s === 'eager' || s === 'flash_attention_2' ? s : 'sdpa';
}

export function estimateStage(input: StageEstimateInput, device: DeviceProfile): StageEstimate {
  const c = input.config;
  const assumptions: string[] = [];
  const weightDtype = resolveDtype(input.policyDtype, true);
  const precision = input.precision ?? 'auto';
  const mixedPrecision = input.mixedPrecision ?? precision !== 'fp32';
  const loraBlock = rec(c.lora);
  const lora = loraBlock
    ? {
        rank: n(loraBlock.rank, 16),
        targets: Array.isArray(loraBlock.targets)
          ? loraBlock.targets.filter((t): t is string => typeof t === 'string')
          : DEFAULT_LORA_TARGETS,
      }
    : undefined;
  const gradCheckpointing = c.grad_checkpointing === true;
  const ranks = Math.max(1, Math.floor(n(input.processes, 1)));
  // The engine refuses LoRA under FSDP (the checker says so), so such a stage is estimated replicated.
  const sharded = input.sharding === 'fsdp' && ranks > 1 && !lora;
  const policy = {
    arch: input.policy,
    weightDtype,
    mixedPrecision,
    lora,
    gradCheckpointing,
    attention: attentionOf(input.attention),
  };

  let microBatch: number;
  let seqLen: number;
  let tokensPerStep: number;
  let steps: number | undefined;
  let generation: { sequences: number; promptLen: number; newTokens: number } | undefined;
  let teacher: { arch: ModelArch; dtype: Dtype } | undefined;
  let reference = false;
  let selectiveLogits: { positions: number } | undefined;
  let updatesPerBatch = 1;
  const promptLen = input.promptLen ?? DEFAULT_PROMPT_TOKENS;
  if (input.promptLen === undefined && (input.kind === 'rl' || n(c.on_policy, 0) > 0)) {
    assumptions.push(`prompts of ${DEFAULT_PROMPT_TOKENS} tokens`);
  }

  if (input.kind === 'rl') {
    const prompts = n(c.prompts_per_step, 8);
    const group = n(c.group, 8);
    const newTokens = n(c.max_new_tokens, 512);
    // 0 or absent: the schema's derived default, one prompt's group (server/src/core/schema/blocks.ts).
    const batch = n(c.batch_size, 0) > 0 ? n(c.batch_size, 0) : group;
    // Each rank generates and trains on its own prompts_per_step / processes prompts (rounded up where the
    // checker reports a remainder), sharded or not.
    const sequences = Math.ceil(prompts / ranks) * group;
    microBatch = Math.min(batch, sequences);
    seqLen = promptLen + newTokens;
    tokensPerStep = sequences * seqLen;
    steps = n(c.steps, 100);
    updatesPerBatch = n(c.updates_per_batch, 1);
    generation = { sequences, promptLen, newTokens };
    // The engine computes logits for the completion positions only (+1: the last prompt token predicts the first).
    selectiveLogits = { positions: newTokens + 1 };
    reference = n(c.kl, 0.04) > 0;
    const kd = rec(c.kd);
    if (kd && input.teacher) teacher = { arch: input.teacher, dtype: resolveDtype(input.teacherDtype, false) };
  } else {
    microBatch = n(c.batch_size, 8);
    const maxLen = n(c.max_len, 2048);
    if (input.rowTokens !== undefined) {
      seqLen = Math.max(1, Math.min(maxLen, Math.round(input.rowTokens)));
      assumptions.push(`batches padded to the longest sampled row, ≈ ${seqLen} tokens`);
    } else {
      seqLen = maxLen;
      assumptions.push(`every sequence padded to max_len ${seqLen}`);
    }
    const accum = n(c.grad_accum, 1);
    tokensPerStep = microBatch * accum * seqLen;
    if (typeof c.steps === 'number') steps = c.steps;
    else if (input.datasetRows !== undefined) {
      // A step takes one batch on every rank, so an epoch has 1/processes as many steps.
      steps = Math.ceil((n(c.epochs, 1) * input.datasetRows) / (microBatch * accum * ranks));
    }
    if (input.kind === 'kd') {
      if (input.teacher) teacher = { arch: input.teacher, dtype: resolveDtype(input.teacherDtype, false) };
      const onPolicy = n(c.on_policy, 0);
      if (onPolicy > 0) generation = { sequences: microBatch, promptLen, newTokens: n(c.max_new_tokens, 256) };
    }
  }

  // SFT/KD losses run the LM head inside the loss for the families the engine knows (runtime heads.py), and
  // not under FSDP or with a LoRA-wrapped head.
  const fusable = (arch: ModelArch | undefined) =>
    arch?.modelType !== undefined && FUSED_LOSS_MODEL_TYPES.includes(arch.modelType);
  const fusedLoss =
    input.kind !== 'rl' &&
    !sharded &&
    !lora?.targets.includes('lm_head') &&
    fusable(input.policy) &&
    (teacher === undefined || fusable(teacher.arch));
  const memory = estimateStageMemory({
    policy,
    microBatch,
    seqLen,
    teacher,
    reference,
    // The reference is a second load of the same model, frozen: bf16 under `auto`.
    referenceDtype: resolveDtype(input.policyDtype, false),
    generation,
    selectiveLogits,
    fusedLoss,
    fusedOptimizer: input.fusedOptimizer ?? true,
    fsdpShards: sharded ? ranks : 1,
  });
  let time: TimeEstimate | undefined;
  if (steps !== undefined) {
    time = estimateStageTime(
      {
        arch: input.policy,
        lora: lora !== undefined,
        gradCheckpointing,
        steps,
        tokensPerStep,
        seqLen,
        teacher: teacher?.arch,
        reference: reference && !lora,
        generation,
        updatesPerBatch,
      },
      device,
    );
  }
  return {
    memory,
    trainableParams: lora ? loraParamCount(input.policy, lora.rank, lora.targets) : paramCount(input.policy),
    totalParams: paramCount(input.policy),
    time,
    steps,
    assumptions,
    ranks,
    sharded,
  };
}

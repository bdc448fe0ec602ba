// Hand-computed cases for the estimator (docs/memory-estimator.md works the same numbers through).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FUSED_CE_CHUNK_TENSORS,
  FUSED_CHUNK_ELEMS,
  FUSED_KD_CHUNK_TENSORS,
  KNOWN_ARCHS,
  LOGPROB_CHUNK_ELEMS,
  activationBytesPerTokenPerLayer,
  archFromConfig,
  estimateStage,
  estimateStageMemory,
  forwardFlopsPerToken,
  knownArch,
  kvCacheBytesPerToken,
  loraParamCount,
  paramBreakdown,
  paramCount,
  DEFAULT_DEVICE,
  deviceProfileFor,
  type PolicySpec,
} from '../../server/src/core/estimate';

const qwen05 = KNOWN_ARCHS['Qwen/Qwen2.5-0.5B']!;
const qwen7 = KNOWN_ARCHS['Qwen/Qwen2.5-7B']!;

// The config.json of Qwen2.5-0.5B-Instruct, trimmed to the fields the estimator reads.
const qwen05Config = {
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 896,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 151936,
};

test('config.json of Qwen2.5-0.5B gives its architecture and 494,032,768 parameters', () => {
  const a = archFromConfig(qwen05Config);
  assert.ok(a);
  assert.equal(a.headDim, 64);
  assert.equal(a.qkvBias, true);
  assert.deepEqual(a, qwen05);
  const b = paramBreakdown(a);
  assert.equal(b.embedding, 151936 * 896);
  assert.equal(b.lmHead, 0);
  // q 896·896+896, k and v 896·128+128 each, o 896·896
  assert.equal(b.perLayer.attention, 803712 + 2 * 114816 + 802816);
  assert.equal(b.perLayer.mlp, 3 * 896 * 4864);
  assert.equal(b.perLayer.total, 14912384);
  assert.equal(b.total, 494032768);
});

test('Qwen2.5-7B has an untied head and 7,615,616,512 parameters', () => {
  assert.equal(paramCount(qwen7), 7615616512);
  assert.equal(paramBreakdown(qwen7).lmHead, 152064 * 3584);
});

test('configs without the essential sizes are refused, nested text configs are read', () => {
  assert.equal(archFromConfig({ hidden_size: 8 }), undefined);
  assert.equal(archFromConfig('nope'), undefined);
  assert.equal(archFromConfig({ text_config: qwen05Config })?.hidden, 896);
});

test('hub ids resolve to known architectures across -Instruct suffixes', () => {
  assert.equal(knownArch('Qwen/Qwen2.5-0.5B-Instruct'), qwen05);
  assert.equal(knownArch('deepseek-ai/DeepSeek-R1-Distill-Qwen-7B')?.vocab, 152064);
  assert.equal(knownArch('someone/unknown'), undefined);
});

test('LoRA rank 16 on q,k,v,o of Qwen2.5-0.5B adds 2,162,688 parameters; unknown targets add none', () => {
  assert.equal(loraParamCount(qwen05, 16, ['q_proj', 'k_proj', 'v_proj', 'o_proj']), 24 * 90112);
  assert.equal(loraParamCount(qwen05, 16, ['q_proj', 'nonsense']), 24 * 16 * (896 + 896));
});

test('KV cache of Qwen2.5-0.5B in bf16 is 12 KiB per token', () => {
  assert.equal(kvCacheBytesPerToken(qwen05, 2), 12288);
});

const fullBf16: PolicySpec = {
  arch: qwen05,
  weightDtype: 'bf16',
  mixedPrecision: true,
  gradCheckpointing: false,
  attention: 'sdpa',
};

test('activations per token per layer: norms 10,752 + attention 9,016 + MLP 38,912 bytes', () => {
  assert.equal(activationBytesPerTokenPerLayer(fullBf16, 1024), 58680);
  // eager attention adds (4+2)·heads·seq bytes per token for the saved softmax
  assert.equal(activationBytesPerTokenPerLayer({ ...fullBf16, attention: 'eager' }, 1024), 58680 + 6 * 14 * 1024);
  // flash-attention-2 keeps K and V grouped: 2·2·(896−128) bytes fewer
  assert.equal(activationBytesPerTokenPerLayer({ ...fullBf16, attention: 'flash_attention_2' }, 1024), 58680 - 4 * 768);
});

test('full SFT of Qwen2.5-0.5B, bf16 mixed, batch 1 × 1024: 16 bytes/param + activations + logits', () => {
  const P = 494032768;
  const m = estimateStageMemory({ policy: fullBf16, microBatch: 1, seqLen: 1024 });
  assert.equal(m.weights, 2 * P);
  assert.equal(m.masterWeights, 4 * P);
  assert.equal(m.optimizer, 8 * P);
  assert.equal(m.gradients, 2 * P);
  assert.equal(m.activations, 1024 * (24 * 58680 + 5376));
  assert.equal(m.logits, 1024 * 151936 * 14);
  assert.equal(m.peakPhase, 'train');
  assert.equal(m.peak, 16 * P + 1024 * (24 * 58680 + 5376) + 1024 * 151936 * 14);
  assert.equal(m.peak, 11530303488);
  assert.ok(m.peakWithOverhead > m.peak);
});

test('gradient checkpointing keeps one hidden state per layer plus one recomputed layer', () => {
  const m = estimateStageMemory({ policy: { ...fullBf16, gradCheckpointing: true }, microBatch: 1, seqLen: 1024 });
  assert.equal(m.activations, 1024 * (24 * 2 * 896 + 58680 + 5376));
});

test('LoRA: frozen bf16 base, fp32 adapters with fp32 grads and moments, no master copy, free reference', () => {
  const P = 494032768;
  const L = 2162688;
  const m = estimateStageMemory({
    policy: { ...fullBf16, lora: { rank: 16, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] } },
    microBatch: 1,
    seqLen: 1024,
    reference: true,
  });
  assert.equal(m.trainableParams, L);
  assert.equal(m.weights, 2 * P + 4 * L);
  assert.equal(m.masterWeights, 0);
  assert.equal(m.optimizer, 8 * L);
  assert.equal(m.gradients, 4 * L);
  assert.equal(m.reference, 0);
});

test('RL: a full-parameter policy pays for a bf16 reference and the rollout KV cache', () => {
  const P = 494032768;
  const m = estimateStageMemory({
    policy: fullBf16,
    microBatch: 64,
    seqLen: 768,
    reference: true,
    generation: { sequences: 64, promptLen: 256, newTokens: 512 },
  });
  assert.equal(m.reference, 2 * P);
  assert.equal(m.kvCache, 64 * 768 * 12288);
});

test('KD: the teacher weights and its logits are added', () => {
  const without = estimateStageMemory({ policy: fullBf16, microBatch: 2, seqLen: 512 });
  const withT = estimateStageMemory({
    policy: fullBf16,
    microBatch: 2,
    seqLen: 512,
    teacher: { arch: qwen7, dtype: 'bf16' },
  });
  assert.equal(withT.teacher, 2 * 7615616512);
  assert.equal(withT.logits - without.logits, 2 * 512 * 152064 * (2 + 4 + 4));
});

test('pure fp32 training: 16 bytes per parameter without a master copy', () => {
  const P = 494032768;
  const m = estimateStageMemory({
    policy: { ...fullBf16, weightDtype: 'fp32', mixedPrecision: false },
    microBatch: 1,
    seqLen: 8,
  });
  assert.equal(m.weights + m.masterWeights + m.optimizer + m.gradients, 16 * P);
  assert.equal(m.masterWeights, 0);
});

test('forward FLOPs per token: 2 × matmul parameters + causal attention', () => {
  assert.equal(forwardFlopsPerToken(qwen05, 1024), 2 * 494032768 + 4 * 24 * 14 * 64 * 512);
  // untied head: the LM head is counted once, the embedding lookup not at all
  assert.equal(forwardFlopsPerToken(qwen7, 0), 2 * (7615616512 - 152064 * 3584));
});

test('stage estimate from fields: LoRA SFT with steps gets time; epochs without a row count do not', () => {
  const withSteps = estimateStage(
    {
      kind: 'sft',
      config: { steps: 100, batch_size: 4, max_len: 1024, lora: { rank: 16 } },
      policy: qwen05,
      policyDtype: 'bf16',
    },
    DEFAULT_DEVICE,
  );
  assert.equal(withSteps.trainableParams, 2162688);
  assert.ok(withSteps.time && withSteps.time.seconds > 0);
  // 100 steps × 4096 tokens × 2 passes × forward FLOPs at 35% of 312 TFLOP/s
  const expected = (100 * 4096 * 2 * forwardFlopsPerToken(qwen05, 1024)) / (312e12 * 0.35);
  assert.ok(Math.abs(withSteps.time.trainSeconds - expected) < 1e-9);
  const epochs = estimateStage({ kind: 'sft', config: { epochs: 4 }, policy: qwen05 }, DEFAULT_DEVICE);
  assert.equal(epochs.time, undefined);
  const rows = estimateStage(
    { kind: 'sft', config: { epochs: 2, batch_size: 8 }, policy: qwen05, datasetRows: 100 },
    DEFAULT_DEVICE,
  );
  assert.equal(rows.steps, 25);
});

test('RL stage: the reference model follows kl, rollouts take time, prompt length is an assumption', () => {
  const base = { kind: 'rl' as const, policy: qwen05, policyDtype: 'bf16' };
  const withKl = estimateStage({ ...base, config: { kl: 0.04 } }, DEFAULT_DEVICE);
  const noKl = estimateStage({ ...base, config: { kl: 0 } }, DEFAULT_DEVICE);
  assert.equal(withKl.memory.reference - noKl.memory.reference, 2 * 494032768);
  assert.ok(withKl.time && withKl.time.generateSeconds > 0);
  assert.ok(withKl.assumptions.some((s) => s.includes('256')));
});

test('nvidia-smi product names pick a device profile', () => {
  assert.equal(deviceProfileFor('NVIDIA H100 80GB HBM3')?.name, 'H100');
  assert.equal(deviceProfileFor('NVIDIA GeForce RTX 4090')?.name, 'RTX 4090');
  assert.equal(deviceProfileFor('Quadro X'), undefined);
});

test('autocast over fp32 weights: 16 bytes/param, no master, plus the saved bf16 weight casts', () => {
  const P = 494032768;
  const m = estimateStageMemory({ policy: { ...fullBf16, weightDtype: 'fp32' }, microBatch: 1, seqLen: 8 });
  assert.equal(m.weights + m.masterWeights + m.optimizer + m.gradients, 16 * P);
  assert.equal(m.castWeights, 2 * P);
});

test('pure bf16 AdamW: 8 bytes per parameter', () => {
  const P = 494032768;
  const m = estimateStageMemory({ policy: { ...fullBf16, mixedPrecision: false }, microBatch: 1, seqLen: 8 });
  assert.equal(m.weights + m.masterWeights + m.optimizer + m.gradients, 8 * P);
});

test('engine defaults: dtype auto trains fp32 weights under autocast, loads the RL reference in bf16', () => {
  const P = 494032768;
  const e = estimateStage({ kind: 'rl', config: { kl: 0.04 }, policy: qwen05, policyDtype: 'auto' }, DEFAULT_DEVICE);
  assert.equal(e.memory.weights, 4 * P);
  assert.equal(e.memory.masterWeights, 0);
  assert.equal(e.memory.castWeights, 2 * P);
  assert.equal(e.memory.reference, 2 * P);
  // fused AdamW: the step needs no fp32 temporary beyond the gradients
  assert.equal(e.memory.optimizerStep, e.memory.gradients);
});

test('sampled row length replaces max_len as the padded length, capped by max_len', () => {
  const base = { kind: 'sft' as const, policy: qwen05, policyDtype: 'bf16', config: { max_len: 8192, batch_size: 2 } };
  const short = estimateStage({ ...base, rowTokens: 300 }, DEFAULT_DEVICE);
  const capped = estimateStage({ ...base, rowTokens: 20000 }, DEFAULT_DEVICE);
  const unknown = estimateStage(base, DEFAULT_DEVICE);
  // The engine fuses Qwen2's SFT loss with the LM head: the kept hidden states and their fp32 gradient, then
  // one chunk of FUSED_CHUNK_ELEMS logits (220 rows at this vocabulary) — not 2 × 300 × 151936 × 14 bytes.
  assert.equal(short.memory.logits, 600 * 896 * 6 + 220 * 151936 * 4 * FUSED_CE_CHUNK_TENSORS);
  assert.equal(capped.memory.logits, unknown.memory.logits);
  assert.ok(short.assumptions.some((a) => a.includes('300')));
});

test('RL logits: completion positions only, chunked selective log-softmax instead of a full fp32 log-softmax', () => {
  // Defaults: micro-batches of group = 8 sequences (one prompt's samples), 512 new tokens; mixed precision
  // (bf16 logits).
  const e = estimateStage({ kind: 'rl', config: { kl: 0 }, policy: qwen05, policyDtype: 'bf16' }, DEFAULT_DEVICE);
  const entries = 8 * 513 * 151936;
  assert.equal(e.memory.logits, entries * 3 * 2 + 12 * LOGPROB_CHUNK_ELEMS);
  // The full-softmax formula over prompt + completion is 2.8x larger (13.1 GB against 4.5 GB).
  assert.ok(8 * (256 + 512) * 151936 * 14 > 2.8 * e.memory.logits);
  // batch_size = 64, the whole generation batch in one micro-batch: eight times the logits, the fp32 working
  // chunks stay the same (104.6 GB for the full softmax against 30.7 GB).
  const whole = estimateStage(
    { kind: 'rl', config: { kl: 0, batch_size: 64 }, policy: qwen05, policyDtype: 'bf16' },
    DEFAULT_DEVICE,
  );
  assert.equal(whole.memory.logits, entries * 8 * 6 + 12 * LOGPROB_CHUNK_ELEMS);
  assert.ok(64 * (256 + 512) * 151936 * 14 > 3.4 * whole.memory.logits);
  // A tiny model never reaches a whole chunk.
  const tiny = estimateStageMemory({
    policy: fullBf16,
    microBatch: 1,
    seqLen: 10,
    selectiveLogits: { positions: 2 },
  });
  assert.equal(tiny.logits, 2 * 151936 * (6 + 12));
});

test('RL batch_size 0 or absent means group, one prompt per micro-batch, as the schema derives it', () => {
  const rl = (config: Record<string, unknown>) =>
    estimateStage({ kind: 'rl', config, policy: qwen05, policyDtype: 'bf16' }, DEFAULT_DEVICE).memory;
  const shape = { prompts_per_step: 3, group: 4, max_new_tokens: 64 };
  const byGroup = rl({ ...shape, batch_size: 4 });
  assert.deepEqual(rl(shape), byGroup);
  assert.deepEqual(rl({ ...shape, batch_size: 0 }), byGroup);
  assert.notDeepEqual(rl({ ...shape, batch_size: 12 }), byGroup, 'an explicit batch_size is kept');
  // Qwen2.5-0.5B at every default (fp32 weights under autocast, kl = 0.04): 8 × 768 tokens of activations.
  const d = estimateStage({ kind: 'rl', config: {}, policy: qwen05, policyDtype: 'auto' }, DEFAULT_DEVICE).memory;
  assert.equal(d.activations, 8 * 768 * (24 * 58680 + 5376));
  assert.equal(d.peak, 23112982016, 'the 23.1 GB (21.5 GiB) quoted in docs/memory-estimator.md');
});

test('RL with a KD regulariser: full-softmax logits term and teacher logits over completion positions', () => {
  const m = estimateStageMemory({
    policy: fullBf16,
    microBatch: 4,
    seqLen: 300,
    selectiveLogits: { positions: 100 },
    teacher: { arch: qwen05, dtype: 'bf16' },
  });
  const entries = 4 * 100 * 151936;
  // 60.8M entries: less than one chunk, so the fp32 working memory is 12 bytes per entry.
  assert.equal(m.logits, entries * (2 + 12) + 12 * entries + entries * (2 + 4 + 4));
});

test('FSDP over 4 GPUs: weights, master copy, gradients and moments are quartered; activations and logits are not', () => {
  const P = 494032768;
  const act = 1024 * (24 * 58680 + 5376);
  const logits = 1024 * 151936 * 14;
  const m = estimateStageMemory({ policy: fullBf16, microBatch: 1, seqLen: 1024, fsdpShards: 4 });
  assert.equal(m.weights, (2 * P) / 4);
  assert.equal(m.masterWeights, (4 * P) / 4);
  assert.equal(m.optimizer, (8 * P) / 4);
  assert.equal(m.gradients, (2 * P) / 4);
  assert.equal(m.activations, act);
  assert.equal(m.logits, logits);
  // 16 bytes per parameter over 4 GPUs, plus the unsharded micro-batch: 1.98 + 1.45 + 2.18 GB.
  assert.equal(m.peak, 4 * P + act + logits);
  assert.equal(m.peak, 5601910272);
});

test('processes and sharding: FSDP shards the policy only, replicas change nothing, RL prompts split by rank', () => {
  const P = 494032768;
  const rl = (extra: Partial<Parameters<typeof estimateStage>[0]>) =>
    estimateStage({ kind: 'rl', config: {}, policy: qwen05, policyDtype: 'auto', ...extra }, DEFAULT_DEVICE);
  const one = rl({});
  const fsdp = rl({ processes: 4, sharding: 'fsdp' });
  assert.equal(one.ranks, 1);
  assert.deepEqual([fsdp.ranks, fsdp.sharded], [4, true]);
  // fp32 weights under autocast: weights 4P, gradients 4P, moments 8P per rank become a quarter each; the bf16
  // weight casts (made from each gathered layer, saved for backward) and the bf16 reference stay whole.
  assert.equal(fsdp.memory.weights, P);
  assert.equal(fsdp.memory.gradients, P);
  assert.equal(fsdp.memory.optimizer, 2 * P);
  assert.equal(fsdp.memory.castWeights, 2 * P);
  assert.equal(fsdp.memory.reference, 2 * P);
  assert.equal(fsdp.memory.activations, one.memory.activations);
  assert.equal(fsdp.memory.logits, one.memory.logits);
  // Each rank decodes its own 8 / 4 = 2 prompts × 8 completions of 256 + 512 tokens.
  assert.equal(fsdp.memory.kvCache, 2 * 8 * 768 * 12288);
  assert.equal(one.memory.kvCache, 8 * 8 * 768 * 12288);
  assert.equal(fsdp.memory.peak, one.memory.peak - 12 * P);
  // Data parallel: the same per-GPU training peak as one process, only the rollout is split.
  const replicas = rl({ processes: 4, sharding: 'none' });
  assert.equal(replicas.sharded, false);
  assert.equal(replicas.memory.kvCache, fsdp.memory.kvCache);
  assert.deepEqual({ ...replicas.memory, kvCache: 0 }, { ...one.memory, kvCache: 0 });
  // SFT replicas: nothing per GPU changes; an epoch takes a quarter of the steps.
  const sft = (extra: Partial<Parameters<typeof estimateStage>[0]>) =>
    estimateStage(
      { kind: 'sft', config: { epochs: 1, batch_size: 8 }, policy: qwen05, datasetRows: 800, ...extra },
      DEFAULT_DEVICE,
    );
  assert.deepEqual(sft({ processes: 4 }).memory, sft({}).memory);
  assert.deepEqual([sft({}).steps, sft({ processes: 4 }).steps], [100, 25]);
  // LoRA under FSDP is refused by the engine (and the checker): estimated replicated.
  const lora = sft({ processes: 4, sharding: 'fsdp', config: { epochs: 1, batch_size: 8, lora: { rank: 16 } } });
  assert.equal(lora.sharded, false);
});

test('fused SFT/KD losses: one chunk of logits whatever the length; the full formula where the engine cannot fuse', () => {
  const rows = Math.floor(FUSED_CHUNK_ELEMS / 151936);
  const sft = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    estimateStage(
      { kind: 'sft', policy: qwen05, policyDtype: 'bf16', config: { batch_size: 1, ...config }, ...extra },
      DEFAULT_DEVICE,
    ).memory.logits;
  const chunk = rows * 151936 * 4 * FUSED_CE_CHUNK_TENSORS;
  assert.equal(sft({ max_len: 8192 }), 8192 * 896 * 6 + chunk);
  assert.equal(sft({ max_len: 1024 }), 1024 * 896 * 6 + chunk);
  // 8192 tokens: 17.4 GB of full-softmax logits become 0.58 GB.
  assert.ok(8192 * 151936 * 14 > 20 * sft({ max_len: 8192 }));
  // FSDP, a LoRA-adapted head and an unknown model family keep the full cross-entropy.
  const full = 8192 * 151936 * 14;
  assert.equal(sft({ max_len: 8192 }, { processes: 2, sharding: 'fsdp' }), full);
  assert.equal(sft({ max_len: 8192, lora: { rank: 8, targets: ['q_proj', 'lm_head'] } }), full);
  assert.equal(sft({ max_len: 8192 }, { policy: { ...qwen05, modelType: 'gemma2' } }), full);
  // KD with a Qwen2.5-7B teacher at 2 × 8192 tokens: the teacher contributes its hidden states, not 152,064-wide
  // logits, and the chunk holds KD's larger working set.
  const kd = estimateStage(
    {
      kind: 'kd',
      policy: qwen05,
      policyDtype: 'bf16',
      teacher: qwen7,
      config: { batch_size: 2, max_len: 8192 },
    },
    DEFAULT_DEVICE,
  ).memory.logits;
  assert.equal(kd, 16384 * 896 * 6 + rows * 151936 * 4 * FUSED_KD_CHUNK_TENSORS + 16384 * 3584 * 2);
});

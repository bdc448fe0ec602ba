// Wall-clock estimate of a stage from its arithmetic (training) and its memory traffic (decoding).
// Deliberately coarse: it answers "minutes or days?", and docs/memory-estimator.md says how it is derived.
import { type ModelArch, paramBreakdown } from './arch';

export interface DeviceProfile {
  name: string;
  /** Dense bf16 tensor-core peak, TFLOP/s. */
  peakTflops: number;
  /** Memory bandwidth, GB/s. */
  bandwidthGBs: number;
  /** Model FLOPs utilisation reached by an eager PyTorch training loop. */
  mfu: number;
  /** Python and kernel-launch cost of one `generate` step, seconds; dominates for small models. */
  stepOverheadS: number;
  memoryGiB: number;
}

export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  { name: 'H200', peakTflops: 989, bandwidthGBs: 4800, mfu: 0.3, stepOverheadS: 0.02, memoryGiB: 141 },
  { name: 'H100', peakTflops: 989, bandwidthGBs: 3350, mfu: 0.3, stepOverheadS: 0.02, memoryGiB: 80 },
  { name: 'A100', peakTflops: 312, bandwidthGBs: 1555, mfu: 0.35, stepOverheadS: 0.02, memoryGiB: 80 },
  { name: 'L40S', peakTflops: 362, bandwidthGBs: 864, mfu: 0.3, stepOverheadS: 0.02, memoryGiB: 48 },
  { name: 'RTX 4090', peakTflops: 165, bandwidthGBs: 1008, mfu: 0.35, stepOverheadS: 0.02, memoryGiB: 24 },
  { name: 'L4', peakTflops: 121, bandwidthGBs: 300, mfu: 0.3, stepOverheadS: 0.025, memoryGiB: 24 },
  { name: 'T4', peakTflops: 65, bandwidthGBs: 320, mfu: 0.3, stepOverheadS: 0.03, memoryGiB: 16 },
];

/** Used when no GPU is detected: estimates are then stated "on an A100-class GPU". */
export const DEFAULT_DEVICE: DeviceProfile = DEVICE_PROFILES[2]!;

/** Picks the profile whose name occurs in an `nvidia-smi` product name such as "NVIDIA H100 80GB HBM3". */
export function deviceProfileFor(gpuName: string | undefined): DeviceProfile | undefined {
  if (!gpuName) return undefined;
  const n = gpuName.toUpperCase();
  return DEVICE_PROFILES.find((d) => n.includes(d.name.toUpperCase()));
}

/** Matmul FLOPs of one forward pass per token: every linear layer including the LM head, plus attention. */
export function forwardFlopsPerToken(a: ModelArch, contextLen: number): number {
  const b = paramBreakdown(a);
  // The embedding lookup costs no FLOPs, but the LM head's matmul runs whether or not it is tied.
  const matmulParams = b.total - b.embedding - b.lmHead + a.vocab * a.hidden;
  // QKᵀ and AV: 2·2·d per attended position and head; causal attention sees on average half the context.
  const attention = 4 * a.layers * a.heads * a.headDim * (contextLen / 2);
  return 2 * matmulParams + attention;
}

export interface StageTimeSpec {
  arch: ModelArch;
  lora: boolean;
  gradCheckpointing: boolean;
  /** Optimizer steps and tokens trained per step (batch × accumulation × sequence length). */
  steps: number;
  tokensPerStep: number;
  seqLen: number;
  teacher?: ModelArch;
  reference?: boolean;
  /** RL rollouts / on-policy KD: decoded per step. */
  generation?: { sequences: number; promptLen: number; newTokens: number };
  /** RL passes over each generation batch (μ). */
  updatesPerBatch?: number;
}

export interface TimeEstimate {
  seconds: number;
  trainSeconds: number;
  generateSeconds: number;
  device: string;
}

export function estimateStageTime(s: StageTimeSpec, d: DeviceProfile): TimeEstimate {
  const fwd = forwardFlopsPerToken(s.arch, s.seqLen);
  // Full fine-tuning: backward costs two forwards (activation and weight gradients); LoRA skips almost all
  // weight gradients; checkpointing recomputes the forward once.
  const passes = (s.lora ? 2 : 3) + (s.gradCheckpointing ? 1 : 0);
  let flopsPerStep = fwd * passes * s.tokensPerStep * (s.updatesPerBatch ?? 1);
  if (s.teacher) flopsPerStep += forwardFlopsPerToken(s.teacher, s.seqLen) * s.tokensPerStep;
  if (s.reference) flopsPerStep += fwd * s.tokensPerStep;
  const trainSeconds = (flopsPerStep * s.steps) / (d.peakTflops * 1e12 * d.mfu);

  let generateSeconds = 0;
  if (s.generation) {
    const g = s.generation;
    const b = paramBreakdown(s.arch);
    const weightBytes = b.total * 2;
    // Each decoding step streams the weights once for the whole batch, or is bound by compute for big batches,
    // and never beats the framework's per-step overhead.
    const computePerStep =
      (g.sequences * forwardFlopsPerToken(s.arch, g.promptLen + g.newTokens / 2)) / (d.peakTflops * 1e12 * d.mfu);
    const memoryPerStep = weightBytes / (d.bandwidthGBs * 1e9);
    const perStep = Math.max(computePerStep, memoryPerStep, d.stepOverheadS);
    const prefill =
      (g.sequences * g.promptLen * forwardFlopsPerToken(s.arch, g.promptLen)) / (d.peakTflops * 1e12 * d.mfu);
    generateSeconds = s.steps * (g.newTokens * perStep + prefill);
  }
  return { seconds: trainSeconds + generateSeconds, trainSeconds, generateSeconds, device: d.name };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

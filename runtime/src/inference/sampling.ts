// Token choice from one row of logits: log-probabilities and entropy of the model's distribution, greedy and
// temperature/top-p sampling with a seeded generator, so a seed reproduces a generation exactly.

export interface Distribution {
  /** log-sum-exp of the raw logits; logprob(i) = logits[i] - lse. */
  readonly lse: number;
  /** Shannon entropy (nats) of softmax(logits). */
  readonly entropy: number;
}

export function distribution(logits: Float32Array): Distribution {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - max);
    sum += e;
    weighted += e * logits[i]!;
  }
  const lse = max + Math.log(sum);
  // H = -Σ p·(l - lse) = lse - Σ p·l; computed in float64 so it holds for 150k-token vocabularies.
  return { lse, entropy: Math.max(0, lse - weighted / sum) };
}

/** First index of the maximum, matching torch.argmax on ties. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** mulberry32: tiny, fast, and good enough for token sampling; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SamplingOptions {
  /** 0 means greedy. */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 keeps every token. */
  readonly topP: number;
  /** 0 keeps every token. */
  readonly topK?: number;
}

/**
 * Samples from softmax(logits / T) restricted to the smallest set of most likely tokens whose mass reaches
 * topP (the token that crosses the threshold is kept, as in transformers' TopPLogitsWarper).
 */
export function sample(logits: Float32Array, opts: SamplingOptions, random: () => number): number {
  if (opts.temperature <= 0) return argmax(logits);
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = Math.exp((logits[i]! - max) / opts.temperature);
    sum += probs[i]!;
  }
  const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n;
  if (opts.topP >= 1 && topK === n) {
    let u = random() * sum;
    for (let i = 0; i < n; i++) {
      u -= probs[i]!;
      if (u < 0) return i;
    }
    return n - 1;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
  let kept = 0;
  let mass = 0;
  for (; kept < topK; kept++) {
    mass += probs[order[kept]!]!;
    if (mass / sum >= opts.topP) {
      kept++;
      break;
    }
  }
  let u = random() * mass;
  for (let j = 0; j < kept; j++) {
    u -= probs[order[j]!]!;
    if (u < 0) return order[j]!;
  }
  return order[kept - 1]!;
}

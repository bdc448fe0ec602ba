// Autoregressive generation over an OnnxCausalLM: chunked prefill, then one cached step per token, streaming
// each token with its log-probability and the entropy of the distribution it was drawn from.
import type { OnnxCausalLM, KVCache } from './model';
import { distribution, sample, seededRandom } from './sampling';
import { TextStream, type ChatTokenizer } from './tokenizer';

export interface GenerationOptions {
  readonly maxNewTokens: number;
  /** 0 (default) decodes greedily. */
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly seed?: number;
  /** Token ids that end generation; defaults to the export's EOS ids. */
  readonly stopTokenIds?: readonly number[];
  /**
   * Prompt tokens fed per prefill call. Bounds the logits a long prompt materialises (positions × vocabulary
   * floats) without changing the result.
   */
  readonly prefillChunk?: number;
  readonly signal?: AbortSignal;
  readonly onToken?: (token: GeneratedToken) => void;
}

export interface GeneratedToken {
  readonly index: number;
  readonly id: number;
  /** The vocabulary entry, e.g. "Ġthe". */
  readonly token: string;
  /** Text this token adds to the output (may be '' while a multi-byte character is incomplete). */
  readonly text: string;
  /**
   * The token ended inside a multi-byte character (byte-level tokenizers split CJK, emoji and accents): its text is
   * '' and the character appears with the next token that is not partial. `tokenRuns` groups them.
   */
  readonly partial: boolean;
  /** log p(token) under the model's own distribution (temperature 1, before top-p), in nats. */
  readonly logprob: number;
  /** Entropy of that distribution, in nats. */
  readonly entropy: number;
  readonly special: boolean;
}

export type FinishReason = 'eos' | 'length' | 'cancelled';

export interface GenerationResult {
  readonly promptTokens: number;
  readonly tokens: GeneratedToken[];
  readonly text: string;
  readonly finishReason: FinishReason;
  /** From the call to the first generated token, including prefill. */
  readonly firstTokenMs: number;
  readonly totalMs: number;
  /** Generated tokens per second after the first token (decode speed). */
  readonly decodeTokensPerSecond: number;
}

export async function generate(
  model: OnnxCausalLM,
  tokenizer: ChatTokenizer,
  promptIds: readonly number[],
  opts: GenerationOptions,
): Promise<GenerationResult> {
  if (promptIds.length === 0) throw new Error('the prompt is empty');
  const started = performance.now();
  const stop = new Set(opts.stopTokenIds ?? model.manifest.eos_token_ids);
  const random = seededRandom(opts.seed ?? 0);
  const sampling = { temperature: opts.temperature ?? 0, topP: opts.topP ?? 1, topK: opts.topK ?? 0 };
  const chunk = Math.max(1, opts.prefillChunk ?? 256);
  const stream = new TextStream(tokenizer);
  const tokens: GeneratedToken[] = [];
  const finish = (finishReason: FinishReason, firstAt: number): GenerationResult => {
    const end = performance.now();
    const decodeMs = end - firstAt;
    return {
      promptTokens: promptIds.length,
      tokens,
      text: stream.text,
      finishReason,
      firstTokenMs: tokens.length > 0 ? firstAt - started : 0,
      totalMs: end - started,
      decodeTokensPerSecond: tokens.length > 1 && decodeMs > 0 ? ((tokens.length - 1) * 1000) / decodeMs : 0,
    };
  };

  let cache: KVCache = model.emptyCache();
  let logits: Float32Array | undefined;
  for (let i = 0; i < promptIds.length; i += chunk) {
    if (opts.signal?.aborted) return finish('cancelled', started);
    ({ logits, cache } = await model.step(promptIds.slice(i, i + chunk), cache));
  }
  let firstAt = started;
  for (let index = 0; index < opts.maxNewTokens; index++) {
    if (opts.signal?.aborted) return finish('cancelled', firstAt);
    const { lse, entropy } = distribution(logits!);
    const id = sample(logits!, sampling, random);
    const special = stop.has(id);
    const text = special ? '' : stream.push(id);
    const token: GeneratedToken = {
      index,
      id,
      token: tokenizer.tokenString(id),
      text,
      partial: !special && stream.pending,
      logprob: logits![id]! - lse,
      entropy,
      special,
    };
    if (index === 0) firstAt = performance.now();
    tokens.push(token);
    opts.onToken?.(token);
    if (special) return finish('eos', firstAt);
    if (index + 1 < opts.maxNewTokens) ({ logits, cache } = await model.step([id], cache));
  }
  return finish('length', firstAt);
}

// Tokens as text with a real multilingual byte-level tokenizer (test/fixtures/inference/multilingual-tokenizer,
// trained offline by make_multilingual_tokenizer.py) on the real @huggingface/tokenizers path: generation streams
// whole characters (never U+FFFD), marks the tokens that end inside a character, and tokenRuns groups them into the
// smallest runs that are whole characters while every token keeps its log-probability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ChatTokenizer } from '../../runtime/src/inference/tokenizer';
import { generate, type GeneratedToken } from '../../runtime/src/inference/generate';
import type { OnnxCausalLM } from '../../runtime/src/inference/model';
import { tokenBytes, tokenRuns } from '../../runtime/src/inference/tokenRuns';
import { runView } from '../../client/src/inspector/tokenText';

const dir = path.join(__dirname, '..', 'fixtures', 'inference', 'multilingual-tokenizer');
const TEXT = 'Déjà vu: 中文 日本語 😀 👍🏽 русский';

/** A stand-in for the ONNX model that puts almost all probability on the next id of a script. */
function scriptedModel(script: readonly number[], vocab: number, eos: number): OnnxCausalLM {
  let at = 0;
  const logits = () => {
    const l = new Float32Array(vocab).fill(-4);
    l[at < script.length ? script[at] : eos] = 8 - (at % 5); // probabilities vary from token to token
    at++;
    return l;
  };
  return {
    manifest: { eos_token_ids: [eos] },
    emptyCache: () => ({}),
    step: async () => ({ logits: logits(), cache: {} }),
  } as unknown as OnnxCausalLM;
}

async function generated(text: string): Promise<{ tok: ChatTokenizer; tokens: GeneratedToken[]; out: string }> {
  const tok = await ChatTokenizer.load(dir);
  const ids = tok.encode(text);
  const eos = tok.idOf('<|endoftext|>')!;
  const res = await generate(scriptedModel(ids, 400, eos), tok, [eos], { maxNewTokens: ids.length + 1 });
  assert.equal(res.finishReason, 'eos');
  return { tok, tokens: res.tokens.filter((t) => !t.special), out: res.text };
}

test('the fixture splits characters over tokens, and one token crosses a character boundary', async () => {
  const tok = await ChatTokenizer.load(dir);
  const ids = tok.encode(TEXT);
  assert.equal(tok.decode(ids), TEXT);
  assert.ok(
    ids.some((id) => tok.decode([id]).includes('\uFFFD')),
    'some tokens alone are not text',
  );
  const pieces = ids.map((id) => tokenBytes(tok.tokenString(id))!);
  assert.deepEqual(Buffer.from(pieces.flat()), Buffer.from(TEXT, 'utf8'), 'byte-level entries map back to bytes');
});

test('generation streams whole characters; partial tokens are marked, never shown as U+FFFD', async () => {
  const { tokens, out } = await generated(TEXT);
  assert.equal(out, TEXT);
  assert.equal(tokens.map((t) => t.text).join(''), TEXT);
  for (const t of tokens) {
    assert.doesNotMatch(t.text, /\uFFFD/);
    assert.equal(t.partial, t.text === '', `${t.token}: partial exactly when it adds no text yet`);
  }
  assert.ok(tokens.filter((t) => t.partial).length >= 5);
});

test('tokenRuns: the smallest runs that are whole characters, each token once, log p summed', async () => {
  const { tok, tokens } = await generated(TEXT);
  const runs = tokenRuns(tokens);
  assert.equal(runs.map((r) => r.text).join(''), TEXT);
  assert.deepEqual(
    runs.flatMap((r) => r.tokens),
    tokens,
  );
  for (const r of runs) {
    assert.ok(r.text.length > 0);
    // A run's bytes are exactly its text: nothing is lost or shown twice.
    assert.deepEqual(Buffer.from(r.tokens.flatMap((t) => tokenBytes(t.token)!)), Buffer.from(r.text, 'utf8'));
    assert.ok(Math.abs(r.logprob - r.tokens.reduce((s, t) => s + t.logprob, 0)) < 1e-9);
    // Smallest: no shorter prefix of the run's tokens decodes to text without U+FFFD.
    for (let k = 1; k < r.tokens.length; k++)
      assert.match(tok.decode(r.tokens.slice(0, k).map((t) => t.id)), /\uFFFD$/);
  }
  const emoji = runs.find((r) => r.text.includes('😀'))!;
  assert.ok(emoji.tokens.length >= 2, `😀 takes ${emoji.tokens.length} tokens`);
  const across = runs.find((r) => r.text.includes('日'))!;
  assert.ok([...across.text].length >= 2, `a token ending 日 and beginning the next makes one run: ${across.text}`);
});

test('the inspector shows a multi-token run once, with one mark per token and bytes in the titles', async () => {
  const { tokens } = await generated('😀');
  const runs = tokenRuns(tokens.map((t) => ({ ...t })));
  assert.equal(runs.length, 1);
  const v = runView(runs[0]);
  assert.equal(v.text, '😀');
  assert.equal(v.parts.length, runs[0].tokens.length);
  assert.match(v.title, /^"😀" from \d tokens · together log p -?\d/);
  assert.match(v.parts[0].title, /\(bytes F0 9F\b/);
});

test('an output cut inside a character shows its bytes, not U+FFFD', async () => {
  const tok = await ChatTokenizer.load(dir);
  const ids = tok.encode('ok 😀');
  const eos = tok.idOf('<|endoftext|>')!;
  const res = await generate(scriptedModel(ids, 400, eos), tok, [eos], { maxNewTokens: ids.length - 1 });
  assert.equal(res.finishReason, 'length');
  const runs = tokenRuns(res.tokens);
  const last = runView(runs[runs.length - 1]);
  assert.equal(last.incomplete, true);
  // The last whole token before the emoji was 'ok'; the space travels with the emoji's first bytes.
  assert.match(last.text, /^⟨20 F0 9F( [0-9A-F]{2})*⟩$/);
  assert.equal(res.text, 'ok');
});

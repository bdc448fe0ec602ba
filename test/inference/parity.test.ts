// The ONNX path must reproduce transformers: same prompt ids from the same chat template, same greedy tokens,
// log-probabilities and entropies within 1e-4, same decoded text.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../../runtime/src/inference/generate';
import { OnnxCausalLM } from '../../runtime/src/inference/model';
import { ChatTokenizer } from '../../runtime/src/inference/tokenizer';
import { hasPython, inferenceFixture, type InferenceFixture } from '../fixtures/inference/fixture';

describe('ONNX generation matches transformers', { skip: !hasPython() && 'needs the .venv python' }, () => {
  let fx: InferenceFixture;
  let model: OnnxCausalLM;
  let tok: ChatTokenizer;
  before(async () => {
    fx = inferenceFixture();
    model = await OnnxCausalLM.load(fx.checkpoint, { provider: 'cpu' });
    tok = await ChatTokenizer.load(model.exportDir);
  });
  after(async () => {
    await model?.dispose();
  });

  it('renders the chat template and tokenises exactly as transformers', () => {
    for (const c of fx.reference.cases) {
      const rendered = tok.renderChat([{ role: 'user', content: c.prompt }]);
      assert.equal(rendered, c.rendered);
      assert.deepEqual(tok.encode(rendered), c.prompt_ids);
    }
  });

  it('greedy tokens equal transformers token for token, log-probs and entropies within 1e-4', async () => {
    for (const c of fx.reference.cases) {
      const streamed: number[] = [];
      const res = await generate(model, tok, c.prompt_ids, {
        maxNewTokens: fx.reference.max_new_tokens,
        onToken: (t) => streamed.push(t.id),
      });
      const ids = res.tokens.map((t) => t.id);
      assert.deepEqual(ids, c.ids, `prompt ${JSON.stringify(c.prompt)}`);
      assert.deepEqual(streamed, ids);
      res.tokens.forEach((t, i) => {
        assert.ok(Math.abs(t.logprob - c.logprobs[i]!) < 1e-4, `logprob ${i}: ${t.logprob} vs ${c.logprobs[i]}`);
        assert.ok(Math.abs(t.entropy - c.entropies[i]!) < 1e-4, `entropy ${i}: ${t.entropy} vs ${c.entropies[i]}`);
      });
      // transformers decodes an output cut inside a character to a trailing U+FFFD; the text shown drops it.
      assert.equal(res.text, c.text.replace(/\uFFFD+$/, ''));
      // Streamed pieces add up to the text, except a trailing incomplete UTF-8 sequence that never completed.
      assert.equal(res.tokens.map((t) => t.text).join(''), res.text.replace(/\uFFFD+$/, ''));
      const endsWithEos = fx.reference.eos_token_ids.includes(c.ids.at(-1)!);
      assert.equal(res.finishReason, endsWithEos ? 'eos' : 'length');
    }
    if (!fx.source) {
      assert.ok(
        fx.reference.cases.some((c) => fx.reference.eos_token_ids.includes(c.ids.at(-1)!)),
        'the fixture exercises stopping on EOS',
      );
    }
  });

  it('chunked prefill gives the same tokens as a single prefill call', async () => {
    const c = fx.reference.cases[1]!;
    const whole = await generate(model, tok, c.prompt_ids, { maxNewTokens: 8 });
    const chunked = await generate(model, tok, c.prompt_ids, { maxNewTokens: 8, prefillChunk: 4 });
    assert.deepEqual(
      chunked.tokens.map((t) => t.id),
      whole.tokens.map((t) => t.id),
    );
    chunked.tokens.forEach((t, i) => assert.ok(Math.abs(t.logprob - whole.tokens[i]!.logprob) < 1e-4));
  });

  it('sampling is reproducible with a seed and varies across seeds', async () => {
    const ids = fx.reference.cases[0]!.prompt_ids;
    const run = async (seed: number) =>
      (
        await generate(model, tok, ids, { maxNewTokens: 12, temperature: 1.5, topP: 0.95, seed, stopTokenIds: [] })
      ).tokens.map((t) => t.id);
    const a = await run(7);
    assert.deepEqual(await run(7), a);
    const others = await Promise.all([1, 2, 3].map(run));
    assert.ok(
      others.some((o) => o.join() !== a.join()),
      'different seeds should not all give the same sample',
    );
  });

  it('stops at max tokens and on cancellation', async () => {
    const ids = fx.reference.cases[0]!.prompt_ids;
    const short = await generate(model, tok, ids, { maxNewTokens: 3, stopTokenIds: [] });
    assert.equal(short.tokens.length, 3);
    assert.equal(short.finishReason, 'length');
    const ctrl = new AbortController();
    const res = await generate(model, tok, ids, {
      maxNewTokens: 50,
      stopTokenIds: [],
      signal: ctrl.signal,
      onToken: (t) => {
        if (t.index === 4) ctrl.abort();
      },
    });
    assert.equal(res.finishReason, 'cancelled');
    assert.equal(res.tokens.length, 5);
  });
});

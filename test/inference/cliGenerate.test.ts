// `srlm generate` through the CLI entry point (argument parsing, output formats, errors), on the shared fixture.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { srlm } from '../runtime/cliHelpers';
import { hasPython, inferenceFixture, venvPython, type InferenceFixture } from '../fixtures/inference/fixture';

const cli = (args: string[]) => srlm(args, process.cwd(), process.env);

describe('srlm generate', { skip: !hasPython() && 'needs the .venv python' }, () => {
  let fx: InferenceFixture;
  before(() => {
    fx = inferenceFixture();
  });

  it('--json reports the same greedy tokens and log-probs as transformers', async () => {
    const c = fx.reference.cases[0]!;
    const r = await cli(['generate', fx.checkpoint, '--prompt', c.prompt, '--max-new-tokens', '10', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      promptTokens: number;
      provider: string;
      finishReason: string;
      text: string;
      tokens: { id: number; logprob: number; text: string; partial: boolean }[];
      runs: { text: string; tokens: number[]; logprob: number }[];
    };
    assert.equal(out.promptTokens, c.prompt_ids.length);
    assert.equal(out.provider, 'cpu');
    assert.deepEqual(
      out.tokens.map((t) => t.id),
      c.ids.slice(0, 10),
    );
    out.tokens.forEach((t, i) => assert.ok(Math.abs(t.logprob - c.logprobs[i]!) < 1e-4));
    // Runs cover every token once, in order, and spell the text.
    assert.deepEqual(
      out.runs.flatMap((r) => r.tokens),
      out.tokens.map((_, i) => i),
    );
    assert.equal(out.runs.map((r) => r.text).join(''), out.tokens.map((t) => t.text).join(''));
  });

  it('streams plain text and a summary line', async () => {
    const c = fx.reference.cases[2]!;
    const n = c.ids.length;
    const r = await cli(['generate', fx.checkpoint, '--prompt', c.prompt, '--max-new-tokens', String(n)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${c.text.replace(/\uFFFD+$/, '')}\n`);
    const reason = fx.reference.eos_token_ids.includes(c.ids.at(-1)!) ? 'eos' : 'length';
    assert.match(r.stderr, new RegExp(`\\[${n} tokens, ${reason}, first token \\d+ ms`));
  });

  it('explains how to export when the checkpoint has no ONNX export', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'srlm-noexport-'));
    const r = await cli(['generate', empty, '--prompt', 'hi']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /python -m srlm_engine\.export/);
  });

  it('--export exports a checkpoint that has none, then generates', async () => {
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'srlm-export-')), 'ckpt');
    cpSync(fx.checkpoint, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}onnx`) });
    assert.equal(existsSync(path.join(copy, 'onnx')), false);
    const c = fx.reference.cases[0]!;
    const args = ['generate', copy, '--prompt', c.prompt, '--max-new-tokens', '4', '--json'];
    const r = await cli([...args, '--export', '--python', venvPython]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /exporting .* to ONNX/);
    assert.ok(existsSync(path.join(copy, 'onnx', 'srlm_onnx.json')));
    const out = JSON.parse(r.stdout) as { tokens: { id: number }[] };
    assert.deepEqual(
      out.tokens.map((t) => t.id),
      c.ids.slice(0, 4),
    );
  });

  it('rejects bad usage with exit code 2', async () => {
    assert.equal((await cli(['generate', fx.checkpoint])).code, 2);
    assert.equal((await cli(['generate', fx.checkpoint, '--prompt', 'x', '--top-p', '0'])).code, 2);
    assert.equal((await cli(['generate', '--prompt', 'x'])).code, 2);
  });
});

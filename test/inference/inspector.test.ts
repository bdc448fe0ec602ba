// The inspector's host logic (no VS Code): page policy, checkpoint info from meta.json and events.jsonl, and a
// full generate exchange in single and compare mode on the shared fixture.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InspectorController } from '../../client/src/inspector/controller';
import { inspectorHtml, makeNonce } from '../../client/src/inspector/html';
import { logprobBand, type HostMessage } from '../../client/src/inspector/protocol';
import { CheckpointGenerator } from '../../runtime/src/inference/checkpointGenerator';
import { readCheckpointInfo } from '../../runtime/src/inference/checkpointInfo';
import Ajv2020 from 'ajv/dist/2020';
import { hasPython, inferenceFixture, type InferenceFixture } from '../fixtures/inference/fixture';
import { makeInspectableRun } from '../fixtures/inference/runScenario';

describe('inspector page', () => {
  it('allows only its nonce script, its own styles, and no network', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{20,}$/);
    assert.notEqual(makeNonce(), nonce);
    const html = inspectorHtml({
      cspSource: 'vscode-webview://abc',
      script: 'vscode-webview://abc/inspector.js',
      style: 'vscode-webview://abc/inspector.css',
      nonce,
      title: 'Inspect <step-1>',
    });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal((html.match(/<script /g) ?? []).length, 1);
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="vscode-webview://abc/inspector.js">`));
    assert.doesNotMatch(html, /https?:\/\//);
    assert.match(html, /Inspect &lt;step-1&gt;/);
  });

  it('bands tokens by probability', () => {
    assert.deepEqual(
      [0.95, 0.7, 0.4, 0.2, 0.01].map((p) => logprobBand(Math.log(p))),
      [0, 1, 2, 3, 4],
    );
  });
});

describe('checkpoint info', () => {
  it('reads meta.json and the stage parent, eval metrics and latest eval samples from the run', () => {
    const run = mkdtempSync(path.join(tmpdir(), 'srlm-run-'));
    const ckpt = path.join(run, 'checkpoints', 'grpo', 'step-000020');
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(
      path.join(ckpt, 'meta.json'),
      JSON.stringify({
        stage: 'grpo',
        kind: 'rl',
        step: 20,
        total_steps: 50,
        final: false,
        stage_hash: 'abc',
        metrics: { reward: 0.5, kl: null },
      }),
    );
    const ev = (o: object) => JSON.stringify({ v: 1, time: 0, run_id: 'r', ...o });
    const sample = (c: string) => ({ prompt: 'p', completion: c, answer: '3', correct: c === '3' });
    writeFileSync(
      path.join(run, 'events.jsonl'),
      [
        ev({ type: 'stage_started', stage: 'grpo', kind: 'rl', init: 'sft/final' }),
        ev({ type: 'samples', stage: 'grpo', step: 10, source: 'eval', eval: 'test', samples: [sample('1')] }),
        ev({ type: 'eval', stage: 'grpo', step: 20, eval: 'test', metrics: { accuracy: 0.25 } }),
        ev({ type: 'samples', stage: 'grpo', step: 20, source: 'eval', eval: 'test', samples: [sample('3')] }),
        ev({ type: 'samples', stage: 'grpo', step: 20, source: 'rl', samples: [sample('9')] }),
        ev({ type: 'samples', stage: 'grpo', step: 30, source: 'eval', eval: 'test', samples: [sample('7')] }),
        ev({ type: 'samples', stage: 'sft', step: 20, source: 'eval', eval: 'test', samples: [sample('5')] }),
        '{"truncated',
      ].join('\n'),
    );
    const info = readCheckpointInfo(ckpt);
    assert.equal(info.label, 'grpo · step 20');
    assert.equal(info.parent, 'sft/final');
    assert.equal(info.totalSteps, 50);
    assert.deepEqual(info.metrics, { reward: 0.5, kl: null });
    assert.deepEqual(info.evalMetrics, { test: { accuracy: 0.25 } });
    assert.equal(info.samples.length, 1);
    assert.deepEqual(
      info.samples[0]!.samples.map((s) => s.completion),
      ['3'],
    );
    assert.match(info.exportProblem ?? '', /python -m srlm_engine\.export/);
  });
});

describe('inspector controller', { skip: !hasPython() && 'needs the .venv python' }, () => {
  let fx: InferenceFixture;
  before(() => {
    fx = inferenceFixture();
  });

  async function exchange(columns: string[], gold?: string) {
    const sent: HostMessage[] = [];
    const ctl = new InspectorController(columns, (m) => sent.push(m), {
      openGenerator: (c) => CheckpointGenerator.open(c, { provider: 'cpu' }),
    });
    await ctl.handle({ type: 'ready' });
    const c = fx.reference.cases[0]!;
    await ctl.handle({
      type: 'generate',
      prompt: c.prompt,
      gold,
      maxNewTokens: 12,
      temperature: 0,
      topP: 1,
      seed: 0,
      raw: false,
    });
    await ctl.dispose();
    return { sent, c };
  }

  it('opens with checkpoint info and streams the greedy tokens with a gold check', async () => {
    const { sent, c } = await exchange([fx.checkpoint], '\\boxed{19}');
    const init = sent.find((m) => m.type === 'init');
    assert.ok(init && init.type === 'init');
    assert.equal(init.columns[0]!.label, 'fixture · final');
    assert.equal(init.columns[0]!.stageHash, 'f'.repeat(16));
    assert.equal(init.columns[0]!.exportProblem, undefined);
    assert.equal(init.canExport, false);
    const ids = sent.flatMap((m) => (m.type === 'tokens' ? m.tokens.map((t) => t.id) : []));
    assert.deepEqual(ids, c.ids.slice(0, 12));
    const done = sent.find((m) => m.type === 'done');
    assert.ok(done && done.type === 'done');
    assert.equal(done.summary.tokens, 12);
    assert.equal(done.summary.provider, 'cpu');
    assert.deepEqual(done.gold, { gold: '\\boxed{19}', extracted: null, correct: false });
    assert.ok(!sent.some((m) => m.type === 'error'));
  });

  it('compare mode generates in both columns for the same prompt', async () => {
    const { sent, c } = await exchange([fx.checkpoint, path.join(fx.checkpoint, 'onnx')]);
    for (const column of [0, 1]) {
      const ids = sent.flatMap((m) => (m.type === 'tokens' && m.column === column ? m.tokens.map((t) => t.id) : []));
      assert.deepEqual(ids, c.ids.slice(0, 12), `column ${column}`);
    }
    assert.equal(sent.filter((m) => m.type === 'done').length, 2);
  });

  it('reports a checkpoint without export as a column error, not a crash', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'srlm-empty-'));
    const { sent } = await exchange([empty]);
    const err = sent.find((m) => m.type === 'error');
    assert.ok(err && err.type === 'error' && err.column === 0);
    assert.match(err.message, /no ONNX export/);
  });
});

describe(
  'inspectable run scenario (for the end-to-end suite)',
  { skip: !hasPython() && 'needs the .venv python' },
  () => {
    it('writes schema-valid events and two exported checkpoints the inspector reads', () => {
      const runs = mkdtempSync(path.join(tmpdir(), 'srlm-runs-'));
      const run = makeInspectableRun(runs);
      const schema = JSON.parse(
        readFileSync(path.resolve(__dirname, '../../runtime/events.schema.json'), 'utf8'),
      ) as object;
      const validate = new Ajv2020({ strict: false }).compile(schema);
      for (const line of readFileSync(path.join(run.runDir, 'events.jsonl'), 'utf8').trim().split('\n')) {
        assert.ok(validate(JSON.parse(line)), `${line}\n${JSON.stringify(validate.errors)}`);
      }
      const [sft, grpo] = run.checkpoints.map((c) => readCheckpointInfo(c));
      assert.equal(sft!.label, 'warmup · final');
      assert.equal(grpo!.parent, 'warmup');
      assert.deepEqual(grpo!.evalMetrics, { test: { accuracy: 0.3 } });
      assert.equal(grpo!.samples[0]!.samples[0]!.correct, true);
      assert.equal(grpo!.exportProblem, undefined);
    });
  },
);

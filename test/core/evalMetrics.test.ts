// Eval metrics in the language: `mean@K` compiles to `avg@K`, names are canonical and unique in the plan, and
// hover knows avg@K and its alias. The warnings on evals are in test/fixtures/core/diagnostics/evals.srlm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/core';
import { mayShareRows } from '../../server/src/core/semantics/dataOverlap';
import { hover } from '../../server/src/ide';
import { env, fixture } from '../ide/helpers';

test('mean@K is avg@K in the plan, each metric once, K without leading zeros', () => {
  const doc = analyze(
    'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic  split = test }\n' +
      'stage sft s { init = m  data = d }\n' +
      'eval e { data = d  metrics = [accuracy, mean@8, pass@08, avg@8, maj@4]  top_p = 0.9 } }',
  );
  const e = [...doc.configs].find(([s]) => s.name === 'e')![1];
  assert.deepEqual(e.values.metrics, ['accuracy', 'avg@8', 'pass@8', 'maj@4']);
  assert.equal(e.values.top_p, 0.9);
});

test('hover on mean@K names avg@K (completion offers avg@K only: test/ide/completion.test.ts)', () => {
  const f = fixture('pipeline p {\n  eval e {\n    metrics = [accuracy, me$0an@8, av$1g@4]\n  }\n}');
  assert.match(hover(f.doc, f.at('0'), env())!.markdown, /^\*\*mean@8\*\* \(alias of `avg@8`\) — Mean accuracy of K/);
  assert.match(hover(f.doc, f.at('1'), env())!.markdown, /^\*\*avg@4\*\* — Mean accuracy of K samples/);
});

test('two dataset blocks share rows unless they are the two parts of one holdout', () => {
  const hub = { source: 'openai/gsm8k', subset: 'main' };
  assert.equal(mayShareRows(hub, { ...hub, split: 'train' }), true, 'split defaults to train');
  assert.equal(mayShareRows(hub, { ...hub, split: 'test' }), false);
  assert.equal(mayShareRows(hub, { ...hub, subset: 'socratic' }), false);
  assert.equal(mayShareRows({ ...hub, holdout: 0.05 }, { ...hub, holdout: 0.05, part: 'holdout' }), false);
  assert.equal(mayShareRows({ ...hub, holdout: 0.05 }, { ...hub, holdout: 0.05, part: 'rest' }), true);
  assert.equal(mayShareRows(hub, { ...hub, holdout: 0.05, part: 'holdout' }), true, 'all rows hold the holdout');
  assert.equal(mayShareRows({ ...hub, holdout: 0.1 }, { ...hub, holdout: 0.05, part: 'holdout' }), true);
  assert.equal(mayShareRows({ builtin: 'arithmetic' }, { builtin: 'arithmetic', split: 'validation' }), false);
  assert.equal(mayShareRows({ builtin: 'arithmetic', limit: 10 }, { builtin: 'arithmetic', shuffle: false }), true);
  // A file is one split whatever `split` says; `./x` and `x` are one path.
  assert.equal(mayShareRows({ source: './d/a.jsonl' }, { source: 'd/a.jsonl', split: 'test' }), true);
  assert.equal(mayShareRows({ source: 'd/a.jsonl' }, { source: 'd/b.jsonl' }), false);
  assert.equal(mayShareRows({ answer: 'a' }, { answer: 'a' }), false, 'no origin, no claim');
});

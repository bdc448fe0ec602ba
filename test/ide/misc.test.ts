// Smaller IDE-layer pieces: nvidia-smi parsing, the formatter's line diff, navigation and hover details.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNvidiaSmi } from '../../server/src/ide/gpu';
import { lineHunks } from '../../server/src/ide/formatting';
import {
  definition,
  hover,
  prepareRename,
  references,
  rename,
  formatDocument,
  inlayHints,
  workspaceSymbols,
  signatureHelp,
} from '../../server/src/ide';
import { env, fixture } from './helpers';

test('nvidia-smi: the smallest card of several is the one that must fit', () => {
  assert.deepEqual(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559\nNVIDIA A10, 23028\n'), {
    name: 'NVIDIA A10',
    memoryBytes: 23028 * 1024 * 1024,
    count: 2,
  });
  assert.equal(parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the driver'), undefined);
  assert.equal(parseNvidiaSmi(''), undefined);
});

test('line diff: unchanged lines are not touched', () => {
  assert.deepEqual(lineHunks(['a', 'b', 'c'], ['a', 'B', 'c']), [{ a0: 1, a1: 2, b0: 1, b1: 2 }]);
  assert.deepEqual(lineHunks(['a', 'c'], ['a', 'b', 'c']), [{ a0: 1, a1: 1, b0: 1, b1: 2 }]);
  assert.deepEqual(lineHunks(['x'], ['x']), []);
});

test('formatting edits reproduce the formatter output exactly', () => {
  const f = fixture('pipeline p {\n      seed=1\n  # keep me\n  model m {source="a/b"}\n}');
  let text = f.text;
  for (const e of [...formatDocument(f.doc)].sort((a, b) => b.span.start - a.span.start)) {
    text = text.slice(0, e.span.start) + e.newText + text.slice(e.span.end);
  }
  assert.equal(text, 'pipeline p {\n  seed = 1\n  # keep me\n  model m { source = "a/b" }\n}\n');
});

test('navigation over a quoted label keeps the quotes on rename', () => {
  const f = fixture('pipeline p {\n  model "m$0" { source = "a/b" }\n  stage sft s { init = m$1 }\n}');
  assert.deepEqual(prepareRename(f.doc, f.at('0')), {
    span: { start: f.text.indexOf('"m"') + 1, end: f.text.indexOf('"m"') + 2 },
    placeholder: 'm',
  });
  const r = rename(f.doc, f.at('1'), 'base');
  assert.ok(r && 'edits' in r);
  assert.deepEqual(r.edits.map((e) => e.newText).sort(), ['"base"', 'base']);
  assert.equal(references(f.doc, f.at('1'), false).length, 1);
  const d = definition(f.doc, f.at('1'), env());
  assert.ok(d && 'span' in d && d.span.start === f.text.indexOf('"m"'));
  assert.deepEqual(rename(f.doc, f.at('1'), '9bad'), {
    error: "'9bad' is not a valid name (letters, digits and _; not a keyword)",
  });
});

test('hover on an alias key names the new field; on a reward the built-in doc', () => {
  const f = fixture('pipeline p {\n  stage rl r {\n    num_gen$0erations = 8\n    reward = acc$1uracy\n  }\n}');
  assert.match(hover(f.doc, f.at('0'), env())!.markdown, /`num_generations` is the old name of `group`/);
  assert.match(hover(f.doc, f.at('1'), env())!.markdown, /built-in reward/);
});

test("hover on a dataset's former 'path' documents 'source'; on 'data' the weighted mix", () => {
  const f = fixture('pipeline p {\n  dataset d { pa$0th = "x.jsonl" }\n  stage sft s { da$1ta = d }\n}');
  const source = hover(f.doc, f.at('0'), env())!.markdown;
  assert.match(source, /^\*\*source\*\* — string \(hub dataset id, file or folder\)/);
  assert.match(source, /Also accepted: `path`/);
  assert.match(hover(f.doc, f.at('1'), env())!.markdown, /name of a dataset, or a weighted sum of them/);
});

test('inlay hint of a derived default shows what batch_size = 0 becomes', () => {
  const f = fixture(
    'pipeline p {\n  stage rl r {\n    group = 4\n    prompts_per_step = 2\n    batch_size = 0\n  }\n}',
  );
  const hints = inlayHints(f.doc, { start: 0, end: f.text.length }, env()).map((h) => h.label);
  assert.ok(hints.includes('→ 4'), hints.join(' | '));
});

test('workspace symbols include .srlm files that are not open', () => {
  const f = fixture('pipeline p {\n  model mine { source = "a/b" }\n}');
  const found = workspaceSymbols([f.doc], 'other', env());
  assert.ok(found.some((s) => s.name === 'other_model' && s.uri.endsWith('/other.srlm') && s.container === 'other'));
  assert.ok(workspaceSymbols([f.doc], 'mine', env()).some((s) => s.name === 'mine'));
});

test('signature help shows the Python signature of a user reward while it is typed', () => {
  const f = fixture(
    'pipeline p {\n  stage rl r {\n    reward_file = "rewards.py"\n    reward = accuracy + 0.1 * brevity$0\n  }\n}',
  );
  const s = signatureHelp(f.doc, f.at('0'), env());
  assert.equal(s?.label, 'def brevity(completions, answer, **kwargs)');
  assert.deepEqual(
    s?.parameters.map((p) => p.label),
    ['completions', 'answer', '**kwargs'],
  );
});

test('hover on a stage name shows its estimate table', () => {
  const f = fixture(
    'pipeline p {\n  model m { source = "./models/student" }\n  stage sft a$0 { init = m  steps = 10 }\n}',
  );
  const md = hover(f.doc, f.at('0'), env())!.markdown;
  assert.match(md, /\*\*Estimate\*\*/);
  assert.match(md, /\| \*\*peak\*\* \(train\) \|/);
  assert.match(md, /Time: about .* for 10 steps/);
});

test('several processes: the estimate hint and hover say the memory is per GPU and how the model is held', () => {
  const text = (sharding: string) =>
    `pipeline p {\n  processes = 4\n  sharding = ${sharding}\n  model m { source = "./models/student" }\n  stage sft a$0 { init = m  steps = 10 }\n}`;
  const label = (sharding: string) => {
    const f = fixture(text(sharding));
    const hints = inlayHints(f.doc, { start: 0, end: f.text.length }, env());
    return {
      hint: hints.find((h) => h.kind === 'estimate')?.label ?? '',
      md: hover(f.doc, f.at('0'), env())!.markdown,
    };
  };
  const fsdp = label('fsdp');
  assert.match(fsdp.hint, /peak \(per GPU, FSDP over 4\)/);
  assert.match(fsdp.md, /FSDP over 4 processes shards weights, gradients and optimizer state/);
  const replicas = label('none');
  assert.match(replicas.hint, /peak \(per GPU, 4 replicas\)/);
  assert.match(replicas.md, /each of the 4 processes holds a full replica/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBlocks, stageNames } from '../../client/src/pipelineFile';

const src = `# stage sft commented { }
pipeline demo {
  seed = 1
  model m { source = "x { stage sft fake {" }
  stage sft warmup {
    init = m
    lora { rank = 8 }
  }
  stage rl grpo { init = warmup }
}
`;

test('finds pipeline and stage blocks, skipping comments and strings', () => {
  const blocks = findBlocks(src);
  assert.deepEqual(
    blocks.map((b) => `${b.kind}:${b.stageKind ?? ''}:${b.name}`),
    ['pipeline::demo', 'stage:sft:warmup', 'stage:rl:grpo'],
  );
  const warmup = blocks[1];
  assert.equal(src.slice(warmup.nameStart, warmup.nameEnd), 'warmup');
  assert.ok(src.slice(warmup.start, warmup.end).startsWith('stage sft warmup {'));
  assert.ok(src.slice(warmup.start, warmup.end).endsWith('rank = 8 }\n  }'), 'nested braces matched');
  assert.equal(src.slice(blocks[0].start, blocks[0].end).trimEnd().slice(-1), '}');
});

test('stage names for the run-from-stage picker', () => {
  assert.deepEqual(stageNames(src), [
    { name: 'warmup', kind: 'sft' },
    { name: 'grpo', kind: 'rl' },
  ]);
});

test('an unclosed block runs to the end of the text instead of failing', () => {
  const t = 'pipeline p {\n  stage kd d {\n    init = x\n';
  const b = findBlocks(t);
  assert.equal(b.length, 2);
  assert.equal(b[1].end, t.length);
});

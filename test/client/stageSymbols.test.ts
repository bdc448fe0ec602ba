// Stages come from the language server's document symbols (server/src/ide/symbols.ts), not a scan of the text:
// the symbols the server really produces for a file are walked here, comments and strings included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stagesIn, studyIn, type SymbolLike } from '../../client/src/stageSymbols';
import type { IdeSymbol } from '../../server/src/ide/types';
import { documentSymbols } from '../../server/src/ide/symbols';
import { analyzeDocument } from '../../server/src/ide/document';

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

type Like = SymbolLike<IdeSymbol['selectionSpan']>;
const toLike = (s: IdeSymbol): Like => ({
  name: s.name,
  detail: s.detail,
  selectionRange: s.selectionSpan,
  range: s.span,
  children: s.children.map(toLike),
});

test("the stages of the server's document symbols: names, kinds and name ranges", () => {
  const symbols = documentSymbols(analyzeDocument('file:///p.srlm', src));
  const stages = stagesIn(symbols.map(toLike));
  assert.deepEqual(
    stages.map((s) => `${s.kind}:${s.name}`),
    ['sft:warmup', 'rl:grpo'],
  );
  assert.equal(src.slice(stages[0]!.nameRange.start, stages[0]!.nameRange.end), 'warmup');
});

test("a study and its variants from the server's document symbols; none in a file without a study", () => {
  const study = src.replace(
    /\}\n$/,
    `  eval e { data = d  note = study }\n  study compare {\n    variant direct { stages = [grpo] }\n    variant warm_rl { stages = [warmup, grpo]  grpo { lr = 1e-5 } }\n  }\n}\n`,
  );
  const symbols = documentSymbols(analyzeDocument('file:///s.srlm', study)).map(toLike);
  const found = studyIn(symbols);
  assert.equal(found?.name, 'compare');
  assert.deepEqual(
    found?.variants.map((v) => [v.name, v.range && study.slice(v.range.start, v.range.end)]),
    [
      ['direct', 'variant direct { stages = [grpo] }'],
      ['warm_rl', 'variant warm_rl { stages = [warmup, grpo]  grpo { lr = 1e-5 } }'],
    ],
  );
  assert.equal(studyIn(documentSymbols(analyzeDocument('file:///p.srlm', src)).map(toLike)), undefined);
});

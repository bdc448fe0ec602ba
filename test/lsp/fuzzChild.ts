// The in-process half of the robustness test, run as a child process by robustness.test.ts so that a hang in
// the language core shows up as a timeout failure instead of freezing the test runner.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IdeEnv,
  analyzeDocument,
  codeActions,
  codeLenses,
  completion,
  definition,
  documentLinks,
  documentSymbols,
  foldingRanges,
  formatRange,
  hover,
  inlayHints,
  prepareRename,
  references,
  rename,
  selectionRanges,
  semanticTokens,
  signatureHelp,
  slowDiagnostics,
} from '../../server/src/ide';
import { ROOT, fileUri } from './harness';
import { apply, randomEdit, rng } from './randomEdits';

const EXAMPLES = join(ROOT, 'examples');
const sources = [
  join(ROOT, 'test/fixtures/lsp/ws/pipeline.srlm'),
  ...readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.srlm'))
    .map((f) => join(EXAMPLES, f)),
];

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 10000);
  const r = rng(20260101);
  const donors = sources.map((p) => readFileSync(p, 'utf8'));
  const env = new IdeEnv();
  const per = Math.ceil(total / sources.length);
  let edits = 0;
  for (let s = 0; s < sources.length; s++) {
    let text = donors[s]!;
    const uri = fileUri(sources[s]!);
    for (let k = 0; k < per; k++, edits++) {
      text = apply(text, randomEdit(r, text, donors));
      // Keep the file small enough that the run stays quick; the shape of the edits matters, not the size.
      if (text.length > 6000) text = text.slice(0, 3000);
      const doc = analyzeDocument(uri, text);
      const o = Math.floor(r() * (text.length + 1));
      const span = { start: Math.min(o, text.length), end: Math.min(text.length, o + 200) };
      try {
        completion(doc, o, env);
        hover(doc, o, env);
        signatureHelp(doc, o, env);
        definition(doc, o, env);
        references(doc, o, true);
        prepareRename(doc, o);
        rename(doc, o, 'renamed_x');
        selectionRanges(doc, [o]);
        codeActions(doc, span);
        if (k % 10 === 0) {
          documentSymbols(doc);
          foldingRanges(doc);
          semanticTokens(doc);
          documentLinks(doc, env);
          inlayHints(doc, { start: 0, end: text.length }, env);
          codeLenses(doc);
          formatRange(doc, span);
        }
        if (k % 50 === 0) await slowDiagnostics(doc, env);
      } catch (e) {
        assert.fail(
          `edit ${edits} of ${sources[s]} at offset ${o} threw: ${(e as Error).stack}\n--- text ---\n${text}`,
        );
      }
    }
  }
  assert.ok(edits >= total);
  process.stdout.write(`${edits} edits ok\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e));
  process.exit(1);
});

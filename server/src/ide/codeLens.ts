// Code lens data: "Run pipeline" above the pipeline, "Run from here" above every stage. The client owns the
// commands; arguments are the document URI and the stage name.
import type { IdeDocument } from './document';
import type { IdeCodeLens } from './types';

export function codeLenses(doc: IdeDocument): IdeCodeLens[] {
  const out: IdeCodeLens[] = [];
  const p = doc.model.bindings.pipeline;
  if (p) out.push({ span: p.headerSpan, title: '▶ Run pipeline', command: 'srlm.runPipeline', args: [doc.uri] });
  for (const s of doc.model.symbols) {
    if (s.kind !== 'stage') continue;
    out.push({
      span: s.block.headerSpan,
      title: '▶ Run from here',
      command: 'srlm.runFromStage',
      args: [doc.uri, s.name],
    });
  }
  return out;
}

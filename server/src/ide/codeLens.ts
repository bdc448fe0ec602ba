// Code lens data: "Run pipeline" above the pipeline ("Run study" above it and the study when the file declares
// one: Run Pipeline then runs the study's variants), "Run from here" above every stage. The client owns the
// commands; arguments are the document URI and the stage name.
import type { IdeDocument } from './document';
import type { IdeCodeLens } from './types';

export function codeLenses(doc: IdeDocument): IdeCodeLens[] {
  const out: IdeCodeLens[] = [];
  const p = doc.model.bindings.pipeline;
  const study = doc.model.study;
  const n = study?.variants.length ?? 0;
  const run = study ? `▶ Run study ${study.name} (${n} variant${n === 1 ? '' : 's'})` : '▶ Run pipeline';
  if (p) out.push({ span: p.headerSpan, title: run, command: 'srlm.runPipeline', args: [doc.uri] });
  if (study) out.push({ span: study.block.headerSpan, title: run, command: 'srlm.runPipeline', args: [doc.uri] });
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

// Ties the passes together: parse → bind → check, and attaches positions to every diagnostic at the end.
import { Codes } from './diagnostics/codes';
import { compareDiagnostics, type Diagnostic, type RawDiagnostic } from './diagnostics/diagnostic';
import { bind, type Bindings, type BlockSymbol, type Reference } from './semantics/binder';
import { check as checkText, type BlockConfig } from './semantics/checker';
import type { StudyConfig } from './semantics/study';
import { SourceFile } from './syntax/ast';
import { parseText } from './syntax/parser';
import type { SyntaxNode } from './syntax/tree';
import { LineIndex } from './text/lineIndex';

export interface ParsedDocument {
  text: string;
  tree: SyntaxNode;
  file: SourceFile;
  lineIndex: LineIndex;
  /** Lexical and syntax diagnostics only. */
  diagnostics: Diagnostic[];
}

export interface DocumentModel extends ParsedDocument {
  /** Every named block (models, datasets, stages, evals) in source order. */
  symbols: BlockSymbol[];
  symbolsByName: Map<string, BlockSymbol>;
  /** Every reference (init, teacher, data, stages) with its target symbol, if any. */
  references: Reference[];
  pipeline: BlockConfig | undefined;
  /** Checked values of each named block in plan form, by symbol. */
  configs: Map<BlockSymbol, BlockConfig>;
  /** The pipeline's study, when it declares one (docs/study.md). */
  study: StudyConfig | undefined;
  bindings: Bindings;
  /** Syntax and text-only semantic diagnostics, sorted by position. */
  diagnostics: Diagnostic[];
}

/**
 * Characters kept of a message: names from the file are quoted in messages, and a 1 MB name quoted in a
 * thousand diagnostics would be a gigabyte of output.
 */
export const MAX_MESSAGE_CHARS = 1000;

export function toDiagnostics(raw: RawDiagnostic[], index: LineIndex): Diagnostic[] {
  const out = raw.map((r): Diagnostic => {
    const d: Diagnostic = {
      code: r.info.code,
      severity: r.severity ?? r.info.severity,
      message: r.message.length > MAX_MESSAGE_CHARS ? `${r.message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : r.message,
      range: index.rangeOf(r.span),
      span: r.span,
    };
    if (r.related?.length)
      d.related = r.related.map((x) => ({ range: index.rangeOf(x.span), span: x.span, message: x.message }));
    if (r.fixes?.length) {
      d.fixes = r.fixes.map((f) => ({
        title: f.title,
        preferred: f.preferred,
        edits: f.edits.map((e) => ({ range: index.rangeOf(e.span), span: e.span, newText: e.newText })),
      }));
    }
    if (r.tags) d.tags = r.tags;
    return d;
  });
  return out.sort(compareDiagnostics);
}

export function parseDocument(text: string): ParsedDocument {
  const { root, diagnostics } = parseText(text);
  const lineIndex = new LineIndex(text);
  return {
    text,
    tree: root,
    file: new SourceFile(text, root),
    lineIndex,
    diagnostics: toDiagnostics(diagnostics, lineIndex),
  };
}

export function analyzeDocument(text: string): DocumentModel {
  const { root, diagnostics: syntax } = parseText(text);
  const lineIndex = new LineIndex(text);
  const file = new SourceFile(text, root);
  const bindings = bind(file);
  const result = checkText(file, bindings);
  return {
    text,
    tree: root,
    file,
    lineIndex,
    symbols: bindings.symbols,
    symbolsByName: bindings.byName,
    references: bindings.references,
    pipeline: result.pipeline,
    configs: result.configs,
    study: result.study,
    bindings,
    diagnostics: capDiagnostics(toDiagnostics(syntax.concat(result.diagnostics), lineIndex), lineIndex),
  };
}

/** Diagnostics kept per file: beyond this, garbage input would only flood the editor. */
export const MAX_DIAGNOSTICS = 1000;
const CAP_NOTE = ' more diagnostics not shown';

/**
 * The first MAX_DIAGNOSTICS of a sorted list, then one SRLM007 note counting the rest. A list that was capped
 * before (its last entry is that note) can be capped again with more diagnostics added: the counts add up.
 */
export function capDiagnostics(list: Diagnostic[], index: LineIndex): Diagnostic[] {
  let hidden = 0;
  const isCapNote = (d: Diagnostic) => d.code === Codes.tooManyErrors.code && d.message.endsWith(CAP_NOTE);
  const notes = list.filter(isCapNote);
  if (notes.length > 0) {
    for (const n of notes) hidden += Number(/^(\d+)/.exec(n.message)?.[1] ?? 0);
    list = list.filter((d) => !isCapNote(d));
  }
  if (list.length <= MAX_DIAGNOSTICS && hidden === 0) return list;
  const kept = list.slice(0, MAX_DIAGNOSTICS);
  hidden += list.length - kept.length;
  const span = kept[kept.length - 1]?.span ?? { start: 0, end: 0 };
  kept.push({
    code: Codes.tooManyErrors.code,
    severity: Codes.tooManyErrors.severity,
    message: `${hidden}${CAP_NOTE}`,
    range: index.rangeOf(span),
    span,
  });
  return kept;
}

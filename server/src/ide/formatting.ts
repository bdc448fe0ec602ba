// Formatting: the core's canonical formatter, turned into minimal edits (a line diff) so the editor keeps
// cursors and undo granularity; range formatting applies the hunks that touch the range.
import { format } from '../core';
import { lineHunks } from '../core/format/lineDiff';
import type { IdeDocument } from './document';
import type { IdeEdit, Span } from './types';

/** Lines with their terminators, so concatenating a slice gives back exactly that stretch of text. */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function editsFor(doc: IdeDocument, formatted: string, within?: Span): IdeEdit[] {
  const old = doc.text;
  if (old === formatted) return [];
  const aLines = linesOf(old);
  const bLines = linesOf(formatted);
  const starts: number[] = [];
  let off = 0;
  for (const l of aLines) {
    starts.push(off);
    off += l.length;
  }
  const lineStart = (k: number): number => (k < starts.length ? starts[k]! : old.length);
  // A hunk replacing n lines by n lines is n independent line edits, so range formatting can take only the
  // lines inside its range.
  const hunks = lineHunks(aLines, bLines).flatMap((h) =>
    h.a1 - h.a0 === h.b1 - h.b0 && h.a1 - h.a0 > 1
      ? Array.from({ length: h.a1 - h.a0 }, (_, k) => ({
          a0: h.a0 + k,
          a1: h.a0 + k + 1,
          b0: h.b0 + k,
          b1: h.b0 + k + 1,
        }))
      : [h],
  );
  const edits: IdeEdit[] = [];
  for (const h of hunks) {
    const start = lineStart(h.a0);
    const end = lineStart(h.a1);
    if (within && (end < within.start || start > within.end)) continue;
    edits.push({ span: { start, end }, newText: bLines.slice(h.b0, h.b1).join('') });
  }
  return edits;
}

export function formatDocument(doc: IdeDocument): IdeEdit[] {
  const r = format(doc.text);
  return r.text === undefined ? [] : editsFor(doc, r.text);
}

export function formatRange(doc: IdeDocument, span: Span): IdeEdit[] {
  const r = format(doc.text);
  return r.text === undefined ? [] : editsFor(doc, r.text, span);
}

// Selection ranges: from the word under the cursor outwards through every enclosing syntax node (value,
// attribute, block body, block, pipeline) to the whole file.
import { ancestors, tokenAtOffset, isTrivia, SyntaxKind } from '../core';
import type { IdeDocument } from './document';
import type { IdeSelection, Span } from './types';

export function selectionRanges(doc: IdeDocument, offsets: number[]): IdeSelection[] {
  return offsets.map((offset) => {
    const out: Span[] = [];
    const push = (s: Span): void => {
      const last = out[out.length - 1];
      if (!last || last.start !== s.start || last.end !== s.end) out.push(s);
    };
    const tok = tokenAtOffset(doc.model.tree, offset);
    if (tok && !isTrivia(tok.kind)) {
      // Inside a string, its content first, then the string with quotes.
      if (tok.kind === SyntaxKind.String && tok.end - tok.start >= 2 && offset > tok.start && offset < tok.end) {
        push({ start: tok.start + 1, end: doc.text[tok.end - 1] === '"' ? tok.end - 1 : tok.end });
      }
      push({ start: tok.start, end: tok.end });
    } else push({ start: offset, end: offset });
    if (tok) {
      for (const n of ancestors(tok).reverse()) {
        if (n.start > offset || n.end < offset) continue;
        push({ start: n.start, end: n.end });
      }
    }
    push({ start: 0, end: doc.text.length });
    return out;
  });
}

// Folding: every block body spanning lines, multi-line lists and calls, and runs of comment lines.
import { SyntaxKind, forEachToken, isNode, type SyntaxNode } from '../core';
import type { IdeDocument } from './document';
import type { IdeFold } from './types';

export function foldingRanges(doc: IdeDocument): IdeFold[] {
  const li = doc.lineIndex;
  const out: IdeFold[] = [];
  const stack: SyntaxNode[] = [doc.model.tree];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === SyntaxKind.BlockBody || n.kind === SyntaxKind.List || n.kind === SyntaxKind.ArgList) {
      const start = li.positionAt(n.start).line;
      const end = li.positionAt(n.end).line;
      // Keep the closing bracket visible: fold up to the line before it when it sits on its own line.
      const closeOnOwnLine = /^\s*[}\])]/.test(li.lineText(end));
      const last = closeOnOwnLine ? end - 1 : end;
      if (last > start) out.push({ startLine: start, endLine: last });
    }
    for (const c of n.children) if (isNode(c)) stack.push(c);
  }
  let runStart = -1;
  let runEnd = -1;
  forEachToken(doc.model.tree, (t) => {
    if (t.kind !== SyntaxKind.Comment) return;
    const line = li.positionAt(t.start).line;
    // Only whole-line comments form a foldable run.
    if (li.lineText(line).trimStart().startsWith('#') === false) return;
    if (line === runEnd + 1) runEnd = line;
    else {
      if (runEnd > runStart) out.push({ startLine: runStart, endLine: runEnd, kind: 'comment' });
      runStart = line;
      runEnd = line;
    }
  });
  if (runEnd > runStart) out.push({ startLine: runStart, endLine: runEnd, kind: 'comment' });
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

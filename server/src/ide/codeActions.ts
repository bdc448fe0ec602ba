// Quick fixes: every fix the core (or a file check) attached to a diagnostic that overlaps the range.
import type { IdeDocument } from './document';
import type { IdeCodeAction, Span } from './types';

function overlaps(a: Span, b: Span): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function codeActions(doc: IdeDocument, range: Span): IdeCodeAction[] {
  const out: IdeCodeAction[] = [];
  for (const d of [...doc.model.diagnostics, ...doc.slowDiagnostics]) {
    if (!d.fixes?.length || !overlaps(d.span, range)) continue;
    for (const f of d.fixes) {
      out.push({
        title: f.title,
        edits: f.edits.map((e) => ({ span: e.span, newText: e.newText })),
        preferred: f.preferred === true,
        diagnostic: { code: d.code, span: d.span, message: d.message },
      });
    }
  }
  return out;
}

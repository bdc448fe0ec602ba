// textDocument/codeAction → ide.codeActions: the quick fixes the core attached to its diagnostics.
import { type CodeAction, CodeActionKind, type Diagnostic } from 'vscode-languageserver/node';
import { codeActions } from '../ide';
import type { ServerContext } from './context';

export function registerCodeActions(ctx: ServerContext): void {
  ctx.connection.onCodeAction((p, token) =>
    ctx.answer<CodeAction[]>('codeAction', p.textDocument.uri, token, [], (doc) => {
      const span = ctx.spanOf(doc, p.range);
      if (!span) return [];
      if (p.context.only && !p.context.only.some((k) => k === CodeActionKind.QuickFix || k === 'quickfix.srlm')) {
        return [];
      }
      return codeActions(doc, span).map((a) => {
        const range = ctx.range(doc, a.diagnostic.span);
        // Echo the client's own diagnostic object when it sent one, so the editor links fix and squiggle.
        const sent = p.context.diagnostics.find(
          (d: Diagnostic) =>
            d.code === a.diagnostic.code &&
            d.range.start.line === range.start.line &&
            d.range.start.character === range.start.character,
        );
        return {
          title: a.title,
          kind: CodeActionKind.QuickFix,
          isPreferred: a.preferred,
          diagnostics: [sent ?? { range, message: a.diagnostic.message, code: a.diagnostic.code, source: 'srlm' }],
          edit: {
            changes: {
              [p.textDocument.uri]: a.edits.map((e) => ({ range: ctx.range(doc, e.span), newText: e.newText })),
            },
          },
        };
      });
    }),
  );
}

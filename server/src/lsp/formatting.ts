// textDocument/formatting and rangeFormatting → ide.formatDocument / ide.formatRange.
import type { TextEdit } from 'vscode-languageserver/node';
import { formatDocument, formatRange } from '../ide';
import type { ServerContext } from './context';

export function registerFormatting(ctx: ServerContext): void {
  ctx.connection.onDocumentFormatting((p, token) =>
    ctx.answer<TextEdit[]>('formatting', p.textDocument.uri, token, [], (doc) =>
      formatDocument(doc).map((e) => ({ range: ctx.range(doc, e.span), newText: e.newText })),
    ),
  );
  ctx.connection.onDocumentRangeFormatting((p, token) =>
    ctx.answer<TextEdit[]>('rangeFormatting', p.textDocument.uri, token, [], (doc) => {
      const span = ctx.spanOf(doc, p.range);
      if (!span) return [];
      return formatRange(doc, span).map((e) => ({ range: ctx.range(doc, e.span), newText: e.newText }));
    }),
  );
}

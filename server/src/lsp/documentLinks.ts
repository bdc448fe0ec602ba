// textDocument/documentLink → ide.documentLinks (dataset files, model folders, reward files).
import { pathToFileURL } from 'node:url';
import type { DocumentLink } from 'vscode-languageserver/node';
import { documentLinks } from '../ide';
import type { ServerContext } from './context';

export function registerDocumentLinks(ctx: ServerContext): void {
  ctx.connection.onDocumentLinks((p, token) =>
    ctx.answer<DocumentLink[]>('documentLink', p.textDocument.uri, token, [], (doc) =>
      documentLinks(doc, ctx.env).map((l) => ({
        range: ctx.range(doc, l.span),
        target: pathToFileURL(l.target).toString(),
        tooltip: l.tooltip,
      })),
    ),
  );
}

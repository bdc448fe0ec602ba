// textDocument/references → ide.references.
import type { Location } from 'vscode-languageserver/node';
import { references } from '../ide';
import type { ServerContext } from './context';

export function registerReferences(ctx: ServerContext): void {
  ctx.connection.onReferences((p, token) =>
    ctx.answer<Location[]>('references', p.textDocument.uri, token, [], (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      if (offset === undefined) return [];
      return references(doc, offset, p.context.includeDeclaration).map((s) => ({
        uri: p.textDocument.uri,
        range: ctx.range(doc, s),
      }));
    }),
  );
}

// textDocument/definition → ide.definition (a pipeline name, or a user reward's `def` in its Python file).
import { pathToFileURL } from 'node:url';
import type { Location } from 'vscode-languageserver/node';
import { definition } from '../ide';
import type { ServerContext } from './context';

export function registerDefinition(ctx: ServerContext): void {
  ctx.connection.onDefinition((p, token) =>
    ctx.answer<Location[]>('definition', p.textDocument.uri, token, [], (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      const target = offset === undefined ? undefined : definition(doc, offset, ctx.env);
      if (!target) return [];
      if ('span' in target) return [{ uri: p.textDocument.uri, range: ctx.range(doc, target.span) }];
      const at = { line: target.line, character: 0 };
      return [{ uri: pathToFileURL(target.path).toString(), range: { start: at, end: at } }];
    }),
  );
}

// textDocument/hover → ide.hover.
import { type Hover, MarkupKind } from 'vscode-languageserver/node';
import { hover } from '../ide';
import type { ServerContext } from './context';

export function registerHover(ctx: ServerContext): void {
  ctx.connection.onHover((p, token) =>
    ctx.answer<Hover | null>('hover', p.textDocument.uri, token, null, (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      const h = offset === undefined ? undefined : hover(doc, offset, ctx.env);
      return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: ctx.range(doc, h.span) } : null;
    }),
  );
}

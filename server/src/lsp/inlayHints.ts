// textDocument/inlayHint → ide.inlayHints (effective defaults; per-stage parameter/memory/time estimates).
import { type InlayHint, InlayHintKind } from 'vscode-languageserver/node';
import { inlayHints } from '../ide';
import type { ServerContext } from './context';

export function registerInlayHints(ctx: ServerContext): void {
  ctx.connection.languages.inlayHint.on((p, token) =>
    ctx.answer<InlayHint[]>('inlayHint', p.textDocument.uri, token, [], (doc) => {
      const span = ctx.spanOf(doc, p.range) ?? { start: 0, end: doc.text.length };
      return inlayHints(doc, span, ctx.env).map((h) => ({
        position: doc.lineIndex.positionAt(h.offset),
        label: h.label,
        kind: h.kind === 'default' ? InlayHintKind.Parameter : undefined,
        tooltip: h.tooltip,
        paddingLeft: h.paddingLeft ?? true,
      }));
    }),
  );
}

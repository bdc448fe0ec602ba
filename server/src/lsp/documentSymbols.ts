// textDocument/documentSymbol → ide.documentSymbols (the outline).
import { type DocumentSymbol, SymbolKind } from 'vscode-languageserver/node';
import { documentSymbols } from '../ide';
import type { IdeSymbol, IdeSymbolKind } from '../ide/types';
import type { ServerContext } from './context';
import type { IdeDocument } from '../ide';

export const SYMBOL_KIND: Record<IdeSymbolKind, SymbolKind> = {
  pipeline: SymbolKind.Namespace,
  model: SymbolKind.Class,
  dataset: SymbolKind.Struct,
  stage: SymbolKind.Function,
  eval: SymbolKind.Event,
  block: SymbolKind.Object,
  field: SymbolKind.Property,
};

function toLsp(ctx: ServerContext, doc: IdeDocument, s: IdeSymbol): DocumentSymbol {
  return {
    name: s.name || ' ',
    detail: s.detail,
    kind: SYMBOL_KIND[s.kind],
    range: ctx.range(doc, s.span),
    selectionRange: ctx.range(doc, s.selectionSpan),
    children: s.children.map((c) => toLsp(ctx, doc, c)),
  };
}

export function registerDocumentSymbols(ctx: ServerContext): void {
  ctx.connection.onDocumentSymbol((p, token) =>
    ctx.answer<DocumentSymbol[]>('documentSymbol', p.textDocument.uri, token, [], (doc) =>
      documentSymbols(doc).map((s) => toLsp(ctx, doc, s)),
    ),
  );
}

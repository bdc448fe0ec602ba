// textDocument/semanticTokens/full and /range → ide.semanticTokens, delta-encoded as LSP requires.
import { type SemanticTokens, SemanticTokensBuilder } from 'vscode-languageserver/node';
import { type IdeDocument, semanticTokens } from '../ide';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, type Span } from '../ide/types';
import type { ServerContext } from './context';

const TYPE_INDEX = new Map<string, number>(SEMANTIC_TOKEN_TYPES.map((t, i) => [t, i]));
const MOD_BIT = new Map<string, number>(SEMANTIC_TOKEN_MODIFIERS.map((m, i) => [m, 1 << i]));

function encode(doc: IdeDocument, span?: Span): SemanticTokens {
  const b = new SemanticTokensBuilder();
  const li = doc.lineIndex;
  for (const t of semanticTokens(doc, span)) {
    // LSP tokens cannot span lines; multi-line tokens (strings with newlines) are cut per line.
    const start = li.positionAt(t.span.start);
    const end = li.positionAt(t.span.end);
    const type = TYPE_INDEX.get(t.type)!;
    const mods = t.modifiers.reduce((m, x) => m | (MOD_BIT.get(x) ?? 0), 0);
    for (let line = start.line; line <= end.line; line++) {
      const from = line === start.line ? start.character : 0;
      const to = line === end.line ? end.character : li.lineEnd(line) - li.lineStarts[line]!;
      if (to > from) b.push(line, from, to - from, type, mods);
    }
  }
  return b.build();
}

export function registerSemanticTokens(ctx: ServerContext): void {
  ctx.connection.languages.semanticTokens.on((p, token) =>
    ctx.answer<SemanticTokens>('semanticTokens', p.textDocument.uri, token, { data: [] }, (doc) => encode(doc)),
  );
  ctx.connection.languages.semanticTokens.onRange((p, token) =>
    ctx.answer<SemanticTokens>('semanticTokensRange', p.textDocument.uri, token, { data: [] }, (doc) => {
      const span = ctx.spanOf(doc, p.range);
      return span ? encode(doc, span) : { data: [] };
    }),
  );
}

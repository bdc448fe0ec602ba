// textDocument/foldingRange → ide.foldingRanges.
import { type FoldingRange, FoldingRangeKind } from 'vscode-languageserver/node';
import { foldingRanges } from '../ide';
import type { ServerContext } from './context';

export function registerFolding(ctx: ServerContext): void {
  ctx.connection.onFoldingRanges((p, token) =>
    ctx.answer<FoldingRange[]>('foldingRange', p.textDocument.uri, token, [], (doc) =>
      foldingRanges(doc)
        // LSP wants 0 ≤ startLine < endLine; anything else would only confuse the editor.
        .filter((f) => f.startLine >= 0 && f.endLine > f.startLine)
        .map((f) => ({
          startLine: f.startLine,
          endLine: f.endLine,
          kind:
            f.kind === 'comment' ? FoldingRangeKind.Comment : f.kind === 'region' ? FoldingRangeKind.Region : undefined,
        })),
    ),
  );
}

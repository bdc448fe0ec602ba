// textDocument/selectionRange → ide.selectionRanges (innermost first, chained through `parent`).
import type { SelectionRange } from 'vscode-languageserver/node';
import { selectionRanges } from '../ide';
import type { ServerContext } from './context';

export function registerSelectionRanges(ctx: ServerContext): void {
  ctx.connection.onSelectionRanges((p, token) =>
    ctx.answer<SelectionRange[]>('selectionRange', p.textDocument.uri, token, [], (doc) => {
      const offsets = p.positions.map((pos) => ctx.offsetAt(doc, pos));
      // The protocol wants one answer per position; an out-of-range position gets an empty range at 0.
      const chains = selectionRanges(
        doc,
        offsets.map((o) => o ?? 0),
      );
      return chains.map((chain, i) => {
        if (offsets[i] === undefined || chain.length === 0) return { range: ctx.range(doc, { start: 0, end: 0 }) };
        let parent: SelectionRange | undefined;
        for (let k = chain.length - 1; k >= 0; k--) parent = { range: ctx.range(doc, chain[k]!), parent };
        return parent!;
      });
    }),
  );
}

// workspace/symbol → ide.workspaceSymbols over open documents and the .srlm files of the workspace folders.
import type { SymbolInformation } from 'vscode-languageserver/node';
import { workspaceSymbols } from '../ide';
import { guarded } from './cancellation';
import type { ServerContext } from './context';
import { SYMBOL_KIND } from './documentSymbols';

export function registerWorkspaceSymbols(ctx: ServerContext): void {
  ctx.connection.onWorkspaceSymbol((p, token) =>
    guarded<SymbolInformation[]>(ctx.log, 'workspaceSymbol', token, [], () => {
      const open = ctx.store.all().flatMap((d) => {
        const a = ctx.store.analysis(d.uri);
        return a ? [a] : [];
      });
      return workspaceSymbols(open, p.query, ctx.env).map((s) => ({
        name: s.name,
        kind: SYMBOL_KIND[s.kind],
        containerName: s.container,
        location: { uri: s.uri, range: s.range },
      }));
    }),
  );
}

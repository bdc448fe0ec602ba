// textDocument/codeLens → ide.codeLenses: "Run pipeline" and "Run from here"; the client owns the commands.
import type { CodeLens } from 'vscode-languageserver/node';
import { codeLenses } from '../ide';
import type { ServerContext } from './context';

export function registerCodeLens(ctx: ServerContext): void {
  ctx.connection.onCodeLens((p, token) =>
    ctx.answer<CodeLens[]>('codeLens', p.textDocument.uri, token, [], (doc) =>
      codeLenses(doc).map((l) => ({
        range: ctx.range(doc, l.span),
        command: { title: l.title, command: l.command, arguments: l.args },
      })),
    ),
  );
}

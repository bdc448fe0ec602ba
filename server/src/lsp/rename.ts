// textDocument/prepareRename and textDocument/rename → ide.prepareRename / ide.rename.
import { ErrorCodes, ResponseError, type PrepareRenameResult, type WorkspaceEdit } from 'vscode-languageserver/node';
import { prepareRename, rename } from '../ide';
import type { ServerContext } from './context';

export function registerRename(ctx: ServerContext): void {
  ctx.connection.onPrepareRename((p, token) =>
    ctx.answer<PrepareRenameResult | null>('prepareRename', p.textDocument.uri, token, null, (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      const r = offset === undefined ? undefined : prepareRename(doc, offset);
      return r ? { range: ctx.range(doc, r.span), placeholder: r.placeholder } : null;
    }),
  );
  ctx.connection.onRenameRequest((p, token) => {
    // An invalid new name is the user's mistake and deserves a message, not a silent no-op.
    let invalid: string | undefined;
    const edit = ctx.answer<WorkspaceEdit | null>('rename', p.textDocument.uri, token, null, (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      if (offset === undefined) return null;
      const r = rename(doc, offset, p.newName);
      if (!r) return null;
      if ('error' in r) {
        invalid = r.error;
        return null;
      }
      return {
        changes: { [p.textDocument.uri]: r.edits.map((e) => ({ range: ctx.range(doc, e.span), newText: e.newText })) },
      };
    });
    if (invalid) throw new ResponseError(ErrorCodes.InvalidParams, invalid);
    return edit;
  });
}

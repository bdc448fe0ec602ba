// textDocument/completion → ide.completion.
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem } from 'vscode-languageserver/node';
import { completion } from '../ide';
import type { CompletionKind } from '../ide/types';
import type { ServerContext } from './context';

const KIND: Record<CompletionKind, CompletionItemKind> = {
  block: CompletionItemKind.Module,
  stageKind: CompletionItemKind.Class,
  field: CompletionItemKind.Property,
  enum: CompletionItemKind.EnumMember,
  reference: CompletionItemKind.Reference,
  path: CompletionItemKind.File,
  folder: CompletionItemKind.Folder,
  model: CompletionItemKind.Module,
  reward: CompletionItemKind.Function,
  function: CompletionItemKind.Function,
  snippet: CompletionItemKind.Snippet,
  value: CompletionItemKind.Value,
};

export function registerCompletion(ctx: ServerContext): void {
  ctx.connection.onCompletion((p, token) =>
    ctx.answer('completion', p.textDocument.uri, token, [] as CompletionItem[], (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      if (offset === undefined) return undefined;
      return completion(doc, offset, ctx.env).map((c) => {
        const item: CompletionItem = {
          label: c.label,
          kind: KIND[c.kind],
          detail: c.detail,
          sortText: c.sortText,
          filterText: c.filterText,
          insertTextFormat: c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
        };
        if (c.documentation) item.documentation = { kind: MarkupKind.Markdown, value: c.documentation };
        const text = c.insertText ?? c.label;
        if (c.replace) item.textEdit = { range: ctx.range(doc, c.replace), newText: text };
        else item.insertText = text;
        // Re-opening the suggest widget is a VS Code editor command; other clients would send it back to us
        // as workspace/executeCommand, so it is only attached for VS Code.
        if (c.retrigger && ctx.clientIsVsCode)
          item.command = { title: 'suggest', command: 'editor.action.triggerSuggest' };
        return item;
      });
    }),
  );
}

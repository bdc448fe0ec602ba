// textDocument/signatureHelp → ide.signatureHelp.
import { MarkupKind, type SignatureHelp } from 'vscode-languageserver/node';
import { signatureHelp } from '../ide';
import type { ServerContext } from './context';

export function registerSignatureHelp(ctx: ServerContext): void {
  ctx.connection.onSignatureHelp((p, token) =>
    ctx.answer<SignatureHelp | null>('signatureHelp', p.textDocument.uri, token, null, (doc) => {
      const offset = ctx.offsetAt(doc, p.position);
      const s = offset === undefined ? undefined : signatureHelp(doc, offset, ctx.env);
      if (!s) return null;
      return {
        signatures: [
          {
            label: s.label,
            documentation: s.documentation ? { kind: MarkupKind.Markdown, value: s.documentation } : undefined,
            parameters: s.parameters.map((q) => ({ label: q.label, documentation: q.documentation })),
          },
        ],
        activeSignature: 0,
        activeParameter: s.activeParameter,
      };
    }),
  );
}

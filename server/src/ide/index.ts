// The IDE layer: editor features as plain data over the language core (rust-analyzer's `ide` crate is the
// model). server/src/lsp maps these answers to LSP; nothing here imports LSP types.
export { IdeDocument, analyzeDocument } from './document';
export { IdeEnv } from './env';
export { completion } from './completion';
export { hover } from './hover';
export { signatureHelp } from './signatureHelp';
export { definition, references, prepareRename, rename, type IdeTarget } from './navigation';
export { documentSymbols, workspaceSymbols, type WorkspaceSymbol } from './symbols';
export { foldingRanges } from './folding';
export { selectionRanges } from './selection';
export { formatDocument, formatRange } from './formatting';
export { semanticTokens } from './semanticTokens';
export { documentLinks } from './links';
export { codeActions } from './codeActions';
export { inlayHints } from './inlayHints';
export { codeLenses } from './codeLens';
export { checkDocument, environmentChecks, fastDiagnostics, slowDiagnostics, type IdeDiagnostic } from './diagnostics';
export { cursorContext } from './cursor';
export * from './types';

import { IdeEnv } from './env';

export function createEnv(): IdeEnv {
  return new IdeEnv();
}

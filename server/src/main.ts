// Entry of the language server bundle (dist/server.js). Any LSP client can start it with `--stdio` (or
// `--node-ipc` / `--socket=N`, which vscode-languageserver reads from argv). Language logic lives in
// server/src/core and server/src/ide; server/src/lsp only maps it to the protocol.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './lsp/server';

startServer(createConnection(ProposedFeatures.all));

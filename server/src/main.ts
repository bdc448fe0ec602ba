// Entry of the language server bundle (dist/server.js). Any LSP client can start it with `--stdio` or
// `--node-ipc` (the VS Code client), whose messages go through the checks in lsp/transport.ts first;
// `--socket=N` / `--pipe=NAME` are left to vscode-languageserver. Language logic lives in server/src/core and
// server/src/ide; server/src/lsp only maps it to the protocol.
import { format } from 'node:util';
import {
  createConnection,
  IPCMessageReader,
  IPCMessageWriter,
  ProposedFeatures,
  StreamMessageWriter,
  type MessageReader,
  type MessageWriter,
} from 'vscode-languageserver/node';
import { startServer } from './lsp/server';
import { CheckedReader, FramedReader, FramingError } from './lsp/transport';

function log(message: string): void {
  process.stderr.write(`srlm language server: ${message}\n`);
}

function transport(argv: string[]): [MessageReader, MessageWriter] | undefined {
  if (argv.includes('--stdio')) {
    // stdout carries the protocol: anything a dependency prints goes to stderr instead.
    for (const k of ['log', 'info', 'warn', 'debug'] as const) console[k] = (...a: unknown[]) => log(format(...a));
    const writer = new StreamMessageWriter(process.stdout);
    return [new FramedReader(process.stdin, (m) => void writer.write(m).catch(() => undefined)), writer];
  }
  if (argv.includes('--node-ipc')) return [new IPCMessageReader(process), new IPCMessageWriter(process)];
  return undefined;
}

const wire = transport(process.argv.slice(2));
if (!wire) startServer(createConnection(ProposedFeatures.all));
else {
  const [inner, writer] = wire;
  const reader = new CheckedReader(inner, writer, log);
  reader.onError((e) => {
    // Out of step with the client: exit, so that the client notices and starts a fresh server, instead of
    // staying alive and deaf.
    if (e instanceof FramingError) {
      log(`${e.message}; exiting so that the client restarts the server`);
      process.exit(1);
    }
  });
  // The client went away without the `exit` notification (which exits in vscode-languageserver).
  reader.onClose(() => process.exit(1));
  startServer(createConnection(ProposedFeatures.all, reader, writer));
}

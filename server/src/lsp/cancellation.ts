// Request plumbing shared by every feature: a request for a document that is not open, an LSP cancellation,
// or an exception inside a feature all end in the feature's empty answer instead of an error reply, so one
// bad keystroke can never break the editor's session.
import { type CancellationToken, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';

export interface Logger {
  error(message: string): void;
}

/** Runs `compute` unless cancelled; returns `empty` on exceptions (logged) and throws the LSP cancellation
 * error when the client cancelled, which is what the protocol asks for. */
export function guarded<T>(
  log: Logger,
  feature: string,
  token: CancellationToken | undefined,
  empty: T,
  compute: () => T | undefined,
): T {
  if (token?.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  try {
    const r = compute();
    if (token?.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    return r ?? empty;
  } catch (e) {
    if (e instanceof ResponseError) throw e;
    log.error(`${feature} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return empty;
  }
}

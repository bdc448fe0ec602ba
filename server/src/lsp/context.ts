// What every feature handler needs: the connection, the open documents with their analyses, the workspace
// environment, and one way to answer a request (guarded, position-checked, empty on anything unexpected).
import type { CancellationToken, Connection, Position, Range } from 'vscode-languageserver/node';
import { type IdeDocument, type IdeEnv } from '../ide';
import type { Span } from '../ide/types';
import { guarded } from './cancellation';
import { DocumentStore } from './documents';

export class ServerContext {
  readonly store: DocumentStore<IdeDocument>;
  /** Every request reports here (the idle garbage collector waits for quiet). */
  onActivity: () => void = () => undefined;
  /** VS Code (or a fork / code-server): editor commands such as re-triggering suggestions exist. */
  clientIsVsCode = false;

  constructor(
    readonly connection: Connection,
    readonly env: IdeEnv,
    analyze: (uri: string, text: string) => IdeDocument,
  ) {
    this.store = new DocumentStore(analyze);
    const warned = new Set<string>();
    this.store.onStaleVersion = (uri, version, previous) => {
      if (warned.has(uri)) return;
      warned.add(uri);
      this.log.info(
        `${uri}: change with version ${version} after version ${previous}; applied, results follow the text`,
      );
    };
  }

  readonly log = {
    error: (message: string): void => this.connection.console.error(message),
    info: (message: string): void => this.connection.console.info(message),
  };

  /** Answers a document request: `empty` when the document is not open, on failure, or when cancelled. */
  answer<T>(
    feature: string,
    uri: string,
    token: CancellationToken | undefined,
    empty: T,
    compute: (doc: IdeDocument) => T | undefined,
  ): T {
    this.onActivity();
    return guarded(this.log, feature, token, empty, () => {
      const doc = this.store.analysis(uri);
      return doc ? compute(doc) : undefined;
    });
  }

  /** Offset of an LSP position, or undefined when the position lies outside the document. */
  offsetAt(doc: IdeDocument, pos: Position): number | undefined {
    if (!Number.isInteger(pos.line) || !Number.isInteger(pos.character) || pos.line < 0 || pos.character < 0) {
      return undefined;
    }
    const li = doc.lineIndex;
    if (pos.line >= li.lineCount) return undefined;
    const lineLen = li.lineEnd(pos.line) - li.lineStarts[pos.line]!;
    if (pos.character > lineLen) return undefined;
    return li.offsetAt(pos);
  }

  range(doc: IdeDocument, span: Span): Range {
    return doc.lineIndex.rangeOf(span);
  }

  spanOf(doc: IdeDocument, range: Range): Span | undefined {
    const start = this.offsetAt(doc, range.start);
    const end = this.offsetAt(doc, range.end);
    if (start === undefined || end === undefined || end < start) return undefined;
    return { start, end };
  }
}

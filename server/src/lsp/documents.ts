// Open documents and their analyses. An analysis is computed at most once per document version and only when
// a feature asks for it, so a burst of keystrokes costs one parse, not one per change. Only the most recently
// used analyses are kept: with many files open, memory stays bounded and a background file is simply
// re-analysed (milliseconds) when it is asked about again.
import { TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export class DocumentStore<A> {
  readonly documents = new TextDocuments(TextDocument);
  private readonly cache = new Map<string, { version: number; analysis: A }>();

  /** Called when analyses are dropped (evicted or closed), so memory can be reclaimed when idle. */
  onDropped: () => void = () => undefined;

  constructor(
    private readonly analyze: (uri: string, text: string) => A,
    private readonly maxCached = 8,
  ) {
    this.documents.onDidClose((e) => {
      if (this.cache.delete(e.document.uri)) this.onDropped();
    });
  }

  get(uri: string): TextDocument | undefined {
    return this.documents.get(uri);
  }

  all(): TextDocument[] {
    return this.documents.all();
  }

  /** The analysis of the current version of an open document; undefined when it is not open. */
  analysis(uri: string): A | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const hit = this.cache.get(uri);
    if (hit && hit.version === doc.version) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.cache.delete(uri);
      this.cache.set(uri, hit);
      return hit.analysis;
    }
    const analysis = this.analyze(uri, doc.getText());
    this.cache.delete(uri);
    this.cache.set(uri, { version: doc.version, analysis });
    while (this.cache.size > this.maxCached) {
      this.cache.delete(this.cache.keys().next().value as string);
      this.onDropped();
    }
    return analysis;
  }
}

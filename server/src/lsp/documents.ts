// Open documents and their analyses. An analysis is computed at most once per document version and only when
// a feature asks for it, so a burst of keystrokes costs one parse, not one per change. Only the most recently
// used analyses are kept: with many files open, memory stays bounded and a background file is simply
// re-analysed (milliseconds) when it is asked about again.
//
// Analyses are keyed by the store's own revision, counted per content change, not by the client's version: a
// client that reused or lowered a version number got the analysis of the previous text (formatting edits on
// the wrong lines, folding ranges at line -1). Such a change is still applied — the client's edits are the
// text — and reported through `onStaleVersion`.
import { TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export class DocumentStore<A> {
  readonly documents = new TextDocuments(TextDocument);
  private readonly cache = new Map<string, { revision: number; analysis: A }>();
  private readonly revisions = new Map<string, { revision: number; version: number }>();
  private counter = 0;

  /** Called when analyses are dropped (evicted or closed), so memory can be reclaimed when idle. */
  onDropped: () => void = () => undefined;
  /** Called when a change arrives with a version not above the document's last one. */
  onStaleVersion: (uri: string, version: number, previous: number) => void = () => undefined;

  constructor(
    private readonly analyze: (uri: string, text: string) => A,
    private readonly maxCached = 8,
  ) {
    this.documents.onDidClose((e) => {
      this.revisions.delete(e.document.uri);
      if (this.cache.delete(e.document.uri)) this.onDropped();
    });
    // Registered before any other listener, so every feature sees the new revision.
    this.documents.onDidChangeContent((e) => {
      const { uri, version } = e.document;
      const prev = this.revisions.get(uri);
      if (prev && version <= prev.version) this.onStaleVersion(uri, version, prev.version);
      this.revisions.set(uri, { revision: ++this.counter, version });
    });
  }

  /** Changes with every content change of an open document (whatever its version says); undefined when closed. */
  revision(uri: string): number | undefined {
    return this.revisions.get(uri)?.revision;
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
    const revision = this.revisions.get(uri)?.revision ?? -1;
    const hit = this.cache.get(uri);
    if (hit && hit.revision === revision) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.cache.delete(uri);
      this.cache.set(uri, hit);
      return hit.analysis;
    }
    const analysis = this.analyze(uri, doc.getText());
    this.cache.delete(uri);
    this.cache.set(uri, { revision, analysis });
    while (this.cache.size > this.maxCached) {
      this.cache.delete(this.cache.keys().next().value as string);
      this.onDropped();
    }
    return analysis;
  }
}

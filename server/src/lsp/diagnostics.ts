// Publishes diagnostics on open and change through the debounced scheduler: the core's text diagnostics at
// once, the file-system checks (datasets, model folders, reward files, memory) when they finish.
import { type Diagnostic as LspDiagnostic, DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver/node';
import { fastDiagnostics, slowDiagnostics, type IdeDiagnostic } from '../ide';
import type { ServerContext } from './context';
import { DiagnosticsScheduler } from './diagnosticsScheduler';

const SEVERITY = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
} as const;

export function toLspDiagnostic(uri: string, d: IdeDiagnostic): LspDiagnostic {
  return {
    range: d.range,
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'srlm',
    message: d.message,
    relatedInformation: d.related?.map((r) => ({ location: { uri, range: r.range }, message: r.message })),
    tags: d.tags?.includes('unnecessary') ? [DiagnosticTag.Unnecessary] : undefined,
  };
}

export function registerDiagnostics(ctx: ServerContext, delayMs: () => number): DiagnosticsScheduler<LspDiagnostic> {
  const scheduler = new DiagnosticsScheduler<LspDiagnostic>({
    delayMs: 0,
    // Staleness by the store's revision (a client may reuse version numbers); published with the client's.
    version: (uri) => ctx.store.revision(uri),
    start: (uri) => {
      const doc = ctx.store.analysis(uri);
      if (!doc) return undefined;
      return {
        fast: () => fastDiagnostics(doc).map((d) => toLspDiagnostic(uri, d)),
        slow: async (isCancelled) =>
          (await slowDiagnostics(doc, ctx.env, isCancelled)).map((d) => toLspDiagnostic(uri, d)),
      };
    },
    publish: (uri, revision, diagnostics) =>
      void ctx.connection.sendDiagnostics({
        uri,
        version: revision === undefined ? undefined : ctx.store.get(uri)?.version,
        diagnostics,
      }),
    onError: (uri, e) => ctx.log.error(`diagnostics for ${uri} failed: ${e instanceof Error ? e.stack : String(e)}`),
  });
  // Opening a file shows its problems without waiting; typing waits for a pause.
  ctx.store.documents.onDidOpen((e) => scheduler.schedule(e.document.uri, 0));
  ctx.store.documents.onDidChangeContent((e) => scheduler.schedule(e.document.uri, delayMs()));
  ctx.store.documents.onDidClose((e) => scheduler.close(e.document.uri));
  return scheduler;
}

// What the Study view's page and its host say to each other, and what the page keeps across reloads. Shared by
// the extension (client/src/study) and the page's script (client/webview/study.ts): no imports.

/** Where the table comes from: a kept study, or runs compared on the spot (rebuilt from their folders). */
export type StudySource =
  | { readonly kind: 'study'; readonly runsDir: string; readonly id: string }
  | { readonly kind: 'runs'; readonly runs: readonly { readonly id: string; readonly dir: string }[] };

/** The page's persisted state (vscode.setState): the serializer reopens the view from it after a reload. */
export interface StudyState {
  readonly source: StudySource;
  /** The metric the chart shows. */
  readonly metric?: string;
}

export type StudyWebviewMessage =
  | { readonly type: 'openRun'; readonly id: string; readonly dir: string }
  | { readonly type: 'refresh' }
  | { readonly type: 'metric'; readonly metric: string };

/** A source read back from a page's state (which a page could hold anything in): checked field by field. */
export function isSource(v: unknown): v is StudySource {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  if (s.kind === 'study') return typeof s.runsDir === 'string' && typeof s.id === 'string';
  return (
    s.kind === 'runs' &&
    Array.isArray(s.runs) &&
    s.runs.length > 0 &&
    s.runs.every((r: unknown) => {
      const run = r as Record<string, unknown> | null;
      return typeof run === 'object' && run !== null && typeof run.id === 'string' && typeof run.dir === 'string';
    })
  );
}

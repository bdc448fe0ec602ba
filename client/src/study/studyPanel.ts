// The Study view: one webview panel per study (or per set of compared runs) showing the comparison table and a
// bar chart. The page is rendered here from the table (client/src/study/html.ts); Refresh rebuilds it from the
// run folders. The page keeps its source in its state, so the serializer reopens it after a window reload.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunStore } from '../../../runtime/src/store/runStore';
import { buildComparison, readStudy, type ComparisonTable } from '../../../runtime/src/study/table';
import { makeNonce, studyHtml, studyMessageHtml } from './html';
import { isSource, type StudySource, type StudyState, type StudyWebviewMessage } from './protocol';

export const STUDY_VIEW_TYPE = 'srlm.study';

export interface StudyHooks {
  openRun(id: string, dir: string): void;
  log(line: string): void;
}

/** The table a source names, or why there is none (a message for the page). */
export function loadTable(source: StudySource): ComparisonTable | string {
  try {
    if (source.kind === 'study') {
      const t = readStudy(source.runsDir, source.id);
      return t ?? `The study ${source.id} is no longer kept in ${path.dirname(source.runsDir)}.`;
    }
    const gone = source.runs.filter((r) => !fs.existsSync(r.dir));
    if (gone.length > 0) return `These runs no longer exist: ${gone.map((r) => r.id).join(', ')}.`;
    const stores = source.runs.map((r) => new RunStore(path.dirname(r.dir)));
    return buildComparison(
      stores[0]!,
      source.runs.map((r, i) => ({ id: path.basename(r.dir), store: stores[i]! })),
    );
  } catch (err) {
    return `The comparison could not be built: ${(err as Error).message}`;
  }
}

function sourceKey(source: StudySource): string {
  return source.kind === 'study'
    ? `study:${path.resolve(source.runsDir)}:${source.id}`
    : `runs:${source.runs.map((r) => path.resolve(r.dir)).join('\n')}`;
}

function titleOf(source: StudySource, t: ComparisonTable | undefined): string {
  if (source.kind === 'study') return `Study: ${t?.study ?? source.id}`;
  return `Compare: ${source.runs.length} runs`;
}

function localRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export class StudyPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, StudyPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private metric: string | undefined;

  static show(extensionUri: vscode.Uri, source: StudySource, hooks: StudyHooks): StudyPanel {
    const key = sourceKey(source);
    const existing = StudyPanel.panels.get(key);
    if (existing) {
      existing.render();
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      STUDY_VIEW_TYPE,
      titleOf(source, undefined),
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        localResourceRoots: localRoots(extensionUri),
      },
    );
    return new StudyPanel(panel, extensionUri, source, hooks);
  }

  /** Called by the serializer after a window reload, with the state the page kept. */
  static revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    state: StudyState | undefined,
    hooks: StudyHooks,
  ): void {
    if (!isSource(state?.source)) {
      panel.webview.html = studyMessageHtml(
        panel.webview.cspSource,
        'This study view has nothing to show; open it again.',
      );
      return;
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    new StudyPanel(panel, extensionUri, state.source, hooks, state.metric);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    readonly source: StudySource,
    private readonly hooks: StudyHooks,
    metric?: string,
  ) {
    this.metric = metric;
    StudyPanel.panels.set(sourceKey(source), this);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'srlm.svg');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: StudyWebviewMessage) => this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
    );
    this.render();
  }

  /** (Re)builds the table from its source and renders the page. */
  render(): void {
    const w = this.panel.webview;
    const table = loadTable(this.source);
    this.panel.title = titleOf(this.source, typeof table === 'string' ? undefined : table);
    if (typeof table === 'string') {
      this.hooks.log(`study view: ${table}`);
      w.html = studyMessageHtml(w.cspSource, table);
      return;
    }
    const asset = (...p: string[]) => w.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...p)).toString();
    w.html = studyHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      script: asset('dist', 'webview', 'study.js'),
      styles: [asset('media', 'dashboard.css'), asset('media', 'study.css')],
      title: this.panel.title,
      table,
      state: { source: this.source, ...(this.metric ? { metric: this.metric } : {}) },
    });
  }

  private onMessage(m: StudyWebviewMessage): void {
    switch (m.type) {
      case 'openRun':
        if (m.id && m.dir) this.hooks.openRun(m.id, m.dir);
        return;
      case 'refresh':
        this.render();
        return;
      case 'metric':
        this.metric = m.metric;
        return;
    }
  }

  dispose(): void {
    if (StudyPanel.panels.get(sourceKey(this.source)) === this) StudyPanel.panels.delete(sourceKey(this.source));
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}

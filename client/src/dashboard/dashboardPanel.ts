// One dashboard webview panel per run. The panel is fed by a RunFeed through an UpdateBatcher (≤ 10 posts/s,
// nothing posted while hidden). The webview asks for a full replay with 'ready' whenever its page (re)loads —
// first open, shown again after being hidden, or restored by the serializer after a window reload.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { dashboardHtml, makeNonce } from './html';
import { RunFeed } from './runFeed';
import { UpdateBatcher } from './updateBatcher';
import { settings } from '../config';
import type { DashboardState, HostMessage, WebviewMessage } from '../../webview/dashboard/protocol';

export const DASHBOARD_VIEW_TYPE = 'srlm.dashboard';

export interface DashboardHooks {
  revealStage(runId: string, stage: string, sourceFile: string | undefined): Promise<void>;
  pickOverlay(runId: string): Promise<{ id: string; dir: string } | undefined>;
  log(line: string): void;
}

export class DashboardPanel implements vscode.Disposable {
  private static readonly panels = new Map<string, DashboardPanel>();
  private readonly feed: RunFeed;
  private readonly batcher: UpdateBatcher;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;

  static show(extensionUri: vscode.Uri, runId: string, runDir: string, hooks: DashboardHooks): DashboardPanel {
    const existing = DashboardPanel.panels.get(runId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, `SRLM: ${runId}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: localRoots(extensionUri),
    });
    return new DashboardPanel(panel, extensionUri, runId, runDir, hooks);
  }

  /** Called by the serializer after a window reload. */
  static revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    state: DashboardState | undefined,
    hooks: DashboardHooks,
  ): void {
    if (!state?.runId || !state.runDir || !fs.existsSync(state.runDir)) {
      panel.webview.html = `<!DOCTYPE html><html><body><p>This run no longer exists${state?.runId ? `: ${escape(state.runId)}` : ''}.</p></body></html>`;
      return;
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    new DashboardPanel(panel, extensionUri, state.runId, state.runDir, hooks);
  }

  static get(runId: string): DashboardPanel | undefined {
    return DashboardPanel.panels.get(runId);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly runId: string,
    readonly runDir: string,
    private readonly hooks: DashboardHooks,
  ) {
    DashboardPanel.panels.set(runId, this);
    panel.title = `SRLM: ${runId}`;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'srlm.svg');
    this.feed = new RunFeed(runId, runDir);
    this.batcher = new UpdateBatcher((m: HostMessage) => panel.webview.postMessage(m), settings().dashboardRefreshRate);
    this.batcher.setVisible(false);
    const w = panel.webview;
    w.html = dashboardHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      script: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'dashboard.js')).toString(),
      styles: [
        w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'dashboard.css')).toString(),
        w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'dashboard.css')).toString(),
      ],
      title: `SRLM: ${runId}`,
    });
    this.disposables.push(
      w.onDidReceiveMessage((m: WebviewMessage) => this.onMessage(m)),
      panel.onDidChangeViewState(() => {
        // A hidden webview without retained context is torn down; its next 'ready' asks for a replay.
        if (!panel.visible) this.ready = false;
        this.batcher.setVisible(panel.visible && this.ready);
      }),
      panel.onDidDispose(() => this.dispose()),
      this.feed.onDelta((delta, reset) => (reset ? this.batcher.reset(delta) : this.batcher.push(delta))),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('srlm.dashboardRefreshRate')) this.batcher.setRate(settings().dashboardRefreshRate);
      }),
    );
    this.feed.start();
  }

  private onMessage(m: WebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.batcher.setVisible(this.panel.visible);
        this.batcher.reset(this.feed.snapshot());
        this.batcher.flush();
        return;
      case 'revealStage':
        void this.hooks.revealStage(this.runId, m.stage, this.feed.header().sourceFile);
        return;
      case 'pickOverlay':
        void this.hooks.pickOverlay(this.runId).then(async (other) => {
          if (!other) return;
          const f = new RunFeed(other.id, other.dir);
          await f.poll();
          await f.stop();
          void this.panel.webview.postMessage({ type: 'overlay', delta: f.snapshot() } satisfies HostMessage);
        });
        return;
      case 'clearOverlay':
        void this.panel.webview.postMessage({ type: 'overlay', delta: null } satisfies HostMessage);
        return;
    }
  }

  dispose(): void {
    DashboardPanel.panels.delete(this.runId);
    this.batcher.dispose();
    void this.feed.stop();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}

function localRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

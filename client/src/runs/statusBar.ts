// One status-bar item for the newest live run: stage, progress and ETA; a click opens its dashboard. After the
// run ends it shows the outcome until the next run starts.
import * as vscode from 'vscode';
import { isLive, runStatus, type RunRegistry } from './runRegistry';
import { duration } from './format';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('srlm.activeRun', vscode.StatusBarAlignment.Left, 50);
  private lastRunId: string | undefined;
  private readonly sub: vscode.Disposable;

  constructor(private readonly registry: RunRegistry) {
    this.item.name = 'SRLM Run';
    this.sub = registry.onDidChange(() => this.update());
  }

  /** Makes a run the one shown (the run just launched from the editor). */
  follow(runId: string): void {
    this.lastRunId = runId;
    this.update();
  }

  update(): void {
    const live = this.registry.active();
    if (live) this.lastRunId = live.id;
    const e = this.lastRunId ? this.registry.get(this.lastRunId) : undefined;
    if (!e) {
      this.item.hide();
      return;
    }
    const st = e.state;
    const status = runStatus(e);
    const cur = st.currentStage;
    if (isLive(e)) {
      const eta = cur?.etaSeconds;
      const stage = cur ? ` ${cur.name}${cur.totalSteps ? ` ${cur.step}/${cur.totalSteps}` : ''}` : '';
      this.item.text = `$(sync~spin) SRLM${stage} · ${Math.round(st.fraction * 100)}%${eta !== undefined ? ` · ETA ${duration(eta)}` : ''}`;
      this.item.backgroundColor = undefined;
    } else {
      const icon = status === 'completed' ? '$(pass)' : status === 'failed' ? '$(error)' : '$(debug-stop)';
      this.item.text = `${icon} SRLM ${st.pipeline ?? ''} ${status}`.replace(/\s+/g, ' ');
      this.item.backgroundColor =
        status === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }
    this.item.tooltip = `SRLM run ${e.id} — ${status}. Click to open its dashboard.`;
    this.item.command = { command: 'srlm.openDashboard', title: 'Open Dashboard', arguments: [e.id] };
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}

// A VS Code warning notification when a live run reports that it learns nothing (see runWarnings.ts), with a
// button that opens the run's dashboard.
import * as vscode from 'vscode';
import { isLive, type RunRegistry } from './runRegistry';
import { newRunWarnings } from './runWarnings';

export class RunWarningNotifier implements vscode.Disposable {
  private readonly seen = new Set<string>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly registry: RunRegistry) {
    this.sub = registry.onDidChange(() => this.check());
  }

  private check(): void {
    for (const { runId, warning } of newRunWarnings(this.registry.list().filter(isLive), this.seen)) {
      const where = warning.stage ? ` (stage ${warning.stage})` : '';
      const text = `SRLM run ${runId}${where}: ${warning.message}${warning.hint ? `. ${warning.hint}` : ''}`;
      void vscode.window.showWarningMessage(text, 'Open Dashboard').then((pick) => {
        if (pick) void vscode.commands.executeCommand('srlm.openDashboard', runId);
      });
    }
  }

  dispose(): void {
    this.sub.dispose();
  }
}

// The inspector's webview panel: a thin vscode adapter around InspectorController.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CheckpointGenerator } from '../../../runtime/src/inference/checkpointGenerator';
import type { ProviderPreference } from '../../../runtime/src/inference/ort';
import { findPython } from '../../../runtime/src/supervisor/python';
import { spawnCommand } from '../../../runtime/src/supervisor/spawnCommand';
import { choosePython } from '../python';
import { InspectorController, type ControllerDeps } from './controller';
import { inspectorHtml, makeNonce } from './html';
import type { HostMessage, WebviewMessage } from './protocol';

export const VIEW_TYPE = 'srlm.inspector';

/** What the webview persists (vscode.setState) so a reload can reopen the same checkpoints. */
export interface PanelState {
  readonly checkpoints: string[];
}

const open = new Map<string, InspectorPanel>();

function providerSetting(): ProviderPreference {
  const v = vscode.workspace.getConfiguration('srlm').get<string>('inference.executionProvider', 'auto');
  return (['auto', 'cpu', 'cuda', 'webgpu'] as const).find((p) => p === v) ?? 'auto';
}

function exportRunner(): ControllerDeps['runExport'] {
  // Exporting runs the workspace's Python: only in a trusted workspace.
  if (!vscode.workspace.isTrusted) return undefined;
  return async (checkpoint, log) => {
    const chosen = (await choosePython(vscode.Uri.file(checkpoint))).python;
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const python =
      chosen ?? findPython({ env: process.env, searchFrom: [checkpoint, ...folders], installVenv: true })?.python;
    if (!python) throw new Error('no Python with srlm_engine found; set srlm.pythonPath or run `srlm setup`');
    await new Promise<void>((resolve, reject) => {
      const c = spawnCommand(python, ['-m', 'srlm_engine.export', checkpoint]);
      const child = spawn(c.file, c.args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsVerbatimArguments: c.windowsVerbatimArguments,
        windowsHide: true,
      });
      let tail = '';
      child.stderr.on('data', (d: Buffer) => {
        tail = (tail + d.toString()).slice(-4000);
        const line = d.toString().trim().split('\n').pop();
        if (line) log(line);
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`export failed (exit ${code}):\n${tail.trim()}`)),
      );
    });
  };
}

export class InspectorPanel {
  private readonly controller: InspectorController;
  private readonly disposables: vscode.Disposable[] = [];

  static show(context: vscode.ExtensionContext, checkpoints: string[]): InspectorPanel {
    const key = checkpoints.map((c) => path.resolve(c)).join('\n');
    const existing = open.get(key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const title =
      checkpoints.length === 1
        ? `Inspect ${path.basename(checkpoints[0]!)}`
        : `Compare ${checkpoints.map((c) => path.basename(c)).join(' ↔ ')}`;
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
    });
    return new InspectorPanel(context, panel, checkpoints, key);
  }

  constructor(
    context: vscode.ExtensionContext,
    readonly panel: vscode.WebviewPanel,
    checkpoints: string[],
    private readonly key: string,
  ) {
    open.set(key, this);
    const webview = panel.webview;
    const asset = (f: string) => webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview', f));
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
    };
    webview.html = inspectorHtml({
      cspSource: webview.cspSource,
      script: asset('inspector.js').toString(),
      style: asset('inspector.css').toString(),
      nonce: makeNonce(),
      title: panel.title,
    });
    const post = (m: HostMessage) => void webview.postMessage(m);
    this.controller = new InspectorController(checkpoints, post, {
      openGenerator: (c) => CheckpointGenerator.open(c, { provider: providerSetting() }),
      runExport: exportRunner(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: WebviewMessage) => void this.controller.handle(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private dispose(): void {
    open.delete(this.key);
    void this.controller.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Restores inspector panels after a window reload from the checkpoints the webview saved in its state. */
export function inspectorSerializer(context: vscode.ExtensionContext): vscode.WebviewPanelSerializer {
  return {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      const checkpoints = (state as PanelState | undefined)?.checkpoints;
      if (!Array.isArray(checkpoints) || checkpoints.length === 0) {
        panel.dispose();
        return;
      }
      new InspectorPanel(context, panel, checkpoints, checkpoints.map((c) => path.resolve(c)).join('\n'));
    },
  };
}

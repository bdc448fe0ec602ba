// Registers the checkpoint inspector: `srlm.inspectCheckpoint` and `srlm.compareCheckpoints`, plus the panel
// serializer. Nothing here loads onnxruntime-node; the first generation does.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InspectorPanel, VIEW_TYPE, inspectorSerializer } from './panel';

/** Accepts what VS Code passes: a path, a Uri (explorer), a tree node with `path`, or nothing (ask). */
export function checkpointPath(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === 'object') {
    const o = arg as { path?: unknown; fsPath?: unknown; checkpoint?: unknown };
    if (typeof o.fsPath === 'string') return o.fsPath;
    if (typeof o.checkpoint === 'string') return o.checkpoint;
    if (typeof o.path === 'string') return o.path;
  }
  return undefined;
}

async function pickCheckpoint(title: string, near?: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Select checkpoint',
    defaultUri: near ? vscode.Uri.file(near) : vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

export function registerInspector(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('srlm.inspectCheckpoint', async (arg?: unknown) => {
      const ckpt = checkpointPath(arg) ?? (await pickCheckpoint('Inspect checkpoint'));
      if (ckpt) InspectorPanel.show(context, [ckpt]);
    }),
    vscode.commands.registerCommand('srlm.compareCheckpoints', async (...args: unknown[]) => {
      // Callers pass two paths, or (clicked item, all selected items) from a tree multi-selection.
      const chosen = args
        .flatMap((a) => (Array.isArray(a) ? (a as unknown[]) : [a]))
        .map(checkpointPath)
        .filter((p): p is string => p !== undefined);
      const first = chosen[0] ?? (await pickCheckpoint('Compare checkpoints: first checkpoint'));
      if (!first) return;
      const second =
        chosen.find((p) => p !== first) ??
        (await pickCheckpoint('Compare checkpoints: second checkpoint', path.dirname(first)));
      if (second) InspectorPanel.show(context, [first, second]);
    }),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, inspectorSerializer(context)),
  );
}

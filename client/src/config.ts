// The extension's settings (contributed in package.json under "srlm.*"), read at the moment they are needed so
// a change applies without a reload.
import * as path from 'node:path';
import * as vscode from 'vscode';

export const SECTION = 'srlm';

export interface Settings {
  /** Explicit interpreter; empty means: the Python extension's choice, else the runtime's own search. */
  pythonPath: string;
  /** Runs folder, absolute or relative to the workspace folder. */
  runsFolder: string;
  /** GiB; 0 means detect. Passed to the language server's memory check and to runs. */
  gpuMemoryGiB: number;
  /** Dashboard updates per second (clamped to 0.2–10). */
  dashboardRefreshRate: number;
}

export function settings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    pythonPath: c.get<string>('pythonPath', '').trim(),
    runsFolder: c.get<string>('runsFolder', '.srlm/runs').trim() || '.srlm/runs',
    gpuMemoryGiB: c.get<number>('gpuMemoryGiB', 0),
    dashboardRefreshRate: Math.min(10, Math.max(0.2, c.get<number>('dashboardRefreshRate', 10))),
  };
}

/** The folder runs live in for a workspace folder (or the first one). */
export function runsFolder(folder?: vscode.WorkspaceFolder): string | undefined {
  const f = folder ?? vscode.workspace.workspaceFolders?.[0];
  const configured = settings(f?.uri).runsFolder;
  if (path.isAbsolute(configured)) return configured;
  return f ? path.join(f.uri.fsPath, configured) : undefined;
}

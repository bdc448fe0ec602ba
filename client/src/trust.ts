// Workspace Trust: in a restricted workspace the language features work, but nothing is launched and no
// workspace code (pipelines, reward functions, the workspace's Python) runs. Every launching command asks here.
import * as vscode from 'vscode';

export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(
      `SRLM: ${what} is disabled in Restricted Mode. Running a pipeline executes Python code from this workspace ` +
        '(reward functions, the workspace interpreter), so it needs a trusted workspace. Checking, completion and ' +
        'the dashboards of existing runs keep working.',
      'Manage Workspace Trust',
    )
    .then((pick) => {
      if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}

// "SRLM: New Pipeline": a quick pick of the templates the extension carries, written into the workspace, so a
// first pipeline never needs this repository's examples/. The walkthrough calls it with a template id.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { instantiateTemplate, readTemplates, type PipelineTemplate } from './templates';

export function registerNewPipeline(context: vscode.ExtensionContext): vscode.Disposable {
  const templatesDir = context.asAbsolutePath(path.join('dist', 'templates'));
  return vscode.commands.registerCommand('srlm.newPipeline', (id?: string) => newPipeline(templatesDir, id));
}

async function newPipeline(templatesDir: string, id: string | undefined): Promise<void> {
  let templates: PipelineTemplate[];
  try {
    templates = readTemplates(templatesDir);
  } catch (err) {
    void vscode.window.showErrorMessage(
      `SRLM: the pipeline templates are missing from this installation (${String(err)})`,
    );
    return;
  }
  let t = templates.find((x) => x.id === id);
  if (!t) {
    const pick = await vscode.window.showQuickPick(
      templates.map((x) => ({ label: x.pipeline ?? x.id, description: x.file, detail: x.description, template: x })),
      { title: 'New SRLM pipeline from a template', matchOnDetail: true },
    );
    if (!pick) return;
    t = pick.template;
  }
  const folder = await targetFolder();
  if (!folder) return;
  try {
    const made = instantiateTemplate(templatesDir, t, folder);
    await vscode.window.showTextDocument(vscode.Uri.file(made.file));
    if (made.copied.length > 0)
      void vscode.window.showInformationMessage(
        `SRLM: ${path.basename(made.file)} created with sample data (${made.copied.join(', ')}); replace it with your own.`,
      );
  } catch (err) {
    void vscode.window.showErrorMessage(`SRLM: cannot create the pipeline in ${folder}: ${(err as Error).message}`);
  }
}

/** The only workspace folder, the one the user picks, or (no folder open) one chosen in a dialog. */
async function targetFolder(): Promise<string | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0].uri.fsPath;
  if (folders.length > 1)
    return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for the new pipeline' }))?.uri.fsPath;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Create Pipeline Here',
  });
  return picked?.[0]?.fsPath;
}

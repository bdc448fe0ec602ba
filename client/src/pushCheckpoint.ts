// "Push to Hugging Face Hub…" on a stage's final checkpoint in the Runs view: asks for the repository, visibility
// and branch, then runs `srlm push` (the same path as the terminal; its progress goes to the SRLM output channel).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cliEnv, runCli } from './cli';
import type { CommandContext } from './commands';
import { choosePython } from './python';
import type { RunsNode } from './runs/runsTree';
import { requireTrust } from './trust';

const REPO_RE = /^[\w.-]+\/[\w.-]+$/;

export async function pushCheckpoint(ctx: CommandContext, node: RunsNode | undefined): Promise<void> {
  if (!requireTrust('Pushing a checkpoint')) return;
  if (node?.type !== 'checkpoint' || !node.final) {
    void vscode.window.showInformationMessage(
      "SRLM: push a stage's final checkpoint (right-click it in the Runs view).",
    );
    return;
  }
  const entry = ctx.registry.get(node.runId);
  if (!entry) return;
  const pipeline = entry.state.pipeline ?? entry.record?.pipeline ?? 'model';
  const repo = await vscode.window.showInputBox({
    title: `Push stage ${node.stage} to the Hugging Face Hub`,
    prompt: 'Repository (namespace/name); it is created when missing',
    value: `${pipeline}-${node.stage}`.replace(/[^\w.-]/g, '-'),
    validateInput: (v) => (REPO_RE.test(v.trim()) ? undefined : 'namespace/name, e.g. you/my-model'),
  });
  if (!repo) return;
  const visibility = await vscode.window.showQuickPick(['public', 'private'], {
    title: `Visibility of ${repo.trim()} (when it is created)`,
  });
  if (!visibility) return;
  const branch = await vscode.window.showInputBox({
    title: 'Branch',
    prompt: 'Branch to push to (empty: main); created when missing',
  });
  if (branch === undefined) return;
  const args = ['push', node.runId, '--stage', node.stage, '--repo', repo.trim(), '--json'];
  if (visibility === 'private') args.push('--private');
  if (branch.trim()) args.push('--revision', branch.trim());
  const python = await choosePython();
  if (python.python) args.push('--python', python.python);
  const res = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SRLM: pushing ${node.stage} to ${repo.trim()}…` },
    () => runCli(ctx.cliPath, args, { cwd: path.dirname(entry.dir), env: cliEnv(), output: ctx.output }),
  );
  if (res.code !== 0) {
    const why = (res.stderr || res.stdout).trim().split('\n').pop() ?? `exit ${res.code}`;
    void vscode.window.showErrorMessage(`SRLM: push failed: ${why.replace(/^srlm push: /, '')}`);
    return;
  }
  let url: string | undefined;
  try {
    url = (JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { url?: string }).url;
  } catch {
    url = undefined;
  }
  const open = url ? 'Open commit' : undefined;
  const picked = await vscode.window.showInformationMessage(
    `SRLM: pushed ${node.stage} to ${repo.trim()}.`,
    ...(open ? [open] : []),
  );
  if (picked && url) void vscode.env.openExternal(vscode.Uri.parse(url));
}

// Extension-host checks: activation, contributed commands, diagnostics over the real language server, the Runs
// view, a dashboard over a run folder and the Study view over a study file written here (no training needed).
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'srlm-studio.srlm-studio';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function workspaceFile(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, rel);
}

export const cases: [string, () => Promise<void>][] = [
  [
    'opening a .srlm file activates the extension and registers every contributed command',
    async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('examples/short.srlm'));
      await vscode.window.showTextDocument(doc);
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, 'extension present');
      await until('activation', () => ext.isActive);
      const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      for (const c of contributed) assert.ok(registered.has(c), `command ${c} is registered`);
    },
  ],
  [
    "the language server reports the broken fixture's errors",
    async () => {
      const uri = workspaceFile('examples/broken.srlm');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const diags = await until(
        'diagnostics',
        () => {
          const d = vscode.languages.getDiagnostics(uri);
          return d.length >= 2 ? d : undefined;
        },
        60_000,
      );
      assert.ok(diags.some((d) => d.message.includes("'lrr'")));
      assert.ok(diags.some((d) => d.message.includes("'nosuchmodel'")));
    },
  ],
  [
    'a run folder written by hand appears and its dashboard opens',
    async () => {
      const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const id = '20260101-000000-handmade-abcd';
      const dir = path.join(folder, '.srlm', 'runs', id);
      mkdirSync(dir, { recursive: true });
      const t = 1_767_225_600;
      const ev = (o: object) => JSON.stringify({ v: 1, run_id: id, ...o });
      writeFileSync(
        path.join(dir, 'run.json'),
        JSON.stringify({
          version: 1,
          id,
          pipeline: 'handmade',
          source: '',
          created: new Date(t * 1000).toISOString(),
          status: 'completed',
          attempts: 1,
          options: {},
          stages: [],
        }),
      );
      writeFileSync(
        path.join(dir, 'events.jsonl'),
        [
          ev({ type: 'run_started', time: t, pipeline: 'handmade', stages: ['s'] }),
          ev({ type: 'stage_started', time: t, stage: 's', kind: 'sft', total_steps: 2 }),
          ev({ type: 'metrics', time: t + 1, stage: 's', step: 1, metrics: { loss: 2 } }),
          ev({ type: 'metrics', time: t + 2, stage: 's', step: 2, metrics: { loss: 1 } }),
          ev({ type: 'stage_finished', time: t + 3, stage: 's', status: 'completed', cached: false }),
          ev({ type: 'run_finished', time: t + 3, status: 'completed' }),
        ].join('\n') + '\n',
      );
      await vscode.commands.executeCommand('srlm.refreshRuns');
      await vscode.commands.executeCommand('srlm.openDashboard', id);
      await until('the dashboard tab', () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.includes('srlm.dashboard')),
      );
    },
  ],
  [
    'a kept study opens in the Study view',
    async () => {
      const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const dir = path.join(folder, '.srlm', 'studies');
      mkdirSync(dir, { recursive: true });
      const id = 'handmade-20260101-000000';
      const row = (variant: string, accuracy: number) => ({
        variant,
        run: `20260101-000000-${variant}-abcd`,
        runDir: path.join(folder, '.srlm', 'runs', `20260101-000000-${variant}-abcd`),
        status: 'completed',
        initial: { 'arith/accuracy': 0.1 },
        stages: [
          {
            name: 's',
            kind: 'sft',
            status: 'completed',
            cached: false,
            timeS: 3,
            metrics: { 'arith/accuracy': accuracy },
          },
        ],
        final: { 'arith/accuracy': accuracy },
        timeS: 3,
      });
      writeFileSync(
        path.join(dir, `${id}.json`),
        JSON.stringify({
          version: 1,
          id,
          study: 'handmade',
          created: new Date(1_767_225_600_000).toISOString(),
          metrics: ['arith/accuracy'],
          variants: ['a', 'b'],
          rows: [row('a', 0.5), row('b', 0.7)],
        }),
      );
      await vscode.commands.executeCommand('srlm.openStudy', id);
      await until('the Study view tab', () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.includes('srlm.study')),
      );
    },
  ],
];

import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { registerCommands } from './commands';
import { runsFolder, settings, SECTION } from './config';
import { DASHBOARD_VIEW_TYPE, DashboardPanel } from './dashboard/dashboardPanel';
import { hasLiveRecord, RunRegistry } from './runs/runRegistry';
import type { DashboardState } from '../webview/dashboard/protocol';
import { RunsTreeProvider } from './runs/runsTree';
import { registerInspector } from './inspector';
import { registerNewPipeline } from './newPipeline';
import { registerSrlmTasks } from './srlmTasks';
import { installLaunchers } from './terminalCli';
import { RunStatusBar } from './runs/statusBar';
import { RunWarningNotifier } from './runs/warningNotifier';
import { KeptStudies } from './study/keptStudies';
import { registerStudy } from './study';
import { useSetupEnvDir } from './python';
import { PYTHON_READY_CONTEXT } from './setupPython';
import { setUpPython } from '../../runtime/src/setup/marker';

let client: LanguageClient | undefined;

// Activation stays cheap: the language server is the only process started; the runs folder is not read until
// the Runs view is shown or a command needs it, no native module is loaded, and the Python extension is only
// asked for its interpreter when a run is launched.
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('SRLM', { log: true });
  context.subscriptions.push(output);

  const registry = new RunRegistry(() => runsFolder());
  const statusBar = new RunStatusBar(registry);
  const studies = new KeptStudies(() => runsFolder());
  const tree = new RunsTreeProvider(registry, studies);
  const view = vscode.window.createTreeView('srlm.runs', {
    treeDataProvider: tree,
    showCollapseAll: true,
    canSelectMany: true,
  });
  if (view.visible) registry.ensureStarted();
  // A run that was live before a window reload should show in the status bar again without opening the view:
  // a moment after activation, look at the run records alone (no events are read unless one is live).
  const liveCheck = setTimeout(() => {
    const root = runsFolder();
    if (root && hasLiveRecord(root)) registry.ensureStarted();
  }, 2000);
  context.subscriptions.push({ dispose: () => clearTimeout(liveCheck) });
  context.subscriptions.push(
    registry,
    studies,
    statusBar,
    new RunWarningNotifier(registry),
    view,
    view.onDidChangeVisibility((e) => e.visible && registry.ensureStarted()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('srlm.runsFolder')) registry.refresh();
    }),
  );

  // The set-up's environment lives in global storage, outside the extension folder: an update keeps it.
  const envDir = path.join(context.globalStorageUri.fsPath, 'python');
  useSetupEnvDir(envDir);
  // The walkthrough's first step is done when an environment is set up, not merely when the command ran.
  void vscode.commands.executeCommand('setContext', PYTHON_READY_CONTEXT, setUpPython(envDir) !== undefined);
  const ctx = {
    extensionUri: context.extensionUri,
    cliPath: context.asAbsolutePath(path.join('dist', 'srlm.js')),
    output,
    envDir,
    registry,
    statusBar,
  };
  const { disposables, hooks } = registerCommands(ctx);
  context.subscriptions.push(...disposables);
  context.subscriptions.push(
    ...registerStudy({
      extensionUri: context.extensionUri,
      registry,
      studies,
      hooks: {
        openRun: (id, dir) => DashboardPanel.show(context.extensionUri, id, dir, hooks),
        log: (l) => output.appendLine(l),
      },
    }),
  );
  // Checkpoint nodes of the Runs view are passed as is: the inspector reads their `path`.
  registerInspector(context);
  context.subscriptions.push(registerNewPipeline(context), registerSrlmTasks(ctx.cliPath));
  void putCliOnTerminalPath(context, ctx.cliPath, envDir, output);
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: DashboardState | undefined) => {
        registry.ensureStarted();
        DashboardPanel.revive(panel, context.extensionUri, state, hooks);
      },
    }),
  );

  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6009'] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'srlm' },
      { scheme: 'untitled', language: 'srlm' },
    ],
    outputChannel: output,
    synchronize: { configurationSection: SECTION },
    initializationOptions: { gpuMemoryGiB: settings().gpuMemoryGiB || undefined },
  };
  // The client's id makes it follow the `srlm.trace.server` setting (off / messages / verbose) on its own.
  client = new LanguageClient('srlm', 'SRLM Language Server', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => void client?.stop() });
  try {
    await client.start();
  } catch (err) {
    output.error(`language server failed to start: ${String(err)}`);
    void vscode.window.showErrorMessage(
      `SRLM: the language server failed to start (${String(err)}). See the SRLM output.`,
    );
  }
}

/** `srlm` on the PATH of the integrated terminal (new terminals; VS Code offers to relaunch open ones). */
async function putCliOnTerminalPath(
  context: vscode.ExtensionContext,
  cliPath: string,
  envDir: string,
  output: vscode.LogOutputChannel,
): Promise<void> {
  const env = context.environmentVariableCollection;
  const apply = async () => {
    env.clear();
    // `srlm setup` and `srlm run` typed in a terminal use the same environment as the editor's commands.
    env.replace('SRLM_ENV_DIR', envDir);
    env.description = 'SRLM Studio: the `srlm` command and its Python environment';
    if (!vscode.workspace.getConfiguration(SECTION).get<boolean>('terminal.addToPath', true)) return;
    try {
      const bin = await installLaunchers(path.join(context.globalStorageUri.fsPath, 'bin'), process.execPath, cliPath);
      env.prepend('PATH', bin + path.delimiter);
    } catch (err) {
      output.warn(`could not put srlm on the terminal PATH: ${String(err)}`);
    }
  };
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('srlm.terminal.addToPath')) void apply();
    }),
  );
  await apply();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

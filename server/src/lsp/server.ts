// Wires the LSP connection to the feature handlers (one file per LSP method) over the IDE layer.
import {
  DidChangeWatchedFilesNotification,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { fileURLToPath } from 'node:url';
import { analyzeDocument, createEnv } from '../ide';
import { detectGpu } from '../ide/gpu';
import { serverCapabilities } from './capabilities';
import { idleCollector } from './idleGc';
import { registerCodeActions } from './codeActions';
import { registerCodeLens } from './codeLens';
import { ServerContext } from './context';
import { registerDefinition } from './definition';
import { registerDiagnostics } from './diagnostics';
import { registerDocumentLinks } from './documentLinks';
import { registerDocumentSymbols } from './documentSymbols';
import { registerFolding } from './folding';
import { registerFormatting } from './formatting';
import { registerHover } from './hover';
import { registerInlayHints } from './inlayHints';
import { registerReferences } from './references';
import { registerRename } from './rename';
import { registerSelectionRanges } from './selectionRanges';
import { registerSemanticTokens } from './semanticTokens';
import { registerCompletion } from './completion';
import { registerSignatureHelp } from './signatureHelp';
import { registerWorkspaceSymbols } from './workspaceSymbols';
import { readSettings, type ServerSettings, DEFAULT_SETTINGS } from './settings';

export const SERVER_NAME = 'srlm-language-server';
export const SERVER_VERSION = '0.1.0';

function folderPaths(params: InitializeParams): string[] {
  const uris = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  return uris.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
}

export function startServer(connection: Connection): ServerContext {
  const env = createEnv();
  const ctx = new ServerContext(connection, env, analyzeDocument);
  let settings: ServerSettings = DEFAULT_SETTINGS;
  let configurationSupport = false;
  let watcherRegistration = false;

  connection.onInitialize((params): InitializeResult => {
    configurationSupport = params.capabilities.workspace?.configuration === true;
    ctx.clientIsVsCode = /visual studio code|vscode|vscodium|code-server|code - oss|cursor/i.test(
      params.clientInfo?.name ?? '',
    );
    watcherRegistration = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    env.clientSupportsRefresh = params.capabilities.workspace?.inlayHint?.refreshSupport === true;
    env.workspaceFolders = folderPaths(params);
    settings = readSettings(params.initializationOptions, settings);
    env.gpuMemoryGiBSetting = settings.gpuMemoryGiB;
    return { capabilities: serverCapabilities(), serverInfo: { name: SERVER_NAME, version: SERVER_VERSION } };
  });

  const scheduler = registerDiagnostics(ctx, () => settings.diagnosticsDelayMs);
  const collector = idleCollector();
  ctx.store.onDropped = () => collector.dropped();
  ctx.onActivity = () => collector.activity();
  ctx.store.documents.onDidChangeContent(() => collector.activity());

  const refreshAll = (): void => {
    for (const d of ctx.store.all()) scheduler.schedule(d.uri, 0);
    if (env.clientSupportsRefresh) void connection.languages.inlayHint.refresh().catch(() => undefined);
  };

  connection.onInitialized(() => {
    if (settings.detectGpu) {
      void detectGpu().then((gpu) => {
        if (!gpu) return;
        env.gpu = gpu;
        // The memory check and the estimates change once the card is known.
        refreshAll();
      });
    }
    if (configurationSupport) void pullSettings();
    if (watcherRegistration) {
      // Datasets, model configs, tokenizer configs, templates and reward files feed the file checks.
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: '**/*.{jsonl,ndjson,json,csv,parquet,arrow,py,jinja}' }],
        })
        .catch(() => undefined);
    }
  });

  async function pullSettings(): Promise<void> {
    try {
      const [section] = (await connection.workspace.getConfiguration([{ section: 'srlm' }])) as unknown[];
      settings = readSettings(section, settings);
      env.gpuMemoryGiBSetting = settings.gpuMemoryGiB;
      refreshAll();
    } catch {
      // A client that advertises configuration but fails to answer keeps the defaults.
    }
  }
  connection.onDidChangeConfiguration(() => void pullSettings());
  connection.onDidChangeWatchedFiles(() => {
    // A dataset, config.json or reward file changed on disk: forget what was read and check again.
    env.invalidate();
    refreshAll();
  });

  registerCompletion(ctx);
  registerHover(ctx);
  registerSignatureHelp(ctx);
  registerDefinition(ctx);
  registerReferences(ctx);
  registerRename(ctx);
  registerDocumentSymbols(ctx);
  registerWorkspaceSymbols(ctx);
  registerFolding(ctx);
  registerSelectionRanges(ctx);
  registerFormatting(ctx);
  registerSemanticTokens(ctx);
  registerDocumentLinks(ctx);
  registerCodeActions(ctx);
  registerInlayHints(ctx);
  registerCodeLens(ctx);

  // Not part of LSP: numbers for the benchmark and for users chasing memory ("SRLM: server stats").
  connection.onRequest('srlm/serverStats', () => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, openDocuments: ctx.store.all().length };
  });

  connection.onShutdown(() => {
    scheduler.dispose();
    collector.dispose();
  });
  ctx.store.documents.listen(connection);
  connection.listen();
  return ctx;
}

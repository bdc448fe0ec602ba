// The server's side of the wire, where nothing from the client is trusted yet.
//
// - Framing (stdio): vscode-jsonrpc's reader reports a bad `Content-Length` and then keeps reading the body as
//   headers, so the server stayed alive but never understood another message and the client never restarted
//   it. `FramedReader` treats any framing error as fatal (`FramingError`; main.ts exits so the client restarts
//   the server) and answers a well-framed body that is not JSON with a JSON-RPC parse error.
// - Messages: `CheckedReader` checks every message's shape and the params of the methods the server handles
//   before any handler (or vscode-languageserver's own wrapper, which reads `params.workDoneToken`) sees them.
//   A bad request is answered with InvalidParams / InvalidRequest here, in one place, instead of surfacing as
//   a TypeError → InternalError from whichever handler touched it first; a bad notification is dropped.
import type { Readable } from 'node:stream';
import {
  AbstractMessageReader,
  ErrorCodes,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageReader,
  type MessageWriter,
} from 'vscode-languageserver/node';
import { table } from '../core/table';

/** The stream is out of step with the protocol: nothing after this can be read reliably. */
export class FramingError extends Error {}

/** Larger than any .srlm file the core analyses (8 MiB of text, JSON-escaped) needs. */
export const MAX_CONTENT_LENGTH = 64 * 1024 * 1024;
const MAX_HEADER_BYTES = 8 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FramedReader extends AbstractMessageReader {
  // Chunks are joined only when a header is looked for or a whole body has arrived: joining on every chunk
  // copied a large message once per chunk.
  private chunks: Buffer[] = [];
  private size = 0;
  private bodyLength = -1;
  private failed = false;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: Readable,
    /** Replies the reader itself sends (parse errors). */
    private readonly reply: (message: Message) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer): void => this.onData(chunk);
    const onEnd = (): void => this.fireClose();
    const onError = (e: Error): void => this.fireError(e);
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('close', onEnd);
    this.input.on('error', onError);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('end', onEnd);
        this.input.off('close', onEnd);
        this.input.off('error', onError);
      },
    };
  }

  private fail(message: string): void {
    this.failed = true;
    this.chunks = [];
    this.size = 0;
    this.fireError(new FramingError(message));
  }

  private onData(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        const buffer = this.joined();
        const end = buffer.indexOf(HEADER_END);
        if (end < 0) {
          if (this.size > MAX_HEADER_BYTES) this.fail(`message header longer than ${MAX_HEADER_BYTES} bytes`);
          return;
        }
        const length = contentLength(buffer.subarray(0, end).toString('ascii'));
        if (typeof length === 'string') return this.fail(length);
        this.bodyLength = length;
        this.keep(buffer.subarray(end + HEADER_END.length));
      }
      if (this.size < this.bodyLength) return;
      const buffer = this.joined();
      const body = buffer.subarray(0, this.bodyLength);
      this.keep(buffer.subarray(this.bodyLength));
      this.bodyLength = -1;
      let message: unknown;
      try {
        message = JSON.parse(utf8.decode(body));
      } catch (e) {
        // Framed correctly, so the stream is still in step: answer and go on.
        this.reply(errorReply(null, ErrorCodes.ParseError, `message is not JSON: ${(e as Error).message}`));
        continue;
      }
      this.callback?.(message as Message);
    }
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private keep(rest: Buffer): void {
    this.chunks = [rest];
    this.size = rest.length;
  }
}

/** The Content-Length of a header block, or why there is none that can be trusted. */
function contentLength(header: string): number | string {
  let length: number | string = 'message header has no Content-Length';
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `malformed message header line ${JSON.stringify(line.slice(0, 80))}`;
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,9}$/.test(value) || Number(value) > MAX_CONTENT_LENGTH)
      return `Content-Length ${JSON.stringify(value.slice(0, 40))} is not a length up to ${MAX_CONTENT_LENGTH} bytes`;
    length = Number(value);
  }
  return length;
}

function errorReply(id: number | string | null, code: number, message: string): Message {
  return { jsonrpc: '2.0', id, error: { code, message } } as Message;
}

// ---- message and params checks ----------------------------------------------------------------------------

type Check = (params: Record<string, unknown>) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fffffff;
const isInt = (v: unknown): boolean => Number.isInteger(v) && Math.abs(v as number) <= 0x7fffffff;
const isPosition = (v: unknown): boolean => isObject(v) && isUint(v.line) && isUint(v.character);
const isRange = (v: unknown): boolean => isObject(v) && isPosition(v.start) && isPosition(v.end);

const textDocument: Check = (p) =>
  isObject(p.textDocument) && typeof p.textDocument.uri === 'string' ? undefined : 'textDocument.uri must be a string';
const all =
  (...checks: Check[]): Check =>
  (p) => {
    for (const c of checks) {
      const problem = c(p);
      if (problem) return problem;
    }
    return undefined;
  };
const field =
  (name: string, ok: (v: unknown) => boolean, what: string): Check =>
  (p) =>
    ok(p[name]) ? undefined : `${name} must be ${what}`;

const atPosition = all(textDocument, field('position', isPosition, 'a position {line, character}'));
const inRange = all(textDocument, field('range', isRange, 'a range {start, end}'));
const anObject: Check = () => undefined;

const contentChange = (c: unknown): boolean =>
  isObject(c) && typeof c.text === 'string' && (c.range === undefined || isRange(c.range));

/** Params of the methods this server handles (and the notifications it reads). */
const PARAMS: Readonly<Record<string, Check>> = table<Check>({
  initialize: anObject,
  'textDocument/didOpen': (p: Record<string, unknown>) => {
    const d = p.textDocument;
    return isObject(d) && typeof d.uri === 'string' && typeof d.text === 'string' && isInt(d.version)
      ? undefined
      : 'textDocument must have uri, version and text';
  },
  'textDocument/didChange': all(
    textDocument,
    (p) =>
      isInt((p.textDocument as Record<string, unknown>).version)
        ? undefined
        : 'textDocument.version must be an integer',
    field('contentChanges', (v) => Array.isArray(v) && v.every(contentChange), 'an array of {text, range?}'),
  ),
  'textDocument/didClose': textDocument,
  'textDocument/didSave': textDocument,
  'textDocument/completion': atPosition,
  'textDocument/hover': atPosition,
  'textDocument/signatureHelp': atPosition,
  'textDocument/definition': atPosition,
  'textDocument/references': atPosition,
  'textDocument/prepareRename': atPosition,
  'textDocument/rename': all(
    atPosition,
    field('newName', (v) => typeof v === 'string', 'a string'),
  ),
  'textDocument/documentSymbol': textDocument,
  'textDocument/foldingRange': textDocument,
  'textDocument/formatting': textDocument,
  'textDocument/rangeFormatting': inRange,
  'textDocument/selectionRange': all(
    textDocument,
    field('positions', (v) => Array.isArray(v) && v.every(isPosition), 'an array of positions'),
  ),
  'textDocument/semanticTokens/full': textDocument,
  'textDocument/semanticTokens/range': inRange,
  'textDocument/documentLink': textDocument,
  'textDocument/codeAction': all(inRange, field('context', isObject, 'an object')),
  'textDocument/inlayHint': inRange,
  'textDocument/codeLens': textDocument,
  'workspace/symbol': field('query', (v) => typeof v === 'string', 'a string'),
  'completionItem/resolve': anObject,
  'codeLens/resolve': anObject,
  'inlayHint/resolve': anObject,
  'documentLink/resolve': anObject,
  'codeAction/resolve': anObject,
  'workspace/didChangeConfiguration': anObject,
  'workspace/didChangeWatchedFiles': field('changes', Array.isArray, 'an array'),
  '$/cancelRequest': field('id', (v) => typeof v === 'string' || Number.isInteger(v), 'a request id'),
});

export interface Rejection {
  /** The request to answer, or undefined for a notification (dropped) or a message without an id. */
  id: number | string | null | undefined;
  code: number;
  message: string;
}

/** Why a decoded message must not reach the handlers; undefined when it may. */
export function checkMessage(m: unknown): Rejection | undefined {
  if (!isObject(m) || m.jsonrpc !== '2.0')
    return {
      id: isObject(m) ? validId(m.id) : null,
      code: ErrorCodes.InvalidRequest,
      message: 'not a JSON-RPC 2.0 message',
    };
  const id = validId(m.id);
  if ('id' in m && id === undefined)
    return { id: null, code: ErrorCodes.InvalidRequest, message: 'id must be a string, an integer or null' };
  if (!('method' in m)) return undefined; // a response to one of the server's own requests
  if (typeof m.method !== 'string') return { id, code: ErrorCodes.InvalidRequest, message: 'method must be a string' };
  const check = PARAMS[m.method];
  const p = m.params;
  if (p !== undefined && typeof p !== 'object')
    return { id, code: ErrorCodes.InvalidParams, message: `${m.method}: params must be an object or an array` };
  if (!check) return undefined;
  if (!isObject(p)) return { id, code: ErrorCodes.InvalidParams, message: `${m.method}: params must be an object` };
  const problem = check(p);
  return problem ? { id, code: ErrorCodes.InvalidParams, message: `${m.method}: ${problem}` } : undefined;
}

function validId(id: unknown): number | string | null | undefined {
  return id === null || typeof id === 'string' || Number.isInteger(id) ? (id as number | string | null) : undefined;
}

/** Passes on only the messages `checkMessage` accepts; answers rejected requests, logs the rest. */
export class CheckedReader implements MessageReader {
  constructor(
    private readonly inner: MessageReader,
    private readonly writer: MessageWriter,
    private readonly log: (message: string) => void,
  ) {}

  get onError(): MessageReader['onError'] {
    return this.inner.onError;
  }
  get onClose(): MessageReader['onClose'] {
    return this.inner.onClose;
  }
  get onPartialMessage(): MessageReader['onPartialMessage'] {
    return this.inner.onPartialMessage;
  }

  listen(callback: DataCallback): Disposable {
    return this.inner.listen((m) => {
      const r = checkMessage(m);
      if (!r) return callback(m);
      const o: unknown = m;
      const method = isObject(o) && typeof o.method === 'string' ? o.method : undefined;
      const isRequest = isObject(o) && method !== undefined && 'id' in o;
      if (isRequest || (method === undefined && r.id !== undefined)) {
        void this.writer.write(errorReply(r.id ?? null, r.code, r.message)).catch(() => undefined);
      } else this.log(`ignored a malformed ${method ?? 'message'}: ${r.message}`);
    });
  }

  dispose(): void {
    this.inner.dispose();
  }
}

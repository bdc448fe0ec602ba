// Follows a growing `events.jsonl`: reads only new bytes, parses complete lines, keeps a partial last line until
// its newline arrives, and skips corrupt lines with a warning. fs.watch wakes it promptly where the platform
// delivers change notifications; a poll timer covers network filesystems, a file that does not exist yet, and
// platforms where fs.watch silently misses appends.
import * as fs from 'node:fs';
import { EventLineDecoder, type AnyEvent, type LineSink, type LineWarning } from './lines';

export interface TailOptions {
  /** Called once per parsed event, in file order. */
  onEvent(e: AnyEvent, line: number): void;
  onWarning?(w: LineWarning): void;
  /**
   * The file shrank or was replaced (e.g. a resume rewrote it): everything delivered so far is void and the
   * file is read again from the start. Consumers rebuild their state here.
   */
  onReset?(): void;
  /** Poll interval in milliseconds (default 250). */
  pollMs?: number;
  /** Read buffer size in bytes (default 1 MiB). */
  chunkBytes?: number;
}

export class EventTailer {
  private offset = 0;
  private inode: number | null = null;
  private decoder: EventLineDecoder;
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<number> | null = null;
  private again = false;
  private stopped = false;
  private readonly buffer: Buffer;
  private readonly sink: LineSink;

  constructor(
    readonly file: string,
    private readonly opts: TailOptions,
  ) {
    this.buffer = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 20);
    this.sink = { event: (e, line) => opts.onEvent(e, line), warning: (w) => opts.onWarning?.(w) };
    this.decoder = new EventLineDecoder(file, this.sink);
  }

  /** Bytes consumed so far, including a held partial line. */
  get position(): number {
    return this.offset;
  }

  /** Starts following the file; the first read happens at once. */
  start(): void {
    if (this.stopped) throw new Error('tailer already stopped');
    const pollMs = this.opts.pollMs ?? 250;
    this.timer = setInterval(() => this.kick(), pollMs);
    this.timer.unref?.();
    this.ensureWatcher();
    this.kick();
  }

  /** Reads everything available now; resolves with the number of bytes read. Safe to call concurrently. */
  async poll(): Promise<number> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readAll().finally(() => {
      this.reading = null;
    });
    const n = await this.reading;
    if (this.again && !this.stopped) {
      this.again = false;
      return n + (await this.poll());
    }
    return n;
  }

  /**
   * Stops following. With `drain`, the bytes written up to now are read first and an unterminated last line is
   * reported as truncated (use it once the writer is known to be gone).
   */
  async stop(drain = false): Promise<void> {
    if (this.stopped) return;
    if (drain) await this.poll();
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
    if (this.reading) await this.reading.catch(() => undefined);
    if (drain) this.decoder.end();
  }

  private kick(): void {
    if (this.stopped) return;
    this.ensureWatcher();
    this.poll().catch((err: unknown) => {
      this.opts.onWarning?.({ file: this.file, line: this.decoder.lines, message: `read failed: ${String(err)}` });
    });
  }

  private ensureWatcher(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = fs.watch(this.file, { persistent: false }, () => this.kick());
      this.watcher.on('error', () => {
        // The file was removed or the platform gave up on it: fall back to polling and retry on the next tick.
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      // Not there yet (ENOENT) or no watch support here: the poll timer carries on alone.
      this.watcher = null;
    }
  }

  private async readAll(): Promise<number> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    try {
      const st = await handle.stat();
      if ((this.inode !== null && st.ino !== this.inode) || st.size < this.offset) this.reset();
      this.inode = st.ino;
      let total = 0;
      while (!this.stopped) {
        const { bytesRead } = await handle.read(this.buffer, 0, this.buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        total += bytesRead;
        this.decoder.push(this.buffer.subarray(0, bytesRead));
      }
      return total;
    } finally {
      await handle.close();
    }
  }

  private reset(): void {
    // A replaced file is a new inode: the old watcher would never fire again.
    this.watcher?.close();
    this.watcher = null;
    this.offset = 0;
    this.decoder = new EventLineDecoder(this.file, this.sink);
    this.opts.onReset?.();
  }
}

export interface ReadEventsResult {
  readonly events: number;
  readonly bytes: number;
  readonly warnings: readonly LineWarning[];
}

/**
 * Reads a whole events file synchronously (one-shot commands and the run index). A missing file is an empty
 * run, not an error. An unterminated last line is held back silently when `live` (the writer may still be
 * finishing it) and reported as truncated otherwise.
 */
export function readEventsFile(
  file: string,
  onEvent: (e: AnyEvent, line: number) => void,
  opts: { live?: boolean; chunkBytes?: number } = {},
): ReadEventsResult {
  const warnings: LineWarning[] = [];
  let events = 0;
  const decoder = new EventLineDecoder(file, {
    event: (e, line) => {
      events++;
      onEvent(e, line);
    },
    warning: (w) => warnings.push(w),
  });
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: 0, bytes: 0, warnings };
    throw err;
  }
  let bytes = 0;
  const buf = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 20);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, bytes);
      if (n === 0) break;
      bytes += n;
      decoder.push(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  if (!opts.live) decoder.end();
  return { events, bytes, warnings };
}

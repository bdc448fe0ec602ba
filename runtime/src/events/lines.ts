// Turns appended bytes of `events.jsonl` into parsed events. Split from the tailer so the one-shot readers
// (`srlm show`, the run index, the benchmark) and the live tailer share exactly one decoding path.
import { parseEvent, type EventBase, type RunEvent } from './types';

export type AnyEvent = RunEvent | (EventBase & { type: string });

export interface LineWarning {
  readonly file: string;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly message: string;
}

export interface LineSink {
  event(e: AnyEvent, line: number): void;
  warning?(w: LineWarning): void;
}

const NEWLINE = 0x0a;

/**
 * Incremental JSON-lines decoder. Bytes are split only at '\n', so a multi-byte UTF-8 character cut by a read
 * boundary is never decoded in halves; a partial last line is held until its newline arrives.
 */
export class EventLineDecoder {
  private pending: Buffer | null = null;
  private lineNo = 0;

  constructor(
    private readonly file: string,
    private readonly sink: LineSink,
  ) {}

  /** Lines completed so far (the number of the last complete line). */
  get lines(): number {
    return this.lineNo;
  }

  /** Bytes of an incomplete last line currently held. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const last = buf.lastIndexOf(NEWLINE);
    if (last >= 0) {
      // One decode for all complete lines of the chunk: cheaper than one per line, and still safe for UTF-8
      // because the cut is at a newline byte, which never occurs inside a multi-byte character.
      const text = buf.toString('utf8', 0, last);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        const end = nl < 0 ? text.length : nl;
        this.lineNo++;
        if (end > start) this.decode(text.slice(start, end));
        if (nl < 0) break;
        start = nl + 1;
      }
    }
    // Copy the tail: `buf` may be a reused read buffer that the next read overwrites.
    if (last + 1 < buf.length) this.pending = Buffer.from(buf.subarray(last + 1));
  }

  /** The stream has ended: an unterminated last line is reported, not silently dropped. */
  end(): void {
    if (!this.pending) return;
    const n = this.pending.length;
    this.pending = null;
    this.sink.warning?.({
      file: this.file,
      line: this.lineNo + 1,
      message: `truncated last line (${n} bytes without a newline) skipped`,
    });
  }

  private decode(text: string): void {
    // A trailing '\r' (a file edited on Windows) is whitespace to JSON.parse, so it needs no special case.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (text.trim() === '') return;
      this.warn(`corrupt line skipped: ${(err as Error).message}`);
      return;
    }
    let e: AnyEvent;
    try {
      e = parseEvent(value);
    } catch (err) {
      this.warn(`invalid event skipped: ${(err as Error).message}`);
      return;
    }
    this.sink.event(e, this.lineNo);
  }

  private warn(message: string): void {
    this.sink.warning?.({ file: this.file, line: this.lineNo, message });
  }
}

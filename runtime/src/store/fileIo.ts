// Small filesystem helpers the run store relies on for crash safety.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes a file so that readers see the old or the new content, never half of it (temp file, then rename). */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** A file the run store relies on is damaged; the message names it. The CLI prints it without a stack. */
export class DataFileError extends Error {}

export function readJsonFile<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataFileError(describeFsError(err, `cannot read ${file}`));
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DataFileError(`${file} is not valid JSON (${(err as Error).message}); was it edited or cut short?`);
  }
}

/** The last `maxBytes` of a file as text, starting at a line boundary; '' when the file is missing. */
export function tailText(file: string, maxBytes = 4096): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    if (start > 0) {
      const nl = text.indexOf('\n');
      if (nl >= 0) text = text.slice(nl + 1);
    }
    return text.trimEnd();
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `n` lines of a file. */
export function tailLines(file: string, n: number): string[] {
  const text = tailText(file, Math.max(4096, n * 400));
  if (!text) return [];
  return text.split('\n').slice(-n);
}

/**
 * Where the last `n` lines of an open file start (a trailing newline ends the last line, it does not start an
 * empty one). Reads backwards in `chunkBytes` pieces, so the cost and the memory follow the lines asked for, not
 * the size of the file: a 1 GB engine.log costs what its last lines cost.
 */
export function lastLinesOffset(fd: number, size: number, n: number, chunkBytes = 64 * 1024): number {
  if (n <= 0) return size;
  const buf = Buffer.allocUnsafe(chunkBytes);
  let end = size;
  let seen = 0;
  let skipTrailing = true;
  while (end > 0) {
    const start = Math.max(0, end - chunkBytes);
    const len = fs.readSync(fd, buf, 0, end - start, start);
    for (let i = len - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) {
        skipTrailing = false;
        continue;
      }
      if (skipTrailing && start + i === size - 1) continue;
      if (++seen === n) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

/** A human message for a filesystem error: what failed, where, and the likely cause. */
const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the filesystem is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
};

/** A file-system error in words (`no such file or folder`), not as an errno code. */
export function fsErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code && FS_ERRORS[code]) ?? (err as Error).message ?? String(err);
}

/** `what (path): reason`, for a failed file-system call. */
export function describeFsError(err: unknown, what: string): string {
  const e = err as NodeJS.ErrnoException;
  return `${what}${e.path ? ` (${e.path})` : ''}: ${fsErrorReason(err)}`;
}

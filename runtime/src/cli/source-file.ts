import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { CliIO } from './command';

/**
 * Reads a .srlm file named on the command line (relative to the CLI's cwd). On failure it prints one line
 * naming the command, the file and the reason, and returns undefined: the caller exits 2.
 */
export async function readSourceFile(
  command: string,
  file: string,
  io: CliIO,
): Promise<{ abs: string; text: string } | undefined> {
  const abs = path.resolve(io.cwd, file);
  try {
    return { abs, text: await readFile(abs, 'utf8') };
  } catch (e) {
    io.stderr.write(`srlm ${command}: cannot read ${file}: ${describeFsError(e)}\n`);
    return undefined;
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
};

/** A file-system error in words (`no such file or folder`), not as an errno code. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && FS_ERRORS[code]) ?? (e as Error).message;
}

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fsErrorReason } from '../store/fs-util';
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

/** A file-system error in words (`no such file or folder`), not as an errno code. */
export const describeFsError = fsErrorReason;

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fsErrorReason } from '../store/fileIo';
import type { CliIO } from './command';
import { decodeUtf8, type DecodedText } from '../../../server/src/core';

/**
 * Reads a .srlm file named on the command line (relative to the CLI's cwd) as bytes and decodes it strictly:
 * `invalid` marks the first byte that is not UTF-8 (the text then holds U+FFFD there, for the other checks).
 * On a read failure it prints one line naming the command, the file and the reason, and returns undefined:
 * the caller exits 2.
 */
export async function readSourceFile(
  command: string,
  file: string,
  io: CliIO,
): Promise<({ abs: string } & DecodedText) | undefined> {
  const abs = path.resolve(io.cwd, file);
  try {
    return { abs, ...decodeUtf8(await readFile(abs)) };
  } catch (e) {
    io.stderr.write(`srlm ${command}: cannot read ${file}: ${fsErrorReason(e)}\n`);
    return undefined;
  }
}

// What `srlm check` and `srlm fmt` take as FILE arguments, in the manner of ruff and rustfmt: `-` is standard input,
// a directory stands for every .srlm file below it, anything else is a file. Failures are one human line each.
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { fsErrorReason } from '../store/fileIo';
import { readSourceFile } from './sourceFile';
import type { CliIO } from './command';
import { decodeUtf8, type DecodedText } from '../../../server/src/core';

export interface SourceInput {
  /** What messages call it: the argument as given, a path found below a directory argument, or the stdin name. */
  readonly name: string;
  /** Absolute path; undefined for standard input without --stdin-filename. */
  readonly abs: string | undefined;
  readonly text: string;
  /** The first byte that is not UTF-8, when there is one (the text holds U+FFFD there). */
  readonly invalid?: DecodedText['invalid'];
  readonly fromStdin: boolean;
}

/** Folders a directory walk skips: dependencies, run folders and hidden folders (.git, .venv…). */
function skipped(dir: string): boolean {
  return dir.startsWith('.') || dir === 'node_modules' || dir === '__pycache__';
}

/** .srlm files below `dir`, sorted, as paths that start with `shown` (the argument as typed). */
async function walk(dir: string, shown: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const child = path.join(shown, e.name);
    if (e.isDirectory() && !skipped(e.name)) out.push(...(await walk(path.join(dir, e.name), child)));
    else if (e.isFile() && e.name.endsWith('.srlm')) out.push(child);
  }
  return out;
}

/** Standard input, decoded strictly like a file (without a byte-order mark). */
async function readStdin(io: CliIO): Promise<DecodedText> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin ?? process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const bytes = Buffer.concat(chunks);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return decodeUtf8(bytes.subarray(bom));
}

/**
 * Reads every input the arguments name. On a failure it prints `srlm CMD: …` on stderr and returns undefined:
 * the caller exits 2 and nothing has been written.
 */
export async function readInputs(
  command: string,
  args: readonly string[],
  io: CliIO,
  stdinFilename?: string,
): Promise<SourceInput[] | undefined> {
  if (args.filter((a) => a === '-').length > 1) {
    io.stderr.write(`srlm ${command}: '-' (standard input) can be given once\n`);
    return undefined;
  }
  const out: SourceInput[] = [];
  for (const arg of args) {
    if (arg === '-') {
      const name = stdinFilename ?? '<stdin>';
      const abs = stdinFilename ? path.resolve(io.cwd, stdinFilename) : undefined;
      out.push({ name, abs, ...(await readStdin(io)), fromStdin: true });
      continue;
    }
    const abs = path.resolve(io.cwd, arg);
    let isDir = false;
    try {
      isDir = (await stat(abs)).isDirectory();
    } catch (e) {
      io.stderr.write(`srlm ${command}: cannot read ${arg}: ${fsErrorReason(e)}\n`);
      return undefined;
    }
    const files = isDir ? await walk(abs, arg) : [arg];
    if (isDir && files.length === 0) {
      io.stderr.write(`srlm ${command}: no .srlm files in ${arg}\n`);
      return undefined;
    }
    for (const f of files) {
      const source = await readSourceFile(command, f, io);
      if (!source) return undefined;
      out.push({ name: f, abs: source.abs, text: source.text, invalid: source.invalid, fromStdin: false });
    }
  }
  return out;
}

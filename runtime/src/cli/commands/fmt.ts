// `srlm fmt FILE... [--check | --diff]`: rewrites .srlm files in the canonical style, or with --check lists the files
// that are not formatted, or with --diff prints what would change. `-` formats standard input to standard output; a
// folder stands for every .srlm file below it. Exit 0 when all is well, 1 when --check/--diff finds unformatted
// files or a file cannot be formatted (syntax errors, not UTF-8, would grow past the analysis limit), 2 on bad
// usage or an unreadable file.
import { writeFile } from 'node:fs/promises';
import { readInputs } from '../inputs';
import { fsErrorReason } from '../../store/fileIo';
import { unifiedDiff } from '../unifiedDiff';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { encodingDiagnostic, format, LineIndex, type Diagnostic } from '../../../../server/src/core';

const usage = `usage: srlm fmt FILE|DIR|-... [--check | --diff]

Formats .srlm files in place in the one canonical style (comments are kept). A folder stands for every .srlm
file below it; - reads standard input and writes the formatted text to standard output.

options:
  --check                 change nothing; list files that would change and exit 1 if there are any
  --diff                  change nothing; print a unified diff of what would change and exit 1 if anything would
  --stdin-filename PATH   the name shown for the pipeline read from -
exit status: 0 ok, 1 unformatted files (--check, --diff), syntax errors, text that is not UTF-8 or would grow
             past the 8 MiB analysis limit (such files are left as they are), 2 bad usage or unreadable file`;

interface Args {
  files: string[];
  mode: 'write' | 'check' | 'diff';
  stdinFilename?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], mode: 'write' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check' || a === '--diff') {
      const mode = a === '--check' ? 'check' : 'diff';
      if (args.mode !== 'write' && args.mode !== mode) throw new UsageError('--check and --diff exclude each other');
      args.mode = mode;
    } else if (a === '--stdin-filename' || a.startsWith('--stdin-filename=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new UsageError('--stdin-filename needs a value');
      args.stdinFilename = v;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else args.files.push(a);
  }
  if (args.files.length === 0) throw new UsageError('no files given (a folder formats every .srlm file below it)');
  return args;
}

export const fmtCommand: CliCommand = {
  name: 'fmt',
  summary: 'format .srlm files (--check or --diff to verify only)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv);
    const inputs = await readInputs('fmt', args.files, io, args.stdinFilename);
    if (!inputs) return 2;
    let status = 0;
    for (const input of inputs) {
      const { name, abs, text, fromStdin } = input;
      if (input.invalid) {
        // Formatting would write U+FFFD over the bytes that are not UTF-8: refuse, and name the first one.
        const d = encodingDiagnostic(input, new LineIndex(text)) as Diagnostic;
        io.stderr.write(
          `${name}:${d.range.start.line + 1}:${d.range.start.character + 1}: not formatted: ${d.message}\n`,
        );
        status = 1;
        continue;
      }
      const r = format(text);
      if (r.text === undefined) {
        io.stderr.write(`${name}: ${r.error}\n`);
        status = 1;
        continue;
      }
      if (args.mode === 'diff') {
        io.stdout.write(unifiedDiff(text, r.text, name));
        if (r.changed) status = 1;
      } else if (args.mode === 'check') {
        if (!r.changed) continue;
        io.stdout.write(`${name}: not formatted\n`);
        status = 1;
      } else if (fromStdin) io.stdout.write(r.text);
      else if (r.changed) {
        try {
          await writeFile(abs!, r.text, 'utf8');
        } catch (e) {
          io.stderr.write(`srlm fmt: cannot write ${name}: ${fsErrorReason(e)}\n`);
          return 2;
        }
        io.stdout.write(`formatted ${name}\n`);
      }
    }
    return status;
  },
};

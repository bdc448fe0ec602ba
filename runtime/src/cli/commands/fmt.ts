// `srlm fmt FILE... [--check]`: rewrites .srlm files in the canonical style, or with --check lists the files
// that are not formatted. Exit 0 when all is well, 1 when --check finds unformatted files or a file cannot be
// formatted (syntax errors, not UTF-8, would grow past the analysis limit), 2 on bad usage or an unreadable file.
import { writeFile } from 'node:fs/promises';
import { readSourceFile } from '../source-file';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { encodingDiagnostic, format, LineIndex, type Diagnostic } from '../../../../server/src/core';

const usage = `usage: srlm fmt FILE... [--check]

Formats .srlm files in place in the one canonical style (comments are kept).

options:
  --check   change nothing; list files that would change and exit 1 if there are any
exit status: 0 ok, 1 unformatted files (--check), syntax errors, text that is not UTF-8 or would grow
             past the 8 MiB analysis limit (such files are left as they are), 2 bad usage or unreadable file`;

export const fmtCommand: CliCommand = {
  name: 'fmt',
  summary: 'format .srlm files (--check to verify only)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    let checkOnly = false;
    const files: string[] = [];
    for (const a of argv) {
      if (a === '--check') checkOnly = true;
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else files.push(a);
    }
    if (files.length === 0) throw new UsageError('no files given');
    let status = 0;
    for (const file of files) {
      const source = await readSourceFile('fmt', file, io);
      if (!source) return 2;
      const { abs, text } = source;
      if (source.invalid) {
        // Formatting would write U+FFFD over the bytes that are not UTF-8: refuse, and name the first one.
        const d = encodingDiagnostic(source, new LineIndex(text)) as Diagnostic;
        io.stderr.write(
          `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: not formatted: ${d.message}\n`,
        );
        status = 1;
        continue;
      }
      const r = format(text);
      if (r.text === undefined) {
        io.stderr.write(`${file}: ${r.error}\n`);
        status = 1;
        continue;
      }
      if (!r.changed) continue;
      if (checkOnly) {
        io.stdout.write(`${file}: not formatted\n`);
        status = 1;
      } else {
        await writeFile(abs, r.text, 'utf8');
        io.stdout.write(`formatted ${file}\n`);
      }
    }
    return status;
  },
};

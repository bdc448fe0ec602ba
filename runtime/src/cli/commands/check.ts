// `srlm check FILE... [--output-format human|json|github|sarif] [--no-files]`: the language checker from the
// terminal (and CI). Exit 0 without errors, 1 with errors (warnings do not fail), 2 on bad usage or an unreadable
// file. FILE may be `-` (standard input) or a folder (every .srlm file below it).
import { readInputs } from '../inputs';
import { githubAnnotations, sarifLog, type ReportedDiagnostic } from '../check-report';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { check, LineIndex, type Diagnostic } from '../../../../server/src/core';
import { NodeFileSystemHost } from '../host/nodeHost';

const usage = `usage: srlm check FILE|DIR|-... [options]

Checks .srlm pipelines: syntax, fields, values, references, batch arithmetic, and (unless --no-files) the
files they name: dataset files and their columns, local model folders, reward files. A folder stands for every
.srlm file below it; - reads one pipeline from standard input.

options:
  --output-format FMT     human (default); json: one array of {file, range, severity, code, message} with
                          0-based positions; github: GitHub Actions annotations; sarif: a SARIF 2.1.0 log
  --format FMT            same as --output-format
  --json                  same as --output-format json
  --stdin-filename PATH   the name (and folder, for relative paths) of the pipeline read from -
  --no-files              skip the file-system checks
exit status: 0 no errors, 1 errors found, 2 bad usage or unreadable file`;

const OUTPUT_FORMATS = ['human', 'json', 'github', 'sarif'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

interface Args {
  files: string[];
  output: OutputFormat;
  fileChecks: boolean;
  stdinFilename?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], output: 'human', fileChecks: true };
  const value = (i: number, name: string): string => {
    const a = argv[i];
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
    if (v === undefined) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.split('=')[0];
    if (name === '--format' || name === '--output-format') {
      const v = value(i, name);
      if (!a.includes('=')) i++;
      if (!(OUTPUT_FORMATS as readonly string[]).includes(v))
        throw new UsageError(`${name} must be one of ${OUTPUT_FORMATS.join(', ')}, got '${v}'`);
      args.output = v as OutputFormat;
    } else if (name === '--stdin-filename') {
      args.stdinFilename = value(i, name);
      if (!a.includes('=')) i++;
    } else if (a === '--json') args.output = 'json';
    else if (a === '--no-files') args.fileChecks = false;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else args.files.push(a);
  }
  if (args.files.length === 0) throw new UsageError('no files given (a folder checks every .srlm file below it)');
  return args;
}

export interface JsonDiagnostic {
  file: string;
  range: Diagnostic['range'];
  severity: Diagnostic['severity'];
  code: string;
  message: string;
}

const COLORS = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m', hint: '\x1b[90m' } as const;

/** `file:line:col: severity CODE: message`, the source line, and a caret under the range. */
export function renderHuman(file: string, index: LineIndex, d: Diagnostic, color: boolean): string {
  const { line, character } = d.range.start;
  const sev = color ? `${COLORS[d.severity]}${d.severity}\x1b[0m` : d.severity;
  const src = index.lineText(line);
  const end = d.range.end.line === line ? d.range.end.character : src.length;
  const width = Math.max(1, end - character);
  const num = String(line + 1);
  const gutter = ' '.repeat(num.length);
  // Tabs keep their width in the caret line, so the caret sits under the right character.
  const lead = src.slice(0, character).replace(/[^\t]/g, ' ');
  const lines = [
    `${file}:${line + 1}:${character + 1}: ${sev} ${d.code}: ${d.message}`,
    ` ${num} | ${src}`,
    ` ${gutter} | ${lead}${'^'.repeat(Math.min(width, Math.max(1, src.length - character)))}`,
  ];
  for (const r of d.related ?? [])
    lines.push(` ${gutter} = ${file}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${r.message}`);
  return lines.join('\n');
}

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'check .srlm files and report diagnostics',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv);
    const inputs = await readInputs('check', args.files, io, args.stdinFilename);
    if (!inputs) return 2;
    const reported: ReportedDiagnostic[] = [];
    const human: string[] = [];
    let errors = 0;
    let warnings = 0;
    const color = args.output === 'human' && io.stdout.isTTY === true && !io.env.NO_COLOR;
    for (const { name, abs, text } of inputs) {
      // Standard input without --stdin-filename checks file paths against the working folder.
      const host = args.fileChecks ? NodeFileSystemHost.forFile(abs ?? `${io.cwd}/-`) : undefined;
      const { document, diagnostics } = await check(text, { host });
      for (const d of diagnostics) {
        if (d.severity === 'error') errors++;
        else if (d.severity === 'warning') warnings++;
        reported.push({ file: name, diagnostic: d });
        if (args.output === 'human' && d.severity !== 'hint')
          human.push(renderHuman(name, document.lineIndex, d, color));
      }
    }
    writeReport(io, args.output, reported, human, inputs.length, errors, warnings);
    return errors > 0 ? 1 : 0;
  },
};

function writeReport(
  io: CliIO,
  output: OutputFormat,
  reported: readonly ReportedDiagnostic[],
  human: readonly string[],
  files: number,
  errors: number,
  warnings: number,
): void {
  if (output === 'json') {
    const all: JsonDiagnostic[] = reported.map(({ file, diagnostic: d }) => ({
      file,
      range: d.range,
      severity: d.severity,
      code: d.code,
      message: d.message,
    }));
    io.stdout.write(JSON.stringify(all, null, 2) + '\n');
  } else if (output === 'github') io.stdout.write(githubAnnotations(reported));
  else if (output === 'sarif') io.stdout.write(JSON.stringify(sarifLog(reported, io.cwd), null, 2) + '\n');
  else {
    if (human.length > 0) io.stdout.write(human.join('\n\n') + '\n\n');
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    io.stdout.write(`${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}\n`);
  }
}

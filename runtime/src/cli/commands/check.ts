// `srlm check FILE... [--output-format human|json|github|sarif] [--no-files] [--estimate]`: the checks of the editor
// from the terminal (and CI). Exit 0 without errors, 1 with errors (warnings do not fail), 2 on bad usage or an unreadable
// file. FILE may be `-` (standard input) or a folder (every .srlm file below it).
import { readInputs } from '../inputs';
import { githubAnnotations, sarifLog, type ReportedDiagnostic } from '../checkReport';
import { UsageError, type CliCommand, type CliIO } from '../command';
import * as path from 'node:path';
import { encodingDiagnostic, LineIndex, type Diagnostic } from '../../../../server/src/core';
import { formatBytes, formatCount, formatDuration } from '../../../../server/src/core/estimate';
import {
  checkDocument,
  checkEnvironment,
  documentOf,
  stageEstimate,
  type IdeDocument,
  type IdeEnv,
} from '../../../../server/src/ide/checks';
import { sinkEnvironmentCheck } from '../../supervisor/sinksEnv';

const usage = `usage: srlm check FILE|DIR|-... [options]

Checks .srlm pipelines: syntax, fields, values, references, batch arithmetic, and (unless --no-files) the
environment — exactly what the editor reports: datasets (local files and folders in every format, hub
datasets in the Hugging Face cache) and their columns, model folders and hub models in the cache, lengths
against the model's positions, vocabularies, chat templates, reward files, and the memory estimate against
the GPU (the pipeline's gpu_memory, else nvidia-smi, else SRLM_GPU_MEMORY_GIB; SRLM_DETECT_GPU=0 skips
nvidia-smi). The Hugging Face cache is found as huggingface_hub finds it (HF_HUB_CACHE, HF_HOME…). The
metric back-ends named in report_to must be installed in the engine's Python (the one srlm run would use).
A folder stands for every .srlm file below it; - reads one pipeline from standard input.

options:
  --output-format FMT     human (default); json: one array of {file, range, severity, code, message} with
                          0-based positions; github: GitHub Actions annotations; sarif: a SARIF 2.1.0 log
  --format FMT            same as --output-format
  --json                  same as --output-format json
  --stdin-filename PATH   the name (and folder, for relative paths) of the pipeline read from -
  --no-files              skip the environment checks
  --estimate              also print each stage's estimated peak GPU memory, parameters and time
exit status: 0 no errors, 1 errors found, 2 bad usage or unreadable file`;

const OUTPUT_FORMATS = ['human', 'json', 'github', 'sarif'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

interface Args {
  files: string[];
  output: OutputFormat;
  fileChecks: boolean;
  estimate: boolean;
  stdinFilename?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], output: 'human', fileChecks: true, estimate: false };
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
    else if (a === '--estimate') args.estimate = true;
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

/** Source lines longer than this are shown as a window of CONTEXT characters either side of the range. */
const MAX_SHOWN = 240;
const CONTEXT = 80;

/** `file:line:col: severity CODE: message`, the source line, and a caret under the range. */
export function renderHuman(file: string, index: LineIndex, d: Diagnostic, color: boolean): string {
  const { line } = d.range.start;
  const sev = color ? `${COLORS[d.severity]}${d.severity}\x1b[0m` : d.severity;
  const full = index.lineText(line);
  const fullEnd = d.range.end.line === line ? d.range.end.character : full.length;
  // A window of a long line around the range: a generated one-line file used to be printed whole under each of
  // its diagnostics (a 0.8 MB line, 1,000 times, ended in "Invalid string length").
  const from = full.length > MAX_SHOWN ? Math.max(0, d.range.start.character - CONTEXT) : 0;
  const to =
    full.length > MAX_SHOWN
      ? Math.min(full.length, Math.max(fullEnd, d.range.start.character + 1) + CONTEXT)
      : full.length;
  const src = (from > 0 ? '…' : '') + full.slice(from, to) + (to < full.length ? '…' : '');
  const character = d.range.start.character - from + (from > 0 ? 1 : 0);
  const end = Math.min(fullEnd, to) - from + (from > 0 ? 1 : 0);
  const width = Math.max(1, end - character);
  const num = String(line + 1);
  const gutter = ' '.repeat(num.length);
  // Tabs keep their width in the caret line, so the caret sits under the right character.
  const lead = src.slice(0, character).replace(/[^\t]/g, ' ');
  const lines = [
    `${file}:${line + 1}:${d.range.start.character + 1}: ${sev} ${d.code}: ${d.message}`,
    ` ${num} | ${src}`,
    ` ${gutter} | ${lead}${'^'.repeat(Math.min(width, Math.max(1, src.length - character)))}`,
  ];
  for (const r of d.related ?? [])
    lines.push(` ${gutter} = ${file}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${r.message}`);
  return lines.join('\n');
}

/** One line per training stage: the estimate the editor shows as an inlay hint, against the GPU it knows. */
export function renderEstimates(file: string, doc: IdeDocument, env: IdeEnv): string {
  const lines: string[] = [];
  for (const sym of doc.model.symbols) {
    if (sym.kind !== 'stage') continue;
    const v = stageEstimate(doc, sym, env);
    if (!v) {
      lines.push(`  ${sym.name} (${sym.stageKind}): no estimate (the model's config.json is not on disk)`);
      continue;
    }
    const e = v.estimate;
    const limit = v.limit
      ? ` of ${formatBytes(v.limit.bytes)} (${v.limit.from === 'nvidia-smi' ? `${env.gpu?.name}, nvidia-smi` : v.limit.from})`
      : '';
    const time = e.time
      ? `, about ${formatDuration(e.time.seconds)} for ${e.steps} steps on ${v.deviceDetected ? '' : 'an assumed '}${v.device.name}`
      : '';
    lines.push(
      `  ${sym.name} (${sym.stageKind}): peak GPU memory ${formatBytes(e.memory.peakWithOverhead)}${limit} in ${e.memory.peakPhase}, ${formatCount(e.totalParams)} parameters (${formatCount(e.trainableParams)} trained)${time}`,
    );
  }
  return lines.length ? `${file}: estimates (docs/memory-estimator.md)\n${lines.join('\n')}\n` : '';
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
    let env: IdeEnv | undefined;
    const estimates: string[] = [];
    for (const input of inputs) {
      const { name, abs, text } = input;
      // Standard input without --stdin-filename checks file paths against the working folder.
      const file = abs ?? path.join(io.cwd, '-');
      const doc = documentOf(file, text);
      env ??= args.fileChecks ? await checkEnvironment(io.env, io.cwd) : undefined;
      const { document, diagnostics: found } = env
        ? await checkDocument(doc, env, undefined, [
            // report_to back-ends, asked of the engine's Python (only when the pipeline names some).
            sinkEnvironmentCheck({ env: io.env, searchFrom: [path.dirname(file), io.cwd] }),
          ])
        : { document: doc.model, diagnostics: doc.model.diagnostics };
      const encoding = encodingDiagnostic(input, document.lineIndex);
      const diagnostics = encoding ? [encoding, ...found] : found;
      for (const d of diagnostics) {
        if (d.severity === 'error') errors++;
        else if (d.severity === 'warning') warnings++;
        reported.push({ file: name, diagnostic: d });
        if (args.output === 'human' && d.severity !== 'hint')
          human.push(renderHuman(name, document.lineIndex, d, color));
      }
      if (args.estimate && args.output === 'human' && env) estimates.push(renderEstimates(name, doc, env));
    }
    writeReport(io, args.output, reported, human, inputs.length, errors, warnings, estimates);
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
  estimates: readonly string[],
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
    for (const e of estimates) if (e) io.stdout.write(e + '\n');
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    io.stdout.write(`${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}\n`);
  }
}

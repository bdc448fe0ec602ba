// `srlm check FILE... [--format json] [--no-files] [--estimate]`: the checks of the editor from the terminal (and CI).
// Exit 0 without errors, 1 with errors (warnings do not fail), 2 on bad usage or an unreadable file.
import { readSourceFile } from '../source-file';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { LineIndex, type Diagnostic } from '../../../../server/src/core';
import { formatBytes, formatCount, formatDuration } from '../../../../server/src/core/estimate';
import {
  checkDocument,
  checkEnvironment,
  documentOf,
  stageEstimate,
  type IdeDocument,
  type IdeEnv,
} from '../../../../server/src/ide/checks';

const usage = `usage: srlm check FILE... [options]

Checks .srlm pipelines: syntax, fields, values, references, batch arithmetic, and (unless --no-files) the
environment — exactly what the editor reports: datasets (local files and folders in every format, hub
datasets in the Hugging Face cache) and their columns, model folders and hub models in the cache, lengths
against the model's positions, vocabularies, chat templates, reward files, and the memory estimate against
the GPU (the pipeline's gpu_memory, else nvidia-smi, else SRLM_GPU_MEMORY_GIB; SRLM_DETECT_GPU=0 skips
nvidia-smi). The Hugging Face cache is found as huggingface_hub finds it (HF_HUB_CACHE, HF_HOME…).

options:
  --format human|json   output style (default human); json prints one array of
                        {file, range, severity, code, message} with 0-based positions
  --json                same as --format json
  --no-files            skip the environment checks
  --estimate            also print each stage's estimated peak GPU memory, parameters and time
exit status: 0 no errors, 1 errors found, 2 bad usage or unreadable file`;

interface Args {
  files: string[];
  json: boolean;
  fileChecks: boolean;
  estimate: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], json: false, fileChecks: true, estimate: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--format' || a.startsWith('--format=')) {
      const v = a === '--format' ? argv[++i] : a.slice('--format='.length);
      if (v !== 'json' && v !== 'human') throw new UsageError(`--format must be human or json, got '${v ?? ''}'`);
      args.json = v === 'json';
    } else if (a === '--json') args.json = true;
    else if (a === '--no-files') args.fileChecks = false;
    else if (a === '--estimate') args.estimate = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else args.files.push(a);
  }
  if (args.files.length === 0) throw new UsageError('no files given');
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
    const all: JsonDiagnostic[] = [];
    const human: string[] = [];
    let errors = 0;
    let warnings = 0;
    const color = !args.json && io.stdout.isTTY === true && !io.env.NO_COLOR;
    let env: IdeEnv | undefined;
    const estimates: string[] = [];
    for (const file of args.files) {
      const source = await readSourceFile('check', file, io);
      if (!source) return 2;
      const { abs, text } = source;
      const doc = documentOf(abs, text);
      env ??= args.fileChecks ? await checkEnvironment(io.env, io.cwd) : undefined;
      const { document, diagnostics } = env
        ? await checkDocument(doc, env)
        : { document: doc.model, diagnostics: doc.model.diagnostics };
      for (const d of diagnostics) {
        if (d.severity === 'error') errors++;
        else if (d.severity === 'warning') warnings++;
        all.push({ file, range: d.range, severity: d.severity, code: d.code, message: d.message });
        if (!args.json && d.severity !== 'hint') human.push(renderHuman(file, document.lineIndex, d, color));
      }
      if (args.estimate && !args.json && env) estimates.push(renderEstimates(file, doc, env));
    }
    if (args.json) io.stdout.write(JSON.stringify(all, null, 2) + '\n');
    else {
      if (human.length > 0) io.stdout.write(human.join('\n\n') + '\n\n');
      for (const e of estimates) if (e) io.stdout.write(e + '\n');
      const n = args.files.length;
      io.stdout.write(
        `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${n} file${n === 1 ? '' : 's'}\n`,
      );
    }
    return errors > 0 ? 1 : 0;
  },
};

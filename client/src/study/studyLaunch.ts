// What the editor shows while it runs a study through `srlm run FILE --json` (client/src/study/runStudy.ts):
// the variant choice, the progress line, and the one message at the end. Plain data, tested without VS Code.
import type { StudyRunEvent } from '../../../runtime/src/cli/studyRun';

export type VariantEvent = Extract<StudyRunEvent, { event: 'variant' }>;
export type StudyEndEvent = Extract<StudyRunEvent, { event: 'study' }>;

export interface VariantChoice {
  readonly label: string;
  readonly description?: string;
  /** The variant to run alone (`--variant`); undefined: every variant. */
  readonly variant: string | undefined;
}

/** Every variant first (the default, as `srlm run FILE`), then each one alone (`srlm run FILE --variant NAME`). */
export function variantChoices(variants: readonly string[]): VariantChoice[] {
  return [
    {
      label: `All ${variants.length} variants`,
      description: 'one run after another; stages they share train once',
      variant: undefined,
    },
    ...variants.map((v) => ({ label: v, description: 'this variant alone', variant: v })),
  ];
}

/** The `srlm` arguments that run the study (or one variant) for the editor. */
export function studyArgs(file: string, variant: string | undefined, python: string | undefined): string[] {
  const args = ['run', file, '--json'];
  if (variant !== undefined) args.push('--variant', variant);
  if (python) args.push('--python', python);
  return args;
}

/** One line of `srlm run STUDY --json`'s stdout, or undefined for anything else. */
export function parseStudyEvent(line: string): StudyRunEvent | undefined {
  try {
    const v = JSON.parse(line) as Partial<StudyRunEvent> | null;
    if (
      v?.event === 'variant' &&
      typeof v.variant === 'string' &&
      typeof v.id === 'string' &&
      typeof v.dir === 'string'
    )
      return v as VariantEvent;
    if (v?.event === 'study' && typeof v.id === 'string' && typeof v.runsDir === 'string' && typeof v.code === 'number')
      return v as StudyEndEvent;
  } catch {
    // a line that is not JSON: not an event
  }
  return undefined;
}

/** The progress notification's line: which variant runs, and the engine's latest progress under it. */
export function progressText(current: VariantEvent | undefined, detail: string | undefined): string {
  if (!current) return detail ?? 'checking the file…';
  const head = `variant ${current.index}/${current.runs}: ${current.variant}`;
  return detail ? `${head} — ${detail}` : head;
}

export interface StudyOutcome {
  readonly level: 'info' | 'error';
  readonly text: string;
}

/**
 * The message at the end of a study: none when every variant completed (the Study view opens); otherwise which
 * variant (file and line) did not complete and why, what was not run, and that what finished is kept.
 */
export function studyOutcome(end: StudyEndEvent, fileName: string): StudyOutcome | undefined {
  const failed = end.failed;
  if (end.code === 0 || !failed) return undefined;
  const where = `${fileName}:${failed.line}`;
  const rest = end.skipped.filter((v) => v !== failed.variant);
  const notRun = rest.length > 0 ? ` Not run: ${rest.join(', ')}.` : '';
  const kept = ' The Study view shows what ran.';
  if (failed.status === 'stopped')
    return {
      level: 'info',
      text: `SRLM: study ${end.study} stopped at variant ${failed.variant} (${where}).${notRun}${kept}`,
    };
  const what =
    failed.status === undefined ? 'could not start' : failed.status === 'failed' ? 'failed' : `ended ${failed.status}`;
  return {
    level: 'error',
    text: `SRLM: study ${end.study}: variant ${failed.variant} (${where}) ${what}.${notRun}${kept}`,
  };
}

/** The first error `srlm run` lists as `file:line:col: error CODE: message`, when it refused the file. */
export function firstCheckError(output: string): { line: number; column: number; message: string } | undefined {
  const m = /^.+?:(\d+):(\d+): error \w+: (.*)$/m.exec(output);
  return m ? { line: Number(m[1]), column: Number(m[2]), message: m[3]! } : undefined;
}

/**
 * Why the study did not run at all, in one message: the first check error with its line and the variant it is
 * in (`variantAt`, from the editor's symbols), or else the command's last lines (an engine set-up problem…).
 */
export function notStartedText(
  fileName: string,
  output: string,
  variantAt: (line: number, column: number) => string | undefined = () => undefined,
): string {
  const err = firstCheckError(output);
  if (err) {
    const variant = variantAt(err.line, err.column);
    return `SRLM: the study in ${fileName} did not run: ${fileName}:${err.line}${variant ? ` (variant ${variant})` : ''}: ${err.message}`;
  }
  const tail = output.trim().split('\n').slice(-6).join('\n');
  return `SRLM: the study in ${fileName} did not run.\n${tail}`;
}

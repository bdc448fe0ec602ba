// The environment check for metric back-ends: a pipeline whose `report_to` names TensorBoard, W&B or MLflow needs
// that library in the engine's Python. The engine answers (`python -m srlm_engine check-env`), since only the
// Python that will run can say what it has; `srlm check` reports a missing one on the `report_to` value
// (`sinkEnvironmentCheck`, a HostCheck) and `srlm run` refuses to launch (`assertSinksInstalled`).
import { execFile } from 'node:child_process';
import { Codes, type HostCheck, type RawDiagnostic } from '../../../server/src/core';
import { ENGINE_MODULE, findPython, type FindPythonOptions } from './python';
import { PreflightError } from './preflight';

export interface BackendStatus {
  readonly name: string;
  readonly installed: boolean;
  readonly version: string | null;
  /** The command that installs it, e.g. `pip install 'srlm-engine[wandb]'`. */
  readonly install: string;
}

export interface SinkEnvironment {
  readonly backends: readonly BackendStatus[];
  readonly missing: readonly string[];
  readonly unknown: readonly string[];
}

/** Asks the engine which of `names` it can report to. Rejects with the reason when the engine cannot answer. */
export function probeSinks(
  python: string,
  names: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<SinkEnvironment> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-m', ENGINE_MODULE, 'check-env', '--report-to', names.join(',')],
      { env, timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const why = (stderr || err.message).trim().split('\n').pop();
          reject(new Error(`${python} -m ${ENGINE_MODULE} check-env failed: ${why}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as SinkEnvironment);
        } catch {
          reject(new Error(`${python} -m ${ENGINE_MODULE} check-env printed no JSON (is the engine too old?)`));
        }
      },
    );
  });
}

export function missingMessage(envr: SinkEnvironment, python: string): string | undefined {
  const missing = envr.backends.filter((b) => !b.installed);
  if (missing.length === 0) return undefined;
  const list = missing.map((b) => `${b.name} (${b.install})`).join(', ');
  return `report_to names ${missing.length === 1 ? 'a back-end' : 'back-ends'} not installed in ${python}: ${list}`;
}

/** Preflight of `srlm run`: throws PreflightError when a back-end the plan reports to is missing. */
export async function assertSinksInstalled(
  python: string,
  settings: Readonly<Record<string, unknown>> | undefined,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const names = reportTo(settings?.report_to);
  if (names.length === 0) return;
  let found: SinkEnvironment;
  try {
    found = await probeSinks(python, names, env);
  } catch (err) {
    throw new PreflightError(`cannot check the metric back-ends (report_to): ${(err as Error).message}`);
  }
  const message = missingMessage(found, python);
  if (message) throw new PreflightError(`${message}. Install it, or remove it from report_to.`);
}

function reportTo(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * A file check for `srlm check` (and any host that can start Python): a `report_to` back-end missing from the
 * engine's Python is an error on the `report_to` value. Without `report_to` no Python is started at all.
 */
export function sinkEnvironmentCheck(opts: FindPythonOptions): HostCheck {
  return async (ctx) => {
    const cfg = ctx.doc.pipeline;
    const names = reportTo(cfg?.values.report_to);
    if (!cfg || names.length === 0) return [];
    const span = ctx.valueSpan(cfg, 'report_to') ?? { start: 0, end: 0 };
    const choice = findPython(opts);
    const out: RawDiagnostic[] = [];
    if (!choice) {
      out.push({
        info: Codes.environmentUnchecked,
        message: 'no Python found for the engine, so the report_to back-ends were not checked (run `srlm setup`)',
        span,
      });
      return out;
    }
    let found: SinkEnvironment;
    try {
      found = await probeSinks(choice.python, names, opts.env);
    } catch (err) {
      out.push({ info: Codes.environmentUnchecked, message: (err as Error).message, span });
      return out;
    }
    for (const b of found.backends) {
      if (b.installed) continue;
      out.push({
        info: Codes.backendMissing,
        message: `'${b.name}' is not installed in the engine's Python (${choice.python}): ${b.install}`,
        span: itemSpan(ctx.doc.text, span, b.name),
      });
    }
    return out;
  };
}

/** The span of one name inside the `report_to` list, so each missing back-end is underlined on its own. */
function itemSpan(text: string, list: { start: number; end: number }, name: string): { start: number; end: number } {
  const inner = text.slice(list.start, list.end);
  const m = new RegExp(`\\b${name}\\b`).exec(inner);
  return m ? { start: list.start + m.index, end: list.start + m.index + name.length } : list;
}

// Hub preflight: resolve every hub model and dataset of a plan to a commit, fetching what the Hugging Face cache
// lacks, before a run folder exists or a stage starts. The engine does the work (`python -m srlm_engine pull`,
// huggingface_hub underneath) and reports JSON lines; this module runs it, relays progress and turns its one
// error into a PreflightError whose message is the whole explanation (offline, gated, not found…).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isLocalSource } from '../../../server/src/core';
import type { Plan } from '../plan/types';
import { PreflightError } from './preflight';
import { ENGINE_MODULE } from './python';

/** One JSON line of `srlm_engine pull` (runtime/python/srlm_engine/hub.py). */
export interface HubEvent {
  readonly event: 'resolving' | 'progress' | 'resolved' | 'done' | 'error';
  readonly kind?: 'model' | 'dataset';
  readonly name?: string;
  readonly repo?: string;
  readonly revision?: string;
  readonly commit?: string;
  readonly done?: number;
  readonly total?: number | null;
  readonly unit?: string;
  readonly what?: string;
  readonly code?: string;
  readonly message?: string;
}

export interface ResolvedRepo {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly path: string;
}

export interface HubResolution {
  readonly models: Readonly<Record<string, ResolvedRepo>>;
  readonly datasets: Readonly<Record<string, ResolvedRepo>>;
}

/** The preflight failed: `code` is the engine's classification (offline, gated, unauthorized, not_found…). */
export class HubResolveError extends PreflightError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Hub ids a plan names (local sources are absolute paths after compiling). */
export function hubRepos(plan: Plan): { kind: 'model' | 'dataset'; name: string; repo: string }[] {
  const out: { kind: 'model' | 'dataset'; name: string; repo: string }[] = [];
  for (const [name, m] of Object.entries(plan.models)) {
    if (typeof m.source === 'string' && !isLocalSource(m.source)) out.push({ kind: 'model', name, repo: m.source });
  }
  for (const [name, d] of Object.entries(plan.datasets)) {
    if (typeof d.source === 'string' && !d.builtin && !isLocalSource(d.source))
      out.push({ kind: 'dataset', name, repo: d.source });
  }
  return out;
}

export interface ResolveOptions {
  readonly python: string;
  readonly env: NodeJS.ProcessEnv;
  readonly onEvent?: (e: HubEvent) => void;
}

/**
 * Runs the engine's pull on `plan`; resolves with every hub repository's commit, or rejects with a
 * HubResolveError. A plan without hub ids resolves at once without starting Python.
 */
export async function resolveHub(plan: Plan, o: ResolveOptions): Promise<HubResolution> {
  if (hubRepos(plan).length === 0) return { models: {}, datasets: {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-pull-'));
  const planPath = path.join(dir, 'plan.json');
  fs.writeFileSync(planPath, JSON.stringify(plan));
  try {
    return await runPull(planPath, o);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runPull(planPath: string, o: ResolveOptions): Promise<HubResolution> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.python, ['-m', ENGINE_MODULE, 'pull', '--plan', planPath], {
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    let stderr = '';
    let result: HubResolution | undefined;
    let failure: HubResolveError | undefined;
    const handle = (line: string) => {
      if (!line.trim()) return;
      let e: HubEvent;
      try {
        e = JSON.parse(line) as HubEvent;
      } catch {
        return; // a library printed to stdout; only JSON lines are ours
      }
      if (e.event === 'done') result = e as unknown as HubResolution;
      else if (e.event === 'error')
        failure = new HubResolveError(e.message ?? 'hub preflight failed', e.code ?? 'error');
      else o.onEvent?.(e);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(handle);
    });
    // Kept only to explain a crash; huggingface_hub's own warnings are not the user's problem otherwise.
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', (err) => reject(new HubResolveError(`cannot start ${o.python}: ${err.message}`, 'error')));
    child.on('close', (code) => {
      handle(buffer);
      if (failure) reject(failure);
      else if (code === 0 && result) resolve({ models: result.models ?? {}, datasets: result.datasets ?? {} });
      else {
        const last = stderr.trim().split('\n').pop() ?? '';
        reject(new HubResolveError(`resolving hub models and datasets failed (exit ${code}): ${last}`, 'error'));
      }
    });
  });
}

/** Model name → commit, the form `compilePlan` takes. */
export function resolvedRevisions(r: HubResolution): Record<string, string> {
  return Object.fromEntries(Object.entries(r.models).map(([name, m]) => [name, m.commit]));
}

/** Dataset name → commit, likewise. */
export function resolvedDatasetRevisions(r: HubResolution): Record<string, string> {
  return Object.fromEntries(Object.entries(r.datasets).map(([name, d]) => [name, d.commit]));
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.round(n / 1e3)} kB`;
}

/**
 * Progress lines for a terminal (one line redrawn in place while bytes arrive) or a log (a line per quarter).
 * Returns the event handler and a `finish` that ends a line left open.
 */
export function hubProgressPrinter(
  out: NodeJS.WritableStream,
  tty: boolean,
): { onEvent: (e: HubEvent) => void; finish: () => void } {
  let open = false;
  let lastQuarter = -1;
  const end = () => {
    if (open) out.write('\n');
    open = false;
  };
  return {
    onEvent(e) {
      const who = `${e.kind} ${e.name} (${e.repo}${e.revision ? `@${e.revision}` : ''})`;
      if (e.event === 'resolving') {
        end();
        lastQuarter = -1;
        out.write(`resolving ${who}…\n`);
      } else if (e.event === 'resolved') {
        end();
        out.write(`  ${e.kind} ${e.name}: ${e.repo}@${e.revision} = commit ${e.commit?.slice(0, 12)}\n`);
      } else if (e.event === 'progress' && e.unit === 'B' && e.total && !e.what?.startsWith('Reconstructing')) {
        // huggingface_hub reports bytes twice (received, and written to disk for xet); the received ones show.
        const text = `  downloading ${formatBytes(e.done ?? 0)} / ${formatBytes(e.total)}`;
        if (tty) {
          out.write(`\r${text}\x1b[K`);
          open = true;
        } else {
          const quarter = Math.floor(((e.done ?? 0) / e.total) * 4);
          if (quarter > lastQuarter) {
            lastQuarter = quarter;
            out.write(`${text}\n`);
          }
        }
      }
    },
    finish: end,
  };
}

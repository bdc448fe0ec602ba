// What the inspector shows about a checkpoint without loading any model: meta.json (stage, step, hashes, metrics
// at save), the run's events.jsonl (the stage's parent, eval metrics and eval samples up to this step), and
// whether an ONNX export exists.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findExportDir, readManifest } from './manifest';

export interface EvalSample {
  readonly prompt: string;
  readonly completion: string;
  readonly answer?: string | null;
  readonly correct?: boolean | null;
  readonly reward?: number | null;
  readonly truncated?: boolean | null;
}

export interface CheckpointInfo {
  readonly path: string;
  readonly label: string;
  readonly stage?: string;
  readonly kind?: string;
  readonly step?: number;
  readonly totalSteps?: number;
  readonly final?: boolean;
  readonly planHash?: string;
  readonly stageHash?: string;
  readonly parent?: string;
  readonly baseModel?: string;
  readonly savedAt?: number;
  readonly metrics: Record<string, number | null>;
  readonly evalMetrics: Record<string, Record<string, number | null>>;
  readonly samples: { eval: string; step?: number; samples: EvalSample[] }[];
  readonly exportDir?: string;
  readonly exportProblem?: string;
  readonly warnings: string[];
}

type Json = Record<string, unknown>;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function metricMap(v: unknown): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Json)) if (typeof x === 'number' || x === null) out[k] = x;
  }
  return out;
}

/** The run folder: the nearest ancestor (up to four levels) holding events.jsonl. */
export function findRunDir(checkpoint: string): string | undefined {
  let dir = path.resolve(checkpoint);
  for (let i = 0; i < 4; i++) {
    dir = path.dirname(dir);
    if (existsSync(path.join(dir, 'events.jsonl'))) return dir;
  }
  return undefined;
}

function readEvents(file: string): Json[] {
  const events: Json[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as Json);
    } catch {
      // A final line without its newline is still being written; the next read will have it.
    }
  }
  return events;
}

export function readCheckpointInfo(checkpoint: string): CheckpointInfo {
  const dir = path.resolve(checkpoint);
  const warnings: string[] = [];
  let meta: Json = {};
  const metaFile = path.join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Json;
    } catch (err) {
      warnings.push(`${metaFile}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    warnings.push(`${metaFile}: missing (not a checkpoint written by the engine?)`);
  }
  const stage = str(meta.stage);
  const step = num(meta.step);

  let parent: string | undefined;
  const evalMetrics: CheckpointInfo['evalMetrics'] = {};
  let samples: CheckpointInfo['samples'] = [];
  const runDir = findRunDir(dir);
  if (runDir && stage) {
    let bestStep = -Infinity;
    for (const e of readEvents(path.join(runDir, 'events.jsonl'))) {
      if (e.stage !== stage) continue;
      const eStep = num(e.step) ?? 0;
      if (e.type === 'stage_started') parent = str(e.init) ?? parent;
      if (step !== undefined && eStep > step) continue;
      if (e.type === 'eval' && typeof e.eval === 'string') evalMetrics[e.eval] = metricMap(e.metrics);
      if (e.type === 'samples' && e.source === 'eval' && Array.isArray(e.samples)) {
        // Keep only the latest step's samples: what this checkpoint (or the one just before it) produced.
        if (eStep > bestStep) {
          bestStep = eStep;
          samples = [];
        }
        if (eStep === bestStep) {
          samples.push({ eval: str(e.eval) ?? 'eval', step: eStep, samples: e.samples as EvalSample[] });
        }
      }
    }
  }

  let exportDir: string | undefined;
  let exportProblem: string | undefined;
  try {
    exportDir = findExportDir(dir);
    readManifest(exportDir);
  } catch (err) {
    exportProblem = err instanceof Error ? err.message : String(err);
    exportDir = undefined;
  }

  const label = stage ? `${stage} · ${meta.final ? 'final' : `step ${step ?? '?'}`}` : path.basename(dir);
  return {
    path: dir,
    label,
    stage,
    kind: str(meta.kind),
    step,
    totalSteps: num(meta.total_steps),
    final: typeof meta.final === 'boolean' ? meta.final : undefined,
    planHash: str(meta.plan_sha256),
    stageHash: str(meta.stage_hash),
    parent,
    baseModel: str(meta.base_model),
    savedAt: num(meta.saved_at),
    metrics: metricMap(meta.metrics),
    evalMetrics,
    samples,
    exportDir,
    exportProblem,
    warnings,
  };
}

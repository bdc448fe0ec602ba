// Shared set-up for the supervisor tests: temporary run stores, hand-made plans and the fake engine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Plan, PlanStage } from '../../runtime/src/plan/types';
import { RunStore } from '../../runtime/src/store/runStore';

export const root = path.resolve(__dirname, '..', '..');
export const fakeEngineDir = path.join(root, 'test', 'fixtures', 'runtime', 'fake-engine');

/** A real interpreter (not a pyenv shim, which is slow to start), resolved once. */
export const systemPython = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

const created: string[] = [];
// Run folders hold checkpoints: remove them when the test file's process ends (kept with SRLM_KEEP_TEST_DIRS=1).
process.on('exit', () => {
  if (process.env.SRLM_KEEP_TEST_DIRS) return;
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDir(prefix = 'srlm-rt-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(d);
  return d;
}

export function tmpStore(): RunStore {
  return new RunStore(path.join(tmpDir(), '.srlm', 'runs'));
}

/** Environment that makes `python -m srlm_engine` the fake engine, with its knobs. */
export function fakeEnv(knobs: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONPATH: fakeEngineDir, FAKE_STEP_S: '0.01', ...knobs };
}

export function stage(name: string, kind: PlanStage['kind'], hash: string, extra: Partial<PlanStage> = {}): PlanStage {
  return {
    name,
    kind,
    hash,
    parent: null,
    init: { model: 'm' },
    config: { init: 'm', data: 'd', steps: 6 },
    evals: ['test'],
    ...extra,
  };
}

export function makePlan(
  stages: PlanStage[] = [stage('a', 'sft', 'h-a'), stage('b', 'kd', 'h-b'), stage('c', 'rl', 'h-c')],
): Plan {
  return {
    schema_version: 1,
    pipeline: 'fake',
    models: { m: { source: 'x', weights: 'random' } },
    datasets: { d: { builtin: 'arithmetic' } },
    stages,
    evals: { test: { data: 'd' } },
  };
}

/** Events of a run as parsed objects (unreadable lines skipped). */
export function readEvents(store: RunStore, id: string): Record<string, unknown>[] {
  const text = fs.existsSync(store.file(id, 'events')) ? fs.readFileSync(store.file(id, 'events'), 'utf8') : '';
  const out: Record<string, unknown>[] = [];
  for (const l of text.split('\n')) {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // skipped
    }
  }
  return out;
}

/** Metric steps per stage, in file order. */
export function metricSteps(store: RunStore, id: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const e of readEvents(store, id))
    if (e.type === 'metrics') (out[e.stage as string] ??= []).push(e.step as number);
  return out;
}

export const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

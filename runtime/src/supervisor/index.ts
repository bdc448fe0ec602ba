// Public surface of the run supervisor: start, follow, stop, resume and list runs. The `srlm` CLI drives runs
// through it; the extension launches them through the CLI (client/src/cli.ts) and takes only the run store and
// reconciliation from here. See docs/runs.md.
export { startRun, type StartRunOptions, type StartedRun } from './start';
export {
  createRun,
  engineAlive,
  launchRun,
  listRunsReconciled,
  prepareResume,
  reconcileRun,
  resumeRun,
  RunStateError,
  stopRun,
  type ResumePoint,
  type StopResult,
} from './control';
export { RunWatcher, type WatchOptions, type WatchResult } from './watch';
export { checkEngine, EngineSetupError, EXPECTED_ENGINE_VERSION, findPython, type CheckedEngine } from './python';
export { PreflightError } from './preflight';
export type { LaunchedEngine } from './launch';
export { RunStore, RunNotFoundError, type RunRecord } from '../store/runStore';
export { listRuns, loadRunState, type RunSummary, type StageSummary } from '../store/runSummary';
export { compilePlan, CompileError, type CompileResult } from '../plan/compile';
export { applyStageCache, CacheOptionError, type CacheDecision } from '../plan/cache';
export type { Plan, PlanStage } from '../plan/types';

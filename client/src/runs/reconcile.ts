// Runs that run.json calls live are checked against their engine process, so an engine that died while nobody
// watched (the window was closed, the machine slept, it was killed) is recorded as failed — by the runtime's
// own reconciliation (supervisor-written `error` + `run_finished` events, run.json updated) — instead of
// showing as running forever. Free of `vscode`, so it is tested directly.
import { reconcileRun, RunStore, type RunRecord } from '../../../runtime/src/supervisor';

export type Reconcile = (store: RunStore, id: string) => Promise<RunRecord>;

export function recordedLive(status: string | undefined): boolean {
  return status === 'running' || status === 'starting';
}

export class LiveRunReconciler {
  private readonly inFlight = new Set<string>();

  constructor(private readonly reconcile: Reconcile = reconcileRun) {}

  /**
   * Reconciles one run whose record says it is live. Resolves true when the record no longer says so (the
   * engine was gone and the run was recorded as finished); false when it is still live, a check of the same
   * run is already in flight, or the run cannot be read. Cheap while the engine lives: one read of run.json and
   * of the process's start time.
   */
  async check(root: string, id: string): Promise<boolean> {
    const key = `${root}\n${id}`;
    if (this.inFlight.has(key)) return false;
    this.inFlight.add(key);
    try {
      const rec = await this.reconcile(new RunStore(root), id);
      return !recordedLive(rec.status);
    } catch {
      // A run folder being created or deleted right now, or a record that cannot be read: next time.
      return false;
    } finally {
      this.inFlight.delete(key);
    }
  }
}

// Which engine warnings of live runs deserve a VS Code notification rather than only a line in the dashboard
// and the CLI: those that mean the run is wasting its time (an RL stage with no advantage signal).
import type { Message, RunState } from '../../../runtime/src/events/state';

export const NOTIFIED_WARNING_CODES: ReadonlySet<string> = new Set(['no_learning_signal']);

export interface RunWarningNotice {
  readonly runId: string;
  readonly warning: Message;
}

/** The notifiable warnings of `runs` not in `seen` yet; marks them seen. */
export function newRunWarnings(
  runs: Iterable<{ readonly id: string; readonly state: RunState }>,
  seen: Set<string>,
): RunWarningNotice[] {
  const out: RunWarningNotice[] = [];
  for (const run of runs) {
    for (const w of run.state.warnings.toArray()) {
      if (!w.code || !NOTIFIED_WARNING_CODES.has(w.code)) continue;
      const key = `${run.id}\u0000${w.stage ?? ''}\u0000${w.code}\u0000${w.timeMs}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ runId: run.id, warning: w });
    }
  }
  return out;
}

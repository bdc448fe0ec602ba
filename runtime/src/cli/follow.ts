// Watches a run from the terminal until it ends: live progress, the summary table, and Ctrl-C handling
// (first: stop the run gracefully; second: stop waiting and leave the rest to `srlm stop`).
import type { CliIO } from './command';
import { ProgressRenderer, summaryTable } from './progress';
import { formatDuration, formatNumber } from './runArgs';
import type { LaunchedEngine } from '../supervisor/launch';
import { RunWatcher } from '../supervisor/watch';
import { stopRun } from '../supervisor/control';
import type { RunStore } from '../store/runStore';

export interface FollowOptions {
  readonly engine?: LaunchedEngine;
  /** Install a SIGINT handler (the real CLI; not in-process tests). */
  readonly handleSigint?: boolean;
  /** Minimum time between plain progress lines when stdout is not a terminal. */
  readonly plainIntervalMs?: number;
}

export function isTty(io: CliIO): boolean {
  return io.stdout.isTTY === true && io.env.TERM !== 'dumb' && !io.env.SRLM_PLAIN;
}

/** Follows a run to its end; returns the CLI exit code (0 completed, 1 failed or stopped, 130 stopped by Ctrl-C). */
export async function followRun(store: RunStore, id: string, io: CliIO, o: FollowOptions = {}): Promise<number> {
  const tty = isTty(io);
  const envInterval = Number(io.env.SRLM_PROGRESS_INTERVAL_MS);
  let reused: Set<string> | undefined;
  try {
    reused = new Set(
      store
        .read(id)
        .stages.filter((s) => s.reuse)
        .map((s) => s.name),
    );
  } catch {
    reused = undefined;
  }
  const progress = new ProgressRenderer({
    reused,
    out: io.stdout,
    tty,
    columns: io.stdout.columns,
    color: tty && !io.env.NO_COLOR,
    plainIntervalMs: o.plainIntervalMs ?? (Number.isFinite(envInterval) && envInterval >= 0 ? envInterval : undefined),
  });
  const watcher = new RunWatcher(store, id, {
    engine: o.engine,
    onEvent: (e, state) => progress.onEvent(e, state),
    onWarning: (w) => progress.onWarning(w),
    onReset: () => progress.line('(events file rewritten; reloading)'),
  }).start();
  const redraw = tty ? setInterval(() => progress.draw(watcher.state), 1000) : undefined;
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted === 1) {
      progress.line('stopping the run (the engine saves a checkpoint first; Ctrl-C again to stop waiting)…');
      stopRun(store, id).catch((err: unknown) => progress.line(`could not stop: ${(err as Error).message}`));
    } else {
      progress.clear();
      io.stderr.write(`\nno longer waiting; the run may still be stopping. See: srlm show ${id}\n`);
      process.exit(130);
    }
  };
  if (o.handleSigint) process.on('SIGINT', onSigint);
  try {
    const result = await watcher.done;
    progress.clear();
    const st = result.state;
    io.stdout.write(`\n${summaryTable(st)}\n\n`);
    const took =
      st.startedMs !== undefined && st.finishedMs !== undefined
        ? ` in ${formatDuration((st.finishedMs - st.startedMs) / 1000)}`
        : '';
    const best = st.bestEval();
    if (result.status === 'completed') {
      io.stdout.write(
        `run ${id} completed${took}${best !== undefined ? `; best accuracy ${formatNumber(best)}` : ''}\n`,
      );
      return 0;
    }
    const why = st.finishMessage ?? st.errors.last()?.message ?? '';
    const firstLine = why.split('\n')[0] ?? '';
    io.stdout.write(`run ${id} ${result.status}${firstLine ? `: ${firstLine}` : ''}\n`);
    if (result.status === 'failed') {
      const err = st.errors.last();
      if (err && err.message.includes('\n')) io.stdout.write(`${err.message.split('\n').slice(1).join('\n')}\n`);
      if (err?.traceback) io.stdout.write(`${err.traceback.trimEnd()}\n`);
    }
    io.stdout.write(`the engine log: srlm logs ${id}; continue from the last checkpoint: srlm resume ${id}\n`);
    return interrupted > 0 ? 130 : 1;
  } finally {
    if (redraw) clearInterval(redraw);
    if (o.handleSigint) process.off('SIGINT', onSigint);
    await watcher.close();
  }
}

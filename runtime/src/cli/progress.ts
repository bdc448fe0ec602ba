// Live terminal progress for `srlm run`, `resume` and `watch`. Hand-written rather than a progress-bar library:
// what it shows is one status line redrawn in place (stage, step/total, loss or reward, ETA) with permanent
// lines for stage boundaries, evals and problems, and plain timestamped lines when stdout is not a terminal
// (CI logs, pipes). The libraries we looked at draw bars, not this mix, and pull in dependencies for ~100 lines.
import type { AnyEvent, LineWarning } from '../events/lines';
import { evalColumns, scoreEntries } from '../events/evalMetrics';
import type { RunState, StageState } from '../events/state';
import type { RunStartedEvent } from '../events/types';
import { formatDuration, formatNumber, table } from './runArgs';

export interface ProgressOptions {
  readonly out: NodeJS.WritableStream;
  /** Redraw one status line in place (a terminal); otherwise print plain lines. */
  readonly tty: boolean;
  readonly columns?: number;
  readonly color?: boolean;
  /** Minimum time between plain progress lines (default 10 s). */
  readonly plainIntervalMs?: number;
  readonly now?: () => number;
  /** Stages the plan reuses from the stage cache: their stage_started is not announced as training. */
  readonly reused?: ReadonlySet<string>;
}

/** The metric a stage is judged by while it trains. */
export function headlineMetric(stage: StageState): string {
  if (stage.kind === 'rl' && stage.metrics.has('reward')) return 'reward';
  return 'loss';
}

export function stageIndex(state: RunState, stage: StageState): string {
  return `[${state.stages.indexOf(stage) + 1}/${state.stages.length}]`;
}

export function statusLine(state: RunState, now: number): string {
  const s = state.currentStage;
  if (!s) {
    if (state.status === 'pending') return 'waiting for the engine to start…';
    return state.status === 'running' ? 'preparing the first stage…' : `run ${state.status}`;
  }
  const parts = [`${stageIndex(state, s)} ${s.name}${s.kind ? ` (${s.kind})` : ''}`];
  parts.push(s.totalSteps ? `step ${s.step}/${s.totalSteps}` : `step ${s.step}`);
  if (s.fraction !== undefined) parts.push(`${Math.floor(s.fraction * 100)}%`);
  const metric = headlineMetric(s);
  const v = s.latest(metric);
  if (v !== undefined) parts.push(`${metric} ${formatNumber(v)}`);
  const eta = s.etaSeconds;
  if (eta !== undefined) {
    // The ETA was computed at the last event; a silent engine (a long eval) makes it stale, so count down.
    const since = state.lastEventMs !== undefined ? Math.max(0, (now - state.lastEventMs) / 1000) : 0;
    parts.push(`ETA ${formatDuration(Math.max(0, eta - since))}`);
  }
  if (s.status === 'running' && s.step === 0 && s.startedMs !== undefined)
    parts.push(`starting ${formatDuration((now - s.startedMs) / 1000)}`);
  return parts.join('  ');
}

const C = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

export class ProgressRenderer {
  private lastPlain = 0;
  private drawn = false;
  private lastDraw = 0;
  private readonly now: () => number;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? Date.now;
  }

  private paint(code: keyof typeof C, text: string): string {
    return this.o.color ? `${C[code]}${text}${C.reset}` : text;
  }

  /** Prints a permanent line (above the status line on a terminal). */
  line(text: string): void {
    if (this.o.tty) {
      this.clear();
      this.o.out.write(`${text}\n`);
    } else {
      this.o.out.write(`${new Date(this.now()).toISOString().slice(11, 19)} ${text}\n`);
    }
  }

  onEvent(e: AnyEvent, state: RunState): void {
    const ev = e as AnyEvent & Record<string, unknown>;
    const stage = typeof ev.stage === 'string' ? state.findStage(ev.stage) : undefined;
    switch (e.type) {
      case 'run_started':
        this.line(
          `${ev.resume ? 'resumed' : 'started'} ${state.pipeline ?? 'pipeline'}: ${state.stages.length} stage${state.stages.length === 1 ? '' : 's'}${typeof ev.device === 'string' ? ` on ${ev.device}${cpuThreads(e as RunStartedEvent)}` : ''}`,
        );
        break;
      case 'stage_started':
        if (stage && !this.o.reused?.has(stage.name))
          this.line(
            `${stageIndex(state, stage)} ${stage.name} (${stage.kind ?? '?'}): ${typeof ev.resumed_from_step === 'number' && ev.resumed_from_step > 0 ? `resuming at step ${ev.resumed_from_step}` : 'started'}${stage.totalSteps ? `, ${stage.totalSteps} steps` : ''}`,
          );
        break;
      case 'stage_finished':
        if (stage) {
          const took =
            stage.startedMs !== undefined && stage.finishedMs !== undefined
              ? ` in ${formatDuration((stage.finishedMs - stage.startedMs) / 1000)}`
              : '';
          if (stage.status === 'cached')
            this.line(this.paint('green', `${stageIndex(state, stage)} ${stage.name}: reused from the stage cache`));
          else if (stage.status === 'completed')
            this.line(this.paint('green', `${stageIndex(state, stage)} ${stage.name}: done${took}`));
          else
            this.line(
              this.paint(
                stage.status === 'failed' ? 'red' : 'yellow',
                `${stageIndex(state, stage)} ${stage.name}: ${stage.status}${took}`,
              ),
            );
        }
        break;
      case 'eval': {
        // The scores; timings and lengths stay in `srlm show --json` and the dashboard.
        const all = (ev.metrics as Record<string, number | null>) ?? {};
        const scores = scoreEntries(all);
        const metrics = (scores.length > 0 ? scores : Object.entries(all))
          .map(([k, v]) => `${k} ${formatNumber(v)}`)
          .join(', ');
        const who = typeof ev.stage === 'string' ? ev.stage : 'init model';
        this.line(
          `  eval ${String(ev.eval ?? '')} ${ev.when === 'before' ? 'before' : 'after'} ${who}${typeof ev.step === 'number' && ev.when === 'during' ? ` at step ${ev.step}` : ''}: ${metrics}`,
        );
        break;
      }
      case 'warning':
        this.line(this.paint('yellow', `warning: ${String(ev.message)}`));
        if (typeof ev.hint === 'string') this.line(this.paint('yellow', `  hint: ${ev.hint}`));
        break;
      case 'error':
        this.line(this.paint('red', `error: ${String(ev.message)}`));
        break;
      case 'metrics':
        if (!this.o.tty) this.maybePlainProgress(state);
        // At most ten redraws a second: a fast stage emits hundreds of metrics events a second.
        else if (this.now() - this.lastDraw >= 100) this.draw(state);
        return;
      default:
        break;
    }
    this.draw(state);
  }

  onWarning(w: LineWarning): void {
    this.line(this.paint('yellow', `warning: ${w.file}:${w.line}: ${w.message}`));
  }

  /** Redraws the status line (call on a timer so the ETA counts down between events). */
  draw(state: RunState): void {
    if (!this.o.tty) return;
    // A pseudo-terminal without a window size reports 0 columns: assume a common width rather than 20.
    const width = Math.max(20, (this.o.columns || 100) - 1);
    let text = statusLine(state, this.now());
    if (text.length > width) text = `${text.slice(0, width - 1)}…`;
    this.o.out.write(`\r\x1b[2K${this.paint('dim', '▸')} ${text}`);
    this.drawn = true;
    this.lastDraw = this.now();
  }

  clear(): void {
    if (this.drawn) this.o.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  private maybePlainProgress(state: RunState): void {
    const now = this.now();
    if (now - this.lastPlain < (this.o.plainIntervalMs ?? 10_000)) return;
    this.lastPlain = now;
    this.line(statusLine(state, now));
  }
}

/** The end-of-run table: one row per stage with its status, steps, time, last headline metric and the latest
 * score metrics of each eval block (`test/avg@8` columns when the run has several blocks). */
export function summaryTable(state: RunState): string {
  const cols = evalColumns(state.stages.flatMap((s) => s.latestEvals));
  const rows = state.stages.map((s) => {
    const metric = headlineMetric(s);
    const took =
      s.startedMs !== undefined && s.finishedMs !== undefined ? (s.finishedMs - s.startedMs) / 1000 : undefined;
    const latest = s.latestEvals;
    return [
      s.name,
      s.kind ?? '-',
      s.status,
      s.status === 'cached' ? '-' : s.totalSteps ? `${s.step}/${s.totalSteps}` : String(s.step),
      s.status === 'cached' ? '-' : formatDuration(took),
      s.latest(metric) !== undefined ? `${metric} ${formatNumber(s.latest(metric))}` : '-',
      ...cols.map((c) => formatNumber(latest.find((e) => e.name === c.eval)?.metrics[c.metric])),
    ];
  });
  return table(['stage', 'kind', 'status', 'steps', 'time', 'last', ...cols.map((c) => c.label)], rows);
}

/** ` (2 threads, gradients on 1)` for a CPU run (cpu_threads.py); nothing on a GPU. */
function cpuThreads(e: RunStartedEvent): string {
  const n = e.cpu_threads;
  if (typeof n !== 'number') return '';
  const grad = e.gradient_threads;
  return ` (${n} thread${n === 1 ? '' : 's'}${typeof grad === 'number' && grad !== n ? `, gradients on ${grad}` : ''})`;
}

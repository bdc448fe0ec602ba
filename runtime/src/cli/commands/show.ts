// `srlm show RUN`: one run in detail: stages with steps, time, last metrics, evals and checkpoints; problems.
import type { CliCommand, CliIO } from '../command';
import { reconcileRun } from '../../supervisor/control';
import { loadRunState } from '../../store/runSummary';
import { compareMetrics, describeSampling, isScoreMetric, scoreEntries } from '../../events/evalMetrics';
import type { EvalRecord, RunState } from '../../events/state';
import type { LineWarning } from '../../events/lines';
import { summaryTable } from '../progress';
import { formatDuration, formatNumber, formatWhen, locateRun, parse, STORE_OPTIONS, STORE_USAGE } from '../runArgs';

const usage = `usage: srlm show RUN [options]

Shows one run: its stages (status, steps, time, last metric, the latest scores of each eval block), how each
eval decoded (greedy accuracy; avg@K, pass@K, maj@K from how many samples at what temperature and top_p),
final checkpoints, and any warnings or errors. RUN is a run id, a unique part of one (e.g. the pipeline name),
'last', or the path of a run folder.

options:
${STORE_USAGE}
  --json                print the run record and stage summaries as JSON`;

/** One line per eval block: how many prompts it scored and how its metrics were decoded. */
function evalLegend(st: RunState): string[] {
  const last = new Map<string, EvalRecord>();
  for (const e of [...st.baselineEvals, ...st.stages.flatMap((s) => s.evals)]) if (e.name) last.set(e.name, e);
  return [...last].map(([name, e]) => {
    const metrics = Object.keys(e.metrics).filter(isScoreMetric).sort(compareMetrics);
    const greedy = metrics.includes('accuracy') ? ['accuracy greedy'] : [];
    const sampled = metrics.filter((m) => m !== 'accuracy');
    const how = sampled.length > 0 && e.sampling ? [`${sampled.join(', ')} from ${describeSampling(e.sampling)}`] : [];
    return `${name}: ${e.n ?? '?'} prompts${[...greedy, ...how].map((x) => `; ${x}`).join('')}`;
  });
}

export const showCommand: CliCommand = {
  name: 'show',
  summary: 'show one run: stages, metrics, evals, checkpoints, errors',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { ...STORE_OPTIONS, json: { type: 'boolean' } },
      { min: 1, max: 1, what: 'the run (id, part of one, or last)' },
    );
    const located = locateRun(io, values.runs, positionals[0]!, 'show');
    if (!located) return 1;
    const { store, id } = located;
    const rec = await reconcileRun(store, id);
    const warnings: LineWarning[] = [];
    const st = loadRunState(store, id, warnings);
    if (values.json) {
      const stages = st.stages.map((s) => ({
        name: s.name,
        kind: s.kind,
        hash: s.hash,
        status: s.status,
        step: s.step,
        total_steps: s.totalSteps,
        checkpoint: s.finalCheckpoint ?? null,
        metrics: Object.fromEntries([...s.metrics].map(([k, m]) => [k, m.lastValue])),
        evals: s.evals,
      }));
      io.stdout.write(`${JSON.stringify({ run: rec, stages, warnings }, null, 2)}\n`);
      return 0;
    }
    const took =
      st.startedMs !== undefined
        ? formatDuration(((st.finishedMs ?? st.lastEventMs ?? st.startedMs) - st.startedMs) / 1000)
        : '-';
    const lines = [
      `run       ${rec.id}`,
      `pipeline  ${rec.pipeline} (${rec.source})`,
      `status    ${rec.status}${rec.message ? `: ${rec.message.split('\n')[0]}` : ''}`,
      `started   ${formatWhen(rec.created)}   duration ${took}   attempts ${rec.attempts}`,
      `folder    ${store.dir(id)}`,
      '',
      summaryTable(st),
    ];
    if (st.baselineEvals.length > 0) {
      lines.push('', 'before training:');
      for (const e of st.baselineEvals) {
        const scores = scoreEntries(e.metrics);
        const shown = scores.length > 0 ? scores : Object.entries(e.metrics);
        lines.push(`  ${e.name ?? 'eval'}: ${shown.map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ')}`);
      }
    }
    const evals = evalLegend(st);
    if (evals.length > 0) lines.push('', 'evals:', ...evals.map((l) => `  ${l}`));
    const ckpts = st.stages.filter((s) => s.finalCheckpoint);
    if (ckpts.length > 0) {
      lines.push('', 'checkpoints:');
      for (const s of ckpts) lines.push(`  ${s.name}${s.cached ? ' (reused)' : ''}: ${s.finalCheckpoint}`);
    }
    const problems = [...st.warnings.toArray(), ...st.errors.toArray()];
    if (problems.length > 0 || warnings.length > 0) {
      lines.push('', 'problems:');
      for (const w of warnings) lines.push(`  warning: ${w.file}:${w.line}: ${w.message}`);
      for (const m of problems)
        lines.push(`  ${m.kind}${m.stage ? ` [${m.stage}]` : ''}: ${m.message.split('\n').join('\n    ')}`);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

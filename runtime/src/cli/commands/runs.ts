// `srlm runs`: the run list (status, pipeline, start, duration, best eval, final eval scores), newest last.
import type { CliCommand, CliIO } from '../command';
import { compactEvals } from '../../events/evalMetrics';
import { listRunsReconciled } from '../../supervisor/control';
import {
  formatDuration,
  formatNumber,
  formatWhen,
  parse,
  STORE_OPTIONS,
  STORE_USAGE,
  storeFor,
  table,
} from '../runArgs';

const usage = `usage: srlm runs [options]

Lists the runs in the runs folder, oldest first, with status, pipeline, start time, duration, best eval
accuracy and the final eval's scores (accuracy, avg@K, pass@K, maj@K of the last evaluated stage, per eval
block). A run whose engine died without finishing is marked failed here.

options:
${STORE_USAGE}
  --json                print the summaries as JSON`;

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'list runs with status, duration and best eval',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parse(argv, { ...STORE_OPTIONS, json: { type: 'boolean' } }, { min: 0, max: 0, what: '' });
    const store = storeFor(io, values.runs);
    const runs = await listRunsReconciled(store);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.stdout.write(`no runs in ${store.root}\n`);
      return 0;
    }
    const rows = runs.map((r) => [
      r.id,
      r.pipeline,
      r.status,
      formatWhen(r.created),
      formatDuration(r.durationS),
      `${r.stages.filter((s) => s.status === 'completed' || s.status === 'cached').length}/${r.stages.length}`,
      r.best ? `${r.best.metric} ${formatNumber(r.best.value)}` : '-',
      r.final ? compactEvals(r.final, formatNumber) || '-' : '-',
    ]);
    const header = ['run', 'pipeline', 'status', 'started', 'duration', 'stages', 'best', 'final eval'];
    io.stdout.write(`${table(header, rows)}\n`);
    return 0;
  },
};

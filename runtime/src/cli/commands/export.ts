// `srlm export RUN --to tensorboard|wandb|mlflow|csv`: replays a finished run's events into a metric back-end, so
// runs that did not report live join the rest of a team's experiments (docs/results.md).
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import { ENGINE_OPTIONS, ENGINE_USAGE, printResult, runEngineCommand } from '../engineResults';
import { parse } from '../runArgs';

const TARGETS = ['tensorboard', 'wandb', 'mlflow', 'csv'] as const;

const usage = `usage: srlm export RUN --to tensorboard|wandb|mlflow|csv [options]

Replays the run's events (metrics, evals, samples, the pipeline and plan) into a back-end, with the names and
steps a live run reports: tensorboard writes event files (default <run>/tensorboard), csv one row per metric
point (default <run>/metrics.csv), wandb and mlflow a run in the pipeline's project (their usual environment
variables apply: WANDB_MODE, WANDB_API_KEY, MLFLOW_TRACKING_URI).

options:
  --to BACKEND          tensorboard, wandb, mlflow or csv
  --out PATH            folder (tensorboard) or file (csv) to write instead of the default
${ENGINE_USAGE}`;

export const exportCommand: CliCommand = {
  name: 'export',
  summary: "replay a run's metrics into TensorBoard, W&B, MLflow or CSV",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { ...ENGINE_OPTIONS, to: { type: 'string' }, out: { type: 'string' } },
      { min: 1, max: 1, what: 'the run' },
    );
    const to = values.to;
    if (!to) throw new UsageError('missing --to');
    if (!(TARGETS as readonly string[]).includes(to))
      throw new UsageError(`--to must be one of ${TARGETS.join(', ')}, got '${to}'`);
    const args = ['--to', to, ...(values.out ? ['--out', values.out] : [])];
    const result = await runEngineCommand(io, {
      command: 'export',
      run: positionals[0]!,
      runs: values.runs,
      python: values.python,
      args,
    });
    return printResult(io, result, values.json, (r) => {
      const hint = to === 'tensorboard' ? ` (view: tensorboard --logdir ${String(r.location)})` : '';
      return `exported ${String(r.points)} metric points of ${String(r.run)} to ${to}: ${String(r.location)}${hint}`;
    });
  },
};

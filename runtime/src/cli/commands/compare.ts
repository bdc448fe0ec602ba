// `srlm compare RUN…`: the comparison table of finished runs (the one a study prints), or of a kept study.
import * as path from 'node:path';
import { UsageError, type CliCommand, type CliIO } from '../command';
import { reconcileRun } from '../../supervisor/control';
import {
  buildComparison,
  COMPARISON_FORMATS,
  formatComparison,
  listStudies,
  newStudyId,
  pickMetrics,
  readStudy,
  UnknownMetricError,
  withMetrics,
  writeStudy,
  type ComparisonFormat,
  type ComparisonTable,
  type ComparedRun,
  type StoredStudy,
} from '../../study/table';
import { locateRun, parse, STORE_OPTIONS, STORE_USAGE, storeFor } from '../runArgs';

const usage = `usage: srlm compare RUN... [options]
       srlm compare --study ID [options]

Compares runs in one table: one row per run, its eval metrics before the first stage and after each stage,
its final metrics and its time; stages reused from the stage cache are marked. RUN is a run id, a unique part
of one (e.g. the pipeline name), 'last', or the path of a run folder. With --study, prints a study kept by
'srlm run' of a .srlm file that declares variants (ID: its id, a unique start of one, its study name for the
newest run of it, or 'last').

options:
${STORE_USAGE}
  --format FORMAT       text (default), markdown or json
  --metric NAME         a column to show, repeatable: "eval/metric" or a metric of every eval ("accuracy",
                        "avg@8"); default: every quality metric the runs report
  --study ID            print a kept study instead of comparing runs
  --keep NAME           also keep this comparison as a study named NAME (the editor's Study view lists it)`;

/** A study or metric that is not there: one line on stderr, exit 1. */
class CompareError extends Error {}

/** The kept study `name` names: its id, a unique start of one, or its study name / `last` for the newest. */
function resolveStudy(runsDir: string, name: string): StoredStudy {
  const all = listStudies(runsDir);
  if (all.length === 0) throw new CompareError(`no kept studies in ${path.join(path.dirname(runsDir), 'studies')}`);
  const exact = all.find((s) => s.id === name);
  const byName = all.filter((s) => s.study === name);
  const prefixed = all.filter((s) => s.id.startsWith(name));
  const pick =
    name === 'last' || name === 'latest'
      ? all[all.length - 1]
      : (exact ?? (byName.length > 0 ? byName[byName.length - 1] : prefixed.length === 1 ? prefixed[0] : undefined));
  if (!pick) {
    const why = prefixed.length > 1 ? `matches ${prefixed.length} studies` : 'matches no kept study';
    throw new CompareError(`'${name}' ${why} (kept: ${all.map((s) => s.id).join(', ')})`);
  }
  // listStudies skips damaged files; reading this one names what is wrong with it.
  return readStudy(runsDir, pick.id)!;
}

async function compareRuns(io: CliIO, runsOption: string | undefined, names: readonly string[]) {
  const runs: ComparedRun[] = [];
  let missing = 0;
  for (const name of names) {
    const located = locateRun(io, runsOption, name, 'compare');
    if (!located) {
      missing++;
      continue;
    }
    // A run whose engine died unseen is still 'running' in its record until someone looks.
    await reconcileRun(located.store, located.id);
    runs.push({ id: located.id, store: located.store });
  }
  return missing > 0 ? undefined : runs;
}

export const compareCommand: CliCommand = {
  name: 'compare',
  summary: 'compare runs (or a kept study) in one table: evals before/after each stage, time',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      {
        ...STORE_OPTIONS,
        format: { type: 'string' },
        metric: { type: 'string', multiple: true },
        study: { type: 'string' },
        keep: { type: 'string' },
      },
      { min: 0, max: Infinity, what: 'the runs to compare' },
    );
    const format = (values.format ?? 'text') as ComparisonFormat;
    if (!COMPARISON_FORMATS.includes(format))
      throw new UsageError(`--format: '${values.format}' is not one of ${COMPARISON_FORMATS.join(', ')}`);
    if (values.study !== undefined && positionals.length > 0) throw new UsageError('give runs or --study, not both');
    if (values.study === undefined && positionals.length === 0) throw new UsageError('missing the runs to compare');
    if (values.study !== undefined && values.keep !== undefined)
      throw new UsageError('--keep keeps a comparison of runs; a study is kept already');

    let runsDir = storeFor(io, values.runs).root;
    let table: ComparisonTable;
    try {
      if (values.study !== undefined) {
        table = resolveStudy(runsDir, values.study);
      } else {
        const runs = await compareRuns(io, values.runs, positionals);
        if (!runs) return 1;
        // Runs given as folders may live in several runs folders; a kept comparison goes beside the first.
        const store = runs[0]!.store!;
        runsDir = store.root;
        table = buildComparison(store, runs, values.keep !== undefined ? { study: values.keep } : {});
      }
      if (values.metric) {
        const wanted = values.metric.flatMap((m) => m.split(',')).map((m) => m.trim());
        table = withMetrics(table, pickMetrics(table, wanted.filter(Boolean)));
      }
    } catch (err) {
      if (err instanceof CompareError || err instanceof UnknownMetricError) {
        io.stderr.write(`srlm compare: ${err instanceof UnknownMetricError ? '--metric: ' : ''}${err.message}\n`);
        return 1;
      }
      throw err;
    }
    if (values.keep !== undefined) {
      const id = newStudyId(values.keep);
      const file = writeStudy(runsDir, { ...table, id, variants: table.rows.map((r) => r.variant) });
      io.stderr.write(`kept as study ${id} (${file})\n`);
    }
    io.stdout.write(formatComparison(table, format));
    return 0;
  },
};

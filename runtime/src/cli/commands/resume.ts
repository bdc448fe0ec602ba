// `srlm resume RUN`: relaunch a failed or stopped run's engine with --resume; it continues the interrupted
// stage from its last checkpoint, and finished stages are not repeated.
import type { CliCommand, CliIO } from '../command';
import { resumeRun, RunStateError } from '../../supervisor/control';
import { followRun } from '../follow';
import { parse, locateRun, STORE_OPTIONS, STORE_USAGE } from '../runArgs';
import { engineFor } from './run';

const usage = `usage: srlm resume RUN [options]

Continues a failed or stopped run from its last checkpoint, in the same run folder, with live progress.
Steps after that checkpoint are trained again and recorded once.

options:
${STORE_USAGE}
  --detach              start the engine and return
  --python PATH         Python with the engine (default: as for srlm run)`;

export const resumeCommand: CliCommand = {
  name: 'resume',
  summary: 'continue a failed or stopped run from its last checkpoint',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { ...STORE_OPTIONS, detach: { type: 'boolean' }, python: { type: 'string' } },
      { min: 1, max: 1, what: 'the run to resume' },
    );
    const located = locateRun(io, values.runs, positionals[0]!, 'resume');
    if (!located) return 1;
    const { store, id } = located;
    const engine = await engineFor(io, 'resume', values.python, [store.root]);
    if (!engine) return 1;
    let launched;
    try {
      const r = await resumeRun(store, id, { python: engine.python, engineVersion: engine.engineVersion, env: io.env });
      launched = r.engine;
      io.stdout.write(
        r.point.stage
          ? `resuming ${id}: stage ${r.point.stage} from ${r.point.step > 0 ? `step ${r.point.step}` : 'its start (no step checkpoint yet)'}\n`
          : `resuming ${id}\n`,
      );
    } catch (err) {
      if (err instanceof RunStateError) {
        io.stderr.write(`srlm resume: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    if (values.detach) {
      io.stdout.write(`engine started in the background (pid ${launched.pid}); follow: srlm watch ${id}\n`);
      return 0;
    }
    return followRun(store, id, io, { engine: launched, handleSigint: io.stdout === process.stdout });
  },
};

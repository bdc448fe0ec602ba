// `srlm stop RUN`: SIGTERM to the engine (it checkpoints at the next step and finishes "stopped"), SIGKILL after
// the timeout.
import type { CliCommand, CliIO } from '../command';
import { RunStateError, stopRun } from '../../supervisor/control';
import { parse, locateRun, STORE_OPTIONS, STORE_USAGE } from '../runArgs';
import { UsageError } from '../command';

const usage = `usage: srlm stop RUN [options]

Stops a running run: the engine is asked to stop (it saves a checkpoint at the next step boundary, so
srlm resume RUN continues from there) and is killed if it has not stopped within the timeout.

options:
${STORE_USAGE}
  --timeout SECONDS     grace period before the engine is killed (default 30)`;

export const stopCommand: CliCommand = {
  name: 'stop',
  summary: 'stop a running run (checkpoint first, kill after a timeout)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { ...STORE_OPTIONS, timeout: { type: 'string' } },
      { min: 1, max: 1, what: 'the run to stop' },
    );
    const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout < 0)
      throw new UsageError(`--timeout must be a number of seconds, got '${values.timeout}'`);
    const located = locateRun(io, values.runs, positionals[0]!, 'stop');
    if (!located) return 1;
    const { store, id } = located;
    io.stdout.write(`stopping ${id}…\n`);
    try {
      const r = await stopRun(store, id, timeout * 1000);
      io.stdout.write(
        r.forced
          ? `run ${id} killed after ${timeout}s without stopping; resume continues from its last checkpoint\n`
          : `run ${id} ${r.record.status}\n`,
      );
      return 0;
    } catch (err) {
      if (err instanceof RunStateError) {
        io.stderr.write(`srlm stop: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

// `srlm watch RUN`: re-attach to a run (live progress if it is running; its summary if it has ended).
import type { CliCommand, CliIO } from '../command';
import { followRun } from '../follow';
import { parse, locateRun, STORE_OPTIONS, STORE_USAGE } from '../runArgs';

const usage = `usage: srlm watch RUN [options]

Attaches to a run started elsewhere (srlm run --detach, the editor, another terminal) and shows its live
progress until it ends; Ctrl-C stops the run, as with srlm run. For a run that has ended, prints its summary.

options:
${STORE_USAGE}`;

export const watchCommand: CliCommand = {
  name: 'watch',
  summary: 'attach to a run and show its live progress',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(argv, { ...STORE_OPTIONS }, { min: 1, max: 1, what: 'the run to watch' });
    const located = locateRun(io, values.runs, positionals[0]!, 'watch');
    if (!located) return 1;
    const { store, id } = located;
    return followRun(store, id, io, { handleSigint: io.stdout === process.stdout });
  },
};

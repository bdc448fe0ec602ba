// `srlm logs RUN [-f]`: the engine's stdout and stderr (engine.log); with -f, follows it until the run ends.
import * as fs from 'node:fs';
import type { CliCommand, CliIO } from '../command';
import { engineAlive, reconcileRun } from '../../supervisor/control';
import { parse, locateRun, STORE_OPTIONS, STORE_USAGE } from '../run-common';
import { UsageError } from '../command';

const usage = `usage: srlm logs RUN [options]

Prints the engine log of a run (its stdout and stderr: tracebacks, library warnings).

options:
${STORE_USAGE}
  -f, --follow          keep printing new output until the run ends
  -n, --lines N         only the last N lines`;

function readFrom(file: string, offset: number): { text: Buffer; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { text: Buffer.alloc(0), size: offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < offset) offset = 0; // replaced
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    return { text: buf, size };
  } finally {
    fs.closeSync(fd);
  }
}

export const logsCommand: CliCommand = {
  name: 'logs',
  summary: "print a run's engine log (-f to follow)",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { ...STORE_OPTIONS, follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } },
      { min: 1, max: 1, what: 'the run' },
    );
    const located = locateRun(io, values.runs, positionals[0]!, 'logs');
    if (!located) return 1;
    const { store, id } = located;
    const file = store.file(id, 'log');
    let { text, size } = readFrom(file, 0);
    if (values.lines !== undefined) {
      const n = Number(values.lines);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--lines must be a whole number, got '${values.lines}'`);
      const lines = text.toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      text = Buffer.from(lines.slice(-n).join('\n') + (lines.length > 0 ? '\n' : ''));
    }
    io.stdout.write(text);
    if (!values.follow) return 0;
    for (;;) {
      const rec = await reconcileRun(store, id);
      const alive = engineAlive(rec) || rec.status === 'starting';
      const next = readFrom(file, size);
      if (next.text.length > 0) io.stdout.write(next.text);
      size = next.size;
      if (!alive) return 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  },
};

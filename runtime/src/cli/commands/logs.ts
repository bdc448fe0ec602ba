// `srlm logs RUN [-f]`: the engine's stdout and stderr (engine.log); with -f, follows it until the run ends.
import * as fs from 'node:fs';
import type { CliCommand, CliIO } from '../command';
import { engineAlive, reconcileRun } from '../../supervisor/control';
import { parse, locateRun, STORE_OPTIONS, STORE_USAGE } from '../runArgs';
import { UsageError } from '../command';
import { lastLinesOffset } from '../../store/fileIo';

const usage = `usage: srlm logs RUN [options]

Prints the engine log of a run (its stdout and stderr: tracebacks, library warnings).

options:
${STORE_USAGE}
  -f, --follow          keep printing new output until the run ends
  -n, --lines N         only the last N lines`;

/** Writes the file from `offset` to its current end in fixed-size pieces; returns the new offset. */
function copyFrom(file: string, offset: number, out: NodeJS.WritableStream, lines?: number): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return offset;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < offset) offset = 0; // replaced
    if (lines !== undefined) offset = Math.max(offset, lastLinesOffset(fd, size, lines));
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size - offset)));
    while (offset < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
      if (n === 0) break;
      // A copy: the stream may hold on to what it is given while `buf` is reused for the next piece.
      out.write(Buffer.from(buf.subarray(0, n)));
      offset += n;
    }
    return offset;
  } finally {
    fs.closeSync(fd);
  }
}

const CHUNK = 1 << 20;

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
    let lines: number | undefined;
    if (values.lines !== undefined) {
      lines = Number(values.lines);
      if (!Number.isInteger(lines) || lines < 0)
        throw new UsageError(`--lines must be a whole number, got '${values.lines}'`);
    }
    let size = copyFrom(file, 0, io.stdout, lines);
    if (!values.follow) return 0;
    for (;;) {
      const rec = await reconcileRun(store, id);
      const alive = engineAlive(rec) || rec.status === 'starting';
      size = copyFrom(file, size, io.stdout);
      if (!alive) return 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  },
};

// Benchmark: `srlm logs RUN -n 5` on a 1 GB engine.log, as a process (the bundled CLI, node dist/srlm.js), against
// the same command on a 1 MB log: wall time and peak RSS. Target: < 100 ms and flat memory (the 1 GB log costs
// what the 1 MB one does). The logs are generated in a temporary folder and deleted afterwards.
// Usage: npm run --silent build && node --import tsx bench/runtime/logs-tail.ts [--gb N] [--repeats N]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { RunStore } from '../../runtime/src/store/runStore';
import { createRun } from '../../runtime/src/supervisor/control';
import { main } from '../../runtime/src/cli/main';
import { Writable } from 'node:stream';

const { values } = parseArgs({ options: { gb: { type: 'string' }, repeats: { type: 'string' } } });
const gb = Number(values.gb ?? 1);
const repeats = Number(values.repeats ?? 7);
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'srlm.js');
if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npm run --silent build first`);

/** Writes `bytes` of engine-log-like lines (a training step line, now and then a long warning). */
function writeLog(file: string, bytes: number): void {
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++)
    lines.push(
      i % 97 === 0
        ? `warning: reward printed ${'x'.repeat(900)}`
        : `student step ${i}/2400 loss 0.${String(i * 7919).padStart(6, '0')} lr 1.0e-3 tokens/s 5120`,
    );
  const block = Buffer.from(`${lines.join('\n')}\n`);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) fs.writeSync(fd, block);
    fs.writeSync(fd, 'the last line\n');
  } finally {
    fs.closeSync(fd);
  }
}

/** One `srlm logs -n 5` process: wall ms, peak RSS (KiB, from /usr/bin/time) and its output. */
function measure(store: RunStore, id: string): { ms: number; rssKiB: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, cli, 'logs', id, '-n', '5', '--runs', store.root],
    {
      encoding: 'utf8',
    },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`srlm logs failed: ${r.stderr}`);
  return { ms, rssKiB: Number(r.stderr.trim().split('\n').pop()), out: r.stdout };
}

/** The command alone, in this process (no Node start-up, no bundle load): wall ms and heap growth. */
async function inProcess(store: RunStore, id: string): Promise<{ ms: number; heapKiB: number }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const code = await main(['logs', id, '-n', '5', '--runs', store.root], {
    stdout: sink as unknown as NodeJS.WriteStream,
    stderr: process.stderr,
    cwd: store.root,
    env: {},
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = process.memoryUsage();
  if (code !== 0 || !out.endsWith('the last line\n')) throw new Error('srlm logs failed in process');
  return { ms, heapKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-bench-logs-'));
  try {
    const store = new RunStore(path.join(dir, 'runs'));
    const plan = { schema_version: 1, pipeline: 'bench', models: {}, datasets: {}, stages: [], evals: {} };
    const rows: string[] = [];
    for (const [label, bytes] of [
      ['1 MB', 1 << 20],
      [`${gb} GB`, gb * 1024 ** 3],
    ] as const) {
      const id = createRun({ store, plan, source: '/bench.srlm', options: {}, minFreeBytes: 0 }).id;
      const t0 = Date.now();
      writeLog(store.file(id, 'log'), bytes);
      const size = fs.statSync(store.file(id, 'log')).size;
      const runs = Array.from({ length: repeats }, () => measure(store, id));
      if (!runs[0]!.out.endsWith('the last line\n') || runs[0]!.out.split('\n').length !== 6)
        throw new Error(`unexpected output: ${JSON.stringify(runs[0]!.out.slice(-200))}`);
      const own: { ms: number; heapKiB: number }[] = [];
      for (let i = 0; i < repeats; i++) own.push(await inProcess(store, id));
      rows.push(
        `${label.padEnd(6)} log, the command in process: median ${median(own.map((r) => r.ms)).toFixed(2)} ms, ` +
          `heap+external growth median ${median(own.map((r) => r.heapKiB)).toFixed(0)} KiB`,
      );
      rows.push(
        `${label.padEnd(6)} log (${(size / 1024 ** 2).toFixed(0)} MiB, written in ${((Date.now() - t0) / 1000).toFixed(1)} s): ` +
          `wall median ${median(runs.map((r) => r.ms)).toFixed(1)} ms (min ${Math.min(...runs.map((r) => r.ms)).toFixed(1)}), ` +
          `peak RSS median ${(median(runs.map((r) => r.rssKiB)) / 1024).toFixed(1)} MiB over ${repeats} runs`,
      );
      fs.rmSync(store.file(id, 'log'));
    }
    // Node's own start-up, for reference: the part of the wall time no reading strategy can remove.
    const bare = Array.from({ length: repeats }, () => {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0']);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    });
    rows.push(`node -e 0 (start-up alone): wall median ${median(bare).toFixed(1)} ms`);
    console.log(rows.join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void run();

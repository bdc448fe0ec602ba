// Benchmark of the language core: median parse, parse+check and format times, and heap growth, for generated
// pipelines of 1,000 and 10,000 lines, wall clock and CPU time (the process's user + system time, which
// includes V8's parallel GC threads). Run: `node --expose-gc --import tsx bench/core/bench.ts [--runs N] [--json]`.
// Targets (docs/BENCHMARKS.md): parse+check of 10,000 lines ≤ 30 ms median, 1,000 lines ≤ 3 ms.
import { analyze, format, parse } from '../../server/src/core';
import { generatePipeline } from './generate';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall-clock and CPU milliseconds of `f`. CPU time is the fairer figure on a shared, loaded machine. */
function time(runs: number, f: () => unknown): { wall: number; cpu: number; cpuMin: number } {
  for (let i = 0; i < Math.min(5, runs); i++) f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    f();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu), cpuMin: Math.min(...cpu) };
}

/**
 * Heap retained by what `f` returns: collected before and after, with the result still referenced. (Without
 * the second collection the figure was whatever garbage happened to be left uncollected, which says more
 * about when the young-generation GC ran than about the document model.)
 */
function heapOf(f: () => unknown): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const keep = f();
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (keep === undefined) throw new Error('nothing to measure');
  return (after - before) / 1048576;
}

const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 30;
const rows: Record<string, number | string>[] = [];
for (const lines of [1000, 10000]) {
  const text = generatePipeline(lines);
  const doc = analyze(text);
  if (doc.diagnostics.some((d) => d.severity !== 'hint'))
    throw new Error(`generated pipeline is not clean: ${doc.diagnostics[0].message}`);
  const p = time(runs, () => parse(text));
  const a = time(runs, () => analyze(text));
  const f = time(runs, () => format(text));
  rows.push({
    lines: text.split('\n').length - 1,
    kib: Math.round(text.length / 1024),
    parse_ms: +p.wall.toFixed(2),
    parse_check_ms: +a.wall.toFixed(2),
    parse_check_cpu_ms: +a.cpu.toFixed(2),
    parse_check_cpu_min_ms: +a.cpuMin.toFixed(2),
    format_ms: +f.wall.toFixed(2),
    heap_mib: +heapOf(() => analyze(text)).toFixed(1),
  });
}
if (args.includes('--json')) console.log(JSON.stringify(rows));
else console.table(rows);

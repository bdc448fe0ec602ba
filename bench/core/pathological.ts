// Benchmark of `srlm check` on pathological generated pipelines: a 20,000-stage chain, a 4,000-stage loop,
// 100,000 flat stages and 20,000 references to unknown names. Each is written to a temporary folder (with the
// dataset file it names) and checked twice, file checks included: in process through the checks `srlm check`
// runs (CPU time, heap growth, the size of the CLI's JSON output), and by the CLI bundle as a process (wall
// time, what a user or CI sees). Run: `npm run --silent build && node --expose-gc --import tsx bench/core/pathological.ts [--json]`.
// Targets (docs/BENCHMARKS.md): chain and loop each under 1 s with bounded output.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkDocument, checkEnvironment, documentOf } from '../../server/src/ide/checks';

const cases: { name: string; stages: number; stage: (i: number, n: number) => string }[] = [
  {
    name: '20,000-stage chain (kd, teacher model)',
    stages: 20_000,
    stage: (i) => `  stage kd s${i} { init = ${i ? `s${i - 1}` : 'm'}  teacher = t  data = d }`,
  },
  {
    name: '4,000-stage loop',
    stages: 4_000,
    stage: (i, n) => `  stage sft s${i} { init = s${(i + 1) % n}  data = d }`,
  },
  { name: '100,000 flat stages', stages: 100_000, stage: (i) => `  stage sft s${i} { init = m  data = d }` },
  { name: '20,000 unknown references', stages: 20_000, stage: (i) => `  stage sft s${i} { init = z${i}  data = d }` },
];

function pipeline(n: number, stage: (i: number, n: number) => string): string {
  const lines = [
    'pipeline p {',
    '  model m { source = "Qwen/Qwen2.5-0.5B" }',
    '  model t { source = "Qwen/Qwen2.5-0.5B" }',
    '  dataset d { path = "d.jsonl"  prompt = "q"  completion = "c"  answer = "a" }',
  ];
  for (let i = 0; i < n; i++) lines.push(stage(i, n));
  lines.push('}');
  return lines.join('\n') + '\n';
}

const cli = path.resolve(__dirname, '../../dist/srlm.js');
const dir = mkdtempSync(path.join(tmpdir(), 'srlm-patho-'));
interface Result {
  name: string;
  bytes: number;
  cpuMs: number;
  heapMiB: number;
  diagnostics: number;
  outputBytes: number;
  cliWallMs: number;
  cliExit: number | null;
}
const results: Result[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
async function main(): Promise<void> {
  writeFileSync(path.join(dir, 'd.jsonl'), '{"q": "1+1", "c": "2", "a": "2"}\n');
  for (const c of cases) {
    const file = path.join(dir, 'p.srlm');
    const text = pipeline(c.stages, c.stage);
    writeFileSync(file, text);
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const c0 = process.cpuUsage();
    const env = await checkEnvironment(process.env, dir);
    const { diagnostics } = await checkDocument(documentOf(file, text), env);
    const json = JSON.stringify(diagnostics.map((d) => ({ file, range: d.range, code: d.code, message: d.message })));
    const cpu = process.cpuUsage(c0);
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'check', '--json', file], { maxBuffer: 1 << 30, timeout: 600_000 });
    results.push({
      name: c.name,
      bytes: text.length,
      cpuMs: (cpu.user + cpu.system) / 1000,
      heapMiB,
      diagnostics: diagnostics.length,
      outputBytes: json.length,
      cliWallMs: performance.now() - t0,
      cliExit: r.status,
    });
  }
}

main()
  .then(() => {
    if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
    else
      for (const r of results)
        console.log(
          `${r.name.padEnd(40)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KiB  check ${r.cpuMs.toFixed(0).padStart(5)} ms CPU` +
            ` (heap +${r.heapMiB.toFixed(0)} MiB)  ${r.diagnostics} diagnostics, ${r.outputBytes} bytes of JSON` +
            `  |  CLI ${r.cliWallMs.toFixed(0)} ms wall, exit ${r.cliExit}`,
        );
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));

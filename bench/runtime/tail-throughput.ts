// Benchmark: tail-and-parse throughput of events.jsonl into the run state model, and peak memory.
// Writes a synthetic 1,000,000-line events file shaped like a long RL run (metrics events with the RL metric
// set, plus checkpoints, evals, samples and logs), then reads it (a) with the one-shot reader and (b) with the
// live tailer, applying every event to a RunState. Target: ≥ 200,000 events/s, memory bounded by the state
// model (points per series), not by the file.
// Usage: node --expose-gc --import tsx bench/runtime/tail-throughput.ts [lines] [file]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventTailer, readEventsFile, RunState } from '../../runtime/src/events';

const lines = Number(process.argv[2] ?? 1_000_000);
const file = process.argv[3] ?? path.join(os.tmpdir(), `srlm-bench-events-${lines}.jsonl`);
const gc = (globalThis as { gc?: () => void }).gc;

function generate(): void {
  if (fs.existsSync(file) && fs.statSync(file).size > 0) return;
  const fd = fs.openSync(file, 'w');
  const t0 = 1_700_000_000;
  const stages = ['sft_warmup', 'kd_distill', 'rl_grpo'];
  const per = Math.floor(lines / stages.length);
  let out: string[] = [];
  let n = 0;
  const emit = (o: object) => {
    out.push(JSON.stringify({ v: 1, time: t0 + n * 0.01, run_id: 'bench', ...o }));
    n++;
    if (out.length >= 10_000) {
      fs.writeSync(fd, `${out.join('\n')}\n`);
      out = [];
    }
  };
  emit({ type: 'run_started', pipeline: 'bench', engine_version: '0.1.0', stages, device: 'cuda', pid: 1 });
  for (const stage of stages) {
    emit({ type: 'stage_started', stage, kind: stage.slice(0, stage.indexOf('_')), total_steps: per });
    for (let step = 1; n < (stages.indexOf(stage) + 1) * per - 2 && n < lines - 2; step++) {
      const k = step % 500;
      if (k === 0)
        emit({ type: 'checkpoint', stage, step, path: `/runs/bench/checkpoints/${stage}/step-${step}`, final: false });
      else if (k === 250)
        emit({
          type: 'eval',
          stage,
          step,
          eval: 'test',
          when: 'during',
          n: 500,
          metrics: { accuracy: 0.5 + step / (4 * per) },
        });
      else if (k === 100)
        emit({
          type: 'samples',
          stage,
          step,
          source: 'rl',
          samples: [
            {
              prompt: 'What is 17 * 23?',
              completion: '<think>17*23=391</think> \\boxed{391}',
              answer: '391',
              reward: 1,
              correct: true,
            },
          ],
        });
      else if (k === 400) emit({ type: 'log', stage, step, level: 'info', message: `step ${step}` });
      else
        emit({
          type: 'metrics',
          stage,
          step,
          total_steps: per,
          metrics: {
            loss: 2 / Math.sqrt(step),
            lr: 1e-6,
            grad_norm: 0.5 + (step % 7) / 10,
            reward: 0.4 + (step % 13) / 40,
            reward_std: 0.2,
            kl: 0.01,
            entropy: 0.7,
            tokens_per_s: 12000 + (step % 100),
            step_time_s: 0.8,
            completion_len_mean: 210.5,
          },
        });
    }
    emit({
      type: 'stage_finished',
      stage,
      status: 'completed',
      cached: false,
      checkpoint: `/runs/bench/checkpoints/${stage}/final`,
    });
  }
  while (n < lines - 1) emit({ type: 'log', level: 'debug', message: 'pad' });
  emit({ type: 'run_finished', status: 'completed', duration_s: lines * 0.01 });
  if (out.length) fs.writeSync(fd, `${out.join('\n')}\n`);
  fs.closeSync(fd);
}

function rate(n: number, secs: number): string {
  return Math.round(n / secs).toLocaleString('en-US');
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function stateBytes(st: RunState): number {
  let b = 0;
  for (const s of st.stages) for (const m of s.metrics.values()) b += m.bytes;
  return b;
}

async function main(): Promise<void> {
  const tg = Date.now();
  generate();
  const size = fs.statSync(file).size;
  console.log(
    `file: ${file}, ${lines.toLocaleString('en-US')} lines, ${mb(size)} (generated/reused in ${Date.now() - tg} ms)`,
  );
  gc?.();
  const base = process.memoryUsage();

  // (a) one-shot reader (srlm show, the run index, re-attaching to a finished run)
  let st = new RunState();
  let peakHeap = 0;
  let count = 0;
  let t = process.hrtime.bigint();
  let c0 = process.cpuUsage();
  const r = readEventsFile(file, (e) => {
    st.apply(e);
    if ((++count & 0xffff) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  });
  let secs = Number(process.hrtime.bigint() - t) / 1e9;
  let cpu = cpuSeconds(c0);
  gc?.();
  const afterA = process.memoryUsage();
  console.log(
    `one-shot: ${r.events.toLocaleString('en-US')} events in ${secs.toFixed(2)} s wall = ${rate(r.events, secs)} events/s; ${cpu.toFixed(2)} s CPU = ${rate(r.events, cpu)} events/s per core; warnings ${r.warnings.length}`,
  );
  console.log(
    `  state model: ${mb(stateBytes(st))} in metric series (${st.stages.reduce((a, s) => a + s.metrics.size, 0)} series); heap retained after GC ${mb(afterA.heapUsed - base.heapUsed)}; peak heap during read ${mb(peakHeap - base.heapUsed)} above baseline`,
  );
  const rl = st.findStage('rl_grpo')!;
  console.log(
    `  rl_grpo loss: ${rl.metrics.get('loss')!.count.toLocaleString('en-US')} raw points in ${rl.metrics.get('loss')!.view().length} stored (stride ${rl.metrics.get('loss')!.stride})`,
  );

  // (b) the live tailer (async reads, the extension's path), from offset 0 of the same file
  st = new RunState();
  count = 0;
  t = process.hrtime.bigint();
  c0 = process.cpuUsage();
  const tailer = new EventTailer(file, { onEvent: (e) => (st.apply(e), count++) });
  await tailer.poll();
  await tailer.stop();
  secs = Number(process.hrtime.bigint() - t) / 1e9;
  cpu = cpuSeconds(c0);
  console.log(
    `tailer:   ${count.toLocaleString('en-US')} events in ${secs.toFixed(2)} s wall = ${rate(count, secs)} events/s; ${cpu.toFixed(2)} s CPU = ${rate(count, cpu)} events/s per core`,
  );
  console.log(
    `load average while measuring: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores (wall-clock rates fall as load rises; CPU rates do not)`,
  );
  const ru = process.resourceUsage();
  console.log(`peak RSS of the whole process: ${mb(ru.maxRSS * 1024)} (file ${mb(size)})`);
}

void main();

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  EventLineDecoder,
  EventTailer,
  MetricSeries,
  RunState,
  readEventsFile,
  parseEvent,
  EVENT_REQUIRED_FIELDS,
  type AnyEvent,
  type LineWarning,
} from '../../runtime/src/events';
import { ProgressRenderer, statusLine } from '../../runtime/src/cli/progress';

const ev = (o: Record<string, unknown>) => JSON.stringify({ v: 1, time: 1700000000, run_id: 'r', ...o });
const metrics = (step: number, loss: number, stage = 'a', time = 1700000000 + step) =>
  ev({ type: 'metrics', stage, step, time, metrics: { loss } });

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-events-'));
}

test('decoder holds a partial line until its newline and never splits a UTF-8 character', () => {
  const got: AnyEvent[] = [];
  const d = new EventLineDecoder('e.jsonl', { event: (e) => got.push(e) });
  const line = Buffer.from(`${ev({ type: 'log', level: 'info', message: 'héllo ✓' })}\n`);
  const cut = line.indexOf(Buffer.from('✓')) + 1; // inside the 3-byte character
  d.push(line.subarray(0, cut));
  assert.equal(got.length, 0);
  assert.ok(d.pendingBytes > 0);
  d.push(line.subarray(cut));
  assert.equal(got.length, 1);
  assert.equal((got[0] as { message: string }).message, 'héllo ✓');
  assert.equal(d.pendingBytes, 0);
});

test('decoder skips corrupt and invalid lines with a warning naming file and line, and goes on', () => {
  const got: AnyEvent[] = [];
  const warnings: LineWarning[] = [];
  const d = new EventLineDecoder('/runs/x/events.jsonl', {
    event: (e) => got.push(e),
    warning: (w) => warnings.push(w),
  });
  d.push(
    Buffer.from(
      `${metrics(1, 1)}\n{"v":1,"type":"metr\n${ev({ type: 'metrics', stage: 'a' })}\n\n${metrics(2, 0.5)}\n`,
    ),
  );
  assert.equal(got.length, 2);
  assert.equal(warnings.length, 2);
  assert.equal(warnings[0]!.line, 2);
  assert.match(warnings[0]!.message, /corrupt line/);
  assert.equal(warnings[0]!.file, '/runs/x/events.jsonl');
  assert.equal(warnings[1]!.line, 3);
  assert.match(warnings[1]!.message, /field 'step'/);
  d.push(Buffer.from('{"v":1,"type":"log"'));
  d.end();
  assert.equal(warnings.length, 3);
  assert.match(warnings[2]!.message, /truncated last line/);
});

test('parseEvent refuses newer schema versions and keeps unknown types', () => {
  assert.throws(() => parseEvent({ v: 2, type: 'log', message: 'x' }), /newer/);
  assert.throws(() => parseEvent([1]), /not a JSON object/);
  const e = parseEvent({ v: 1, type: 'gpu_topology', time: 1, run_id: 'r' });
  assert.equal(e.type, 'gpu_topology');
});

test('readEventsFile reads a whole file and reports a truncated last line unless live', () => {
  const dir = tmpDir();
  const f = path.join(dir, 'events.jsonl');
  fs.writeFileSync(f, `${metrics(1, 1)}\n${metrics(2, 0.5)}\n{"v":1,"ty`);
  const seen: number[] = [];
  const r = readEventsFile(f, (e) => seen.push(e.step!));
  assert.deepEqual(seen, [1, 2]);
  assert.equal(r.events, 2);
  assert.equal(r.warnings.length, 1);
  assert.equal(readEventsFile(f, () => undefined, { live: true }).warnings.length, 0);
  assert.equal(readEventsFile(path.join(dir, 'missing.jsonl'), () => undefined).events, 0);
});

test('tailer follows appends, including a line written in two parts, and resets when the file is replaced', async () => {
  const dir = tmpDir();
  const f = path.join(dir, 'events.jsonl');
  const steps: number[] = [];
  let resets = 0;
  const t = new EventTailer(f, { pollMs: 20, onEvent: (e) => steps.push(e.step!), onReset: () => resets++ });
  t.start(); // the file does not exist yet
  const until = async (cond: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out; steps=${steps.join(',')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  fs.writeFileSync(f, `${metrics(1, 1)}\n`);
  await until(() => steps.length === 1);
  const line = metrics(2, 0.5);
  fs.appendFileSync(f, line.slice(0, 10));
  await t.poll();
  assert.deepEqual(steps, [1]);
  fs.appendFileSync(f, `${line.slice(10)}\n${metrics(3, 0.3)}\n`);
  await until(() => steps.length === 3);
  assert.deepEqual(steps, [1, 2, 3]);
  const tmp = path.join(dir, 'new.jsonl');
  fs.writeFileSync(tmp, `${metrics(1, 1)}\n`);
  fs.renameSync(tmp, f);
  await until(() => resets === 1 && steps.length === 4);
  assert.deepEqual(steps, [1, 2, 3, 1]);
  await t.stop();
});

test('metric series keeps a bounded number of points with a faithful min/max envelope', () => {
  const s = new MetricSeries(64);
  for (let i = 1; i <= 10_000; i++) s.push(i, i === 5000 ? 1e6 : Math.sin(i));
  const v = s.view();
  assert.ok(v.length <= 64 && v.length >= 32, `length ${v.length}`);
  assert.equal(s.count, 10_000);
  assert.equal(Math.max(...v.hi), 1e6, 'the spike survives decimation');
  assert.ok(Math.min(...v.lo) < -0.99);
  assert.equal(v.x[0], 1);
  assert.ok(s.bytes <= 64 * 20);
  assert.equal(s.lastStep, 10_000);
});

test('metric series rewinds when steps repeat (a resumed attempt), so every step appears once', () => {
  const s = new MetricSeries(16);
  for (let i = 1; i <= 6; i++) s.push(i, 10 + i);
  s.push(5, 100);
  s.push(6, 200);
  const v = s.view();
  assert.deepEqual(Array.from(v.x), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(v.y), [11, 12, 13, 14, 100, 200]);
  assert.equal(s.count, 6);
});

test('run state: stages, progress, ETA, evals, checkpoints, cached stages, failure', () => {
  const st = new RunState();
  const apply = (line: string) => st.apply(JSON.parse(line) as AnyEvent);
  apply(
    ev({ type: 'run_started', pipeline: 'p', engine_version: '0.1.0', stages: ['a', 'b', 'c'], device: 'cpu', pid: 1 }),
  );
  assert.equal(st.status, 'running');
  assert.deepEqual(
    st.stages.map((s) => s.name),
    ['a', 'b', 'c'],
  );
  apply(ev({ type: 'stage_started', stage: 'a', kind: 'sft', total_steps: 10 }));
  apply(ev({ type: 'stage_finished', stage: 'a', status: 'completed', cached: true, checkpoint: '/old/final' }));
  assert.equal(st.findStage('a')!.status, 'cached');
  apply(ev({ type: 'stage_started', stage: 'b', kind: 'rl', total_steps: 100, time: 1700000000 }));
  for (let i = 1; i <= 20; i++) apply(metrics(i, 1 / i, 'b', 1700000000 + i * 0.5));
  const b = st.findStage('b')!;
  assert.equal(b.step, 20);
  assert.equal(b.fraction, 0.2);
  assert.ok(Math.abs(b.stepsPerSecond! - 2) < 1e-9);
  assert.ok(Math.abs(b.etaSeconds! - 40) < 1e-9);
  assert.equal(st.currentStage, b);
  assert.ok(Math.abs(st.fraction - 1.2 / 3) < 1e-9);
  apply(ev({ type: 'checkpoint', stage: 'b', step: 20, path: '/r/ck/b/step-000020', final: false }));
  apply(ev({ type: 'eval', stage: 'b', step: 20, eval: 'test', when: 'during', n: 50, metrics: { accuracy: 0.4 } }));
  apply(ev({ type: 'eval', stage: null, eval: 'test', when: 'before', n: 50, metrics: { accuracy: 0.9 } }));
  apply(ev({ type: 'samples', stage: 'b', step: 20, source: 'rl', samples: [{ prompt: 'p', completion: 'c' }] }));
  apply(ev({ type: 'error', stage: 'b', message: 'boom', traceback: 'tb' }));
  apply(ev({ type: 'run_finished', status: 'failed', duration_s: 10, message: 'boom' }));
  assert.equal(st.status, 'failed');
  assert.equal(b.status, 'failed');
  assert.equal(st.bestEval(), 0.4, 'baseline evals do not count as a result');
  assert.equal(st.baselineEvals.length, 1);
  assert.equal(b.checkpoints.length, 1);
  assert.equal(b.samples.length, 1);
  assert.equal(st.errors.last()!.traceback, 'tb');
  assert.equal(st.finishMessage, 'boom');
});

test('run state keeps bounded samples and messages', () => {
  const st = new RunState({ maxSampleBatches: 3, maxMessages: 5 });
  for (let i = 0; i < 100; i++) {
    st.apply(JSON.parse(ev({ type: 'samples', stage: 'a', step: i, source: 'rl', samples: [] })) as AnyEvent);
    st.apply(JSON.parse(ev({ type: 'warning', message: `w${i}` })) as AnyEvent);
  }
  assert.equal(st.findStage('a')!.samples.toArray().length, 3);
  assert.equal(st.findStage('a')!.samples.last()!.step, 99);
  assert.deepEqual(
    st.warnings.toArray().map((m) => m.message),
    ['w95', 'w96', 'w97', 'w98', 'w99'],
  );
});

test('the fields parseEvent requires are a subset of what runtime/events.schema.json requires', () => {
  const schema = JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '..', '..', 'runtime', 'events.schema.json'), 'utf8'),
  );
  const types = new Set<string>(schema.properties.type.enum);
  assert.deepEqual(new Set(Object.keys(EVENT_REQUIRED_FIELDS)), types, 'the same event types');
  for (const [type, fields] of Object.entries(EVENT_REQUIRED_FIELDS)) {
    const required = new Set<string>(schema.$defs[type].required);
    for (const [f] of fields) assert.ok(required.has(f), `${type}.${f} is not required by the schema`);
  }
});

test('progress renderer: the first line names the CPU threads of a CPU run', () => {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const st = new RunState();
  const r = new ProgressRenderer({ out: sink, tty: false, columns: 80, color: false, now: () => 1700000010_000 });
  for (const [threads, gradient, shown] of [
    [2, 1, 'started p: 1 stage on cpu (2 threads, gradients on 1)\n'],
    [1, 1, 'started p: 1 stage on cpu (1 thread)\n'],
    [null, null, 'started p: 1 stage on cuda:0\n'],
  ] as const) {
    const e = JSON.parse(
      ev({
        type: 'run_started',
        pipeline: 'p',
        stages: ['a'],
        device: threads ? 'cpu' : 'cuda:0',
        cpu_threads: threads,
        gradient_threads: gradient,
      }),
    ) as AnyEvent;
    st.apply(e);
    r.onEvent(e, st);
    assert.ok(out.endsWith(shown), JSON.stringify(out));
  }
});

test('progress renderer: one status line redrawn in place on a terminal, permanent lines above it', () => {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const st = new RunState();
  const r = new ProgressRenderer({ out: sink, tty: true, columns: 60, color: false, now: () => 1700000010_000 });
  const feed = (line: string) => {
    const e = JSON.parse(line) as AnyEvent;
    st.apply(e);
    r.onEvent(e, st);
  };
  feed(ev({ type: 'run_started', pipeline: 'p', stages: ['a'], device: 'cpu' }));
  feed(ev({ type: 'stage_started', stage: 'a', kind: 'rl', total_steps: 10, time: 1700000000 }));
  for (let i = 1; i <= 4; i++)
    feed(ev({ type: 'metrics', stage: 'a', step: i, time: 1700000000 + i, metrics: { loss: 1, reward: i / 10 } }));
  r.draw(st);
  assert.equal(statusLine(st, 1700000004_000), '[1/1] a (rl)  step 4/10  40%  reward 0.4  ETA 6s');
  assert.ok(out.includes('started p: 1 stage on cpu\n'));
  assert.ok(
    out.endsWith('\r\x1b[2K▸ [1/1] a (rl)  step 4/10  40%  reward 0.4  ETA 0s'),
    JSON.stringify(out.slice(-80)),
  );
  feed(ev({ type: 'warning', message: 'careful' }));
  assert.ok(out.includes('\r\x1b[2Kwarning: careful\n'), 'the status line is cleared before a permanent line');
});

test('progress renderer: a warning with a hint prints the hint under it', () => {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const st = new RunState();
  const r = new ProgressRenderer({ out: sink, tty: false, columns: 80, color: false, now: () => 1700000010_000 });
  const e = JSON.parse(
    ev({
      type: 'warning',
      stage: 'rl',
      step: 5,
      code: 'no_learning_signal',
      message: 'all groups uniform for 5 steps: nothing to learn',
      hint: 'raise temperature',
    }),
  ) as AnyEvent;
  st.apply(e);
  r.onEvent(e, st);
  assert.match(
    out,
    /warning: all groups uniform for 5 steps: nothing to learn\n(\d\d:\d\d:\d\d )? {2}hint: raise temperature\n$/,
  );
});

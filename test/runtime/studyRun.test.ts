// `srlm run` of a file that declares a study, end to end through the built CLI (`node dist/srlm.js`) and the
// fake engine (test/fixtures/runtime/fake-engine, which honours steps, the stage cache and evals): the
// variants run one after another, the stage they share trains once, and the printed and kept table holds
// every variant. Seconds, not minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { followRun } from '../../runtime/src/cli/follow';
import { RunStore } from '../../runtime/src/store/runStore';
import type { StudyRunEvent } from '../../runtime/src/cli/studyRun';
import type { CompiledStudy } from '../../runtime/src/plan/study';
import type { Plan } from '../../runtime/src/plan/types';
import { runStudy, StudyOptionError, variantsToRun } from '../../runtime/src/study/runner';
import { PreflightError } from '../../runtime/src/supervisor/preflight';
import { fakeEnv, metricSteps, range, readEvents, root, systemPython, tmpDir } from './helpers';

const cli = path.join(root, 'dist', 'srlm.js');
const fixture = path.join(root, 'test', 'fixtures', 'study', 'two.srlm');

function workspace(): { dir: string; file: string; store: RunStore } {
  const dir = tmpDir('srlm-study-');
  const file = path.join(dir, 'two.srlm');
  fs.writeFileSync(
    file,
    fs.readFileSync(fixture, 'utf8').replace('"../../../runtime/', `"${path.join(root, 'runtime')}/`),
  );
  return { dir, file, store: new RunStore(path.join(dir, '.srlm', 'runs')) };
}

function srlm(
  args: string[],
  cwd: string,
  knobs: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args, '--python', systemPython], {
    cwd,
    env: fakeEnv({ SRLM_PROGRESS_INTERVAL_MS: '0', NO_COLOR: '1', ...knobs }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function keptStudies(dir: string): Record<string, unknown>[] {
  const studies = path.join(dir, '.srlm', 'studies');
  return fs
    .readdirSync(studies)
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(studies, f), 'utf8')) as Record<string, unknown>);
}

test('a two-variant study: the shared stage trains once, and the table holds every variant', () => {
  const { dir, file, store } = workspace();
  const r = srlm(['run', file], dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [first, second] = store.ids();
  assert.ok(first && second && store.ids().length === 2, `two runs, got ${store.ids().join(', ')}`);
  assert.match(r.stdout, /^study compare: 3 variants, 2 runs$/m);
  assert.match(r.stdout, new RegExp(`^variant sft_only: run ${first} `, 'm'));
  assert.match(r.stdout, new RegExp(`^variant sft_rl: run ${second} `, 'm'));
  assert.match(r.stdout, new RegExp(`^  warm: reusing the checkpoint of run ${first}$`, 'm'));

  // The second variant reused `warm` (cached, no training steps) and trained only `polish`.
  assert.deepEqual(metricSteps(store, first), { warm: range(1, 4) });
  assert.deepEqual(metricSteps(store, second), { polish: range(1, 4) });
  assert.deepEqual(
    readEvents(store, second)
      .filter((e) => e.type === 'stage_finished')
      .map((e) => [e.stage, e.cached]),
    [
      ['warm', true],
      ['polish', false],
    ],
  );
  // Each run is an ordinary run of its variant's plan, settings applied.
  const plan = store.readPlan(second)!;
  assert.equal(plan.pipeline, 'two.sft_rl');
  assert.equal(plan.stages[1]!.config.lr, 1e-5);
  assert.equal(store.readPlan(first)!.stages.length, 1);

  // The printed table: one row per variant, the baseline read from the first run.
  for (const [variant, run] of [
    ['sft_only', first],
    ['sft_rl', second],
    ['untrained', first],
  ])
    assert.match(r.stdout, new RegExp(`^${variant} +completed .* ${run}$`, 'm'));
  // …and the kept one.
  const [kept] = keptStudies(dir);
  assert.ok(kept);
  assert.equal(kept.study, 'compare');
  assert.deepEqual(kept.variants, ['sft_only', 'sft_rl', 'untrained']);
  const rows = kept.rows as { variant: string; run: string; stages: { name: string; cached: boolean }[] }[];
  assert.deepEqual(
    rows.map((x) => [x.variant, x.run, x.stages.map((s) => `${s.name}${s.cached ? '*' : ''}`)]),
    [
      ['sft_only', first, ['warm']],
      ['sft_rl', second, ['warm*', 'polish']],
      ['untrained', first, []],
    ],
  );
  assert.match(r.stdout, /kept in \.srlm\/studies\/compare-\d{8}-\d{6}\.json/);

  // Again as JSON, one variant: stdout is the table alone, and everything it needs is cached.
  const j = srlm(['run', file, '--variant', 'sft_rl', '--format', 'json'], dir);
  assert.equal(j.code, 0, j.stderr);
  const table = JSON.parse(j.stdout) as { rows: { variant: string; stages: { cached: boolean }[] }[] };
  assert.deepEqual(
    table.rows.map((x) => [x.variant, x.stages.map((s) => s.cached)]),
    [['sft_rl', [true, true]]],
  );
  assert.match(j.stderr, /warm: reusing[\s\S]*polish: reusing/);
  assert.equal(store.ids().length, 3);

  // The baseline alone runs the variant its row is read from.
  const b = srlm(['run', file, '--variant', 'untrained', '--format', 'markdown'], dir);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /^variant sft_only: run \S+/m);
  assert.match(b.stdout, /^\| untrained \|/m);
  assert.match(b.stdout, /^\| sft_only \|/m);
  assert.doesNotMatch(b.stdout, /^\| sft_rl \|/m);
});

test('--json (the editor): one event per variant run as it starts, then the kept study; the rest on stderr', () => {
  const { dir, file, store } = workspace();
  const lineOf = (variant: string) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(`variant ${variant} `)) + 1;
  const r = srlm(['run', file, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StudyRunEvent);
  const [first, second] = store.ids();
  assert.deepEqual(events.slice(0, 2), [
    {
      event: 'variant',
      variant: 'sft_only',
      index: 1,
      runs: 2,
      line: lineOf('sft_only'),
      id: first,
      dir: store.dir(first!),
    },
    {
      event: 'variant',
      variant: 'sft_rl',
      index: 2,
      runs: 2,
      line: lineOf('sft_rl'),
      id: second,
      dir: store.dir(second!),
    },
  ]);
  const [kept] = keptStudies(dir);
  assert.deepEqual(events.slice(2), [
    {
      event: 'study',
      study: 'compare',
      id: kept!.id,
      path: path.join(dir, '.srlm', 'studies', `${String(kept!.id)}.json`),
      runsDir: store.root,
      code: 0,
      skipped: [],
    },
  ]);
  assert.match(r.stderr, /^sft_rl +completed /m, 'the table goes to stderr');

  // A variant that fails: the study stops there, names it, and keeps what ran.
  const failed = srlm(['run', file, '--json', '--variant', 'sft_only', '--no-cache'], dir, { FAKE_FAIL_AT: 'warm:2' });
  assert.equal(failed.code, 1, failed.stderr);
  const end = JSON.parse(failed.stdout.trim().split('\n').pop()!) as StudyRunEvent;
  assert.equal(end.event, 'study');
  assert.deepEqual(end.event === 'study' && [end.code, end.failed, end.skipped], [
    1,
    { variant: 'sft_only', line: lineOf('sft_only'), status: 'failed' },
    [],
  ]);
  const stopped = srlm(['run', file, '--json', '--no-cache'], dir, { FAKE_FAIL_AT: 'warm:2' });
  const last = JSON.parse(stopped.stdout.trim().split('\n').pop()!) as StudyRunEvent;
  assert.deepEqual(last.event === 'study' && [last.failed?.variant, last.skipped], ['sft_only', ['sft_rl']]);
  assert.equal(store.ids().length, 4, 'the variant after the failed one did not start');
});

test('srlm stop on the running variant (Stop in the editor): the study starts no further variant', async () => {
  const { dir, file, store } = workspace();
  const env = fakeEnv({ SRLM_PROGRESS_INTERVAL_MS: '0', NO_COLOR: '1', FAKE_STEP_S: '0.5' });
  const child = spawn(process.execPath, [cli, 'run', file, '--json', '--python', systemPython], { cwd: dir, env });
  let stdout = '';
  let stopped: ReturnType<typeof spawnSync> | undefined;
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
    const first = /"event":"variant".*?"id":"([^"]+)"/.exec(stdout);
    if (first && !stopped) {
      stopped = spawnSync(process.execPath, [cli, 'stop', first[1]!], { cwd: dir, env, encoding: 'utf8' });
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stopped?.status, 0, String(stopped?.stderr));
  assert.equal(code, 1);
  const end = JSON.parse(stdout.trim().split('\n').pop()!) as StudyRunEvent;
  assert.deepEqual(end.event === 'study' && [end.failed?.variant, end.failed?.status, end.skipped], [
    'sft_only',
    'stopped',
    ['sft_rl'],
  ]);
  assert.equal(store.ids().length, 1, 'only the stopped variant ran');
  assert.ok(fs.existsSync(end.event === 'study' ? end.path : ''), 'the study of what ran is kept');
});

test('which variants a run trains: all, or one and the variant a baseline reads its row from', () => {
  const plan = {} as Plan;
  const compiled = {
    variants: [
      { name: 'direct', plan },
      { name: 'untrained', baseline: { model: 'm', from: 'direct' } },
      { name: 'kd', plan },
    ],
  } as unknown as CompiledStudy;
  const names = (variant?: string) => variantsToRun(compiled, variant).map((v) => v.name);
  assert.deepEqual(names(), ['direct', 'untrained', 'kd']);
  assert.deepEqual(names('kd'), ['kd']);
  assert.deepEqual(names('untrained'), ['direct', 'untrained']);
  assert.throws(
    () => names('nope'),
    (e: Error) =>
      e instanceof StudyOptionError && /no such variant \(variants: direct, untrained, kd\)/.test(e.message),
  );
});

test('study usage errors exit 2; --stage, --from and --detach make one run; a study with errors is refused', () => {
  const { dir, file, store } = workspace();
  for (const [args, message] of [
    [['--format', 'xml'], /--format xml: expected text, markdown, json/],
    [['--variant', 'nope'], /--variant nope: no such variant \(variants: sft_only, sft_rl, untrained\)/],
    [['--stage', 'warm', '--format', 'json'], /--format goes with the run of a study/],
  ] as const) {
    const r = srlm(['run', file, ...args], dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  // One run: the pipeline as written (what the editor's Run starts), or one variant's plan.
  const plain = srlm(['run', file, '--stage', 'polish'], dir);
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stdout, /^study /m);
  assert.equal(store.readPlan(store.ids()[0]!)!.pipeline, 'two');
  const one = srlm(['run', file, '--variant', 'sft_rl', '--from', 'polish'], dir);
  assert.equal(one.code, 0, one.stderr);
  const plan = store.readPlan(store.ids()[1]!)!;
  assert.equal(plan.pipeline, 'two.sft_rl');
  assert.equal(plan.stages[1]!.config.lr, 1e-5);
  assert.match(one.stdout, /warm: reusing[\s\S]*polish: will train \(requested\)/);
  assert.ok(!fs.existsSync(path.join(dir, '.srlm', 'studies')), 'no table for one run');

  fs.writeFileSync(
    file,
    fs
      .readFileSync(file, 'utf8')
      .replace(
        'variant sft_rl { stages = [warm, polish]  polish { lr = 1e-5 } }',
        'variant sft_rl { stages = [warm] }',
      ),
  );
  const bad = srlm(['run', file], dir);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /two\.srlm:\d+:13: error SRLM035: variant sft_rl runs the same stages with the same settings as variant sft_only/,
  );
  assert.equal(store.ids().length, 2, 'nothing more ran');
});

test('a variant that cannot start after others ran: its error comes back with the table of what ran', async () => {
  const { dir, file, store } = workspace();
  const env = fakeEnv();
  const sink = new PassThrough().resume();
  const io = { stdout: sink, stderr: sink, cwd: dir, env };
  const result = await runStudy({
    file,
    workspace: dir,
    env,
    python: systemPython,
    follow: async (started) => {
      const code = await followRun(started.store, started.id, io, { engine: started.engine });
      // The disk "fills up" after the first variant: the next one is refused by the preflight.
      env.SRLM_MIN_FREE_MB = String(1e12);
      return code;
    },
  });
  assert.ok(result.startError instanceof PreflightError, String(result.startError));
  assert.equal(result.code, 1);
  assert.deepEqual(result.skipped, ['sft_rl']);
  assert.equal(result.failed, 'sft_rl');
  assert.equal(store.ids().length, 1);
  assert.deepEqual(
    result.study.rows.map((r) => r.variant),
    ['sft_only', 'untrained'],
  );
  assert.ok(fs.existsSync(result.path), 'the table of what ran is kept');
});

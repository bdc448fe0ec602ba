// The comparison table: built from run folders as the engine writes them, formatted three ways, kept and reread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildComparison,
  formatComparison,
  listStudies,
  newStudyId,
  readStudy,
  isAuxiliaryMetric,
  stageColumns,
  studiesDir,
  writeStudy,
} from '../../runtime/src/study/table';
import { RunNotFoundError } from '../../runtime/src/store/runStore';
import { DataFileError } from '../../runtime/src/store/fileIo';
import { tmpStore } from '../runtime/helpers';
import { studyRuns, writeRun } from './runFolders';

const now = new Date('2026-12-02T10:30:00Z');

test('rows hold the initial eval, each stage after it, the final metrics and the times', () => {
  const store = tmpStore();
  const ids = studyRuns(store);
  const t = buildComparison(
    store,
    [
      { id: ids.kdRl, variant: 'kd+rl' },
      { id: ids.kdOnly, variant: 'kd' },
      { id: ids.rl, variant: 'rl' },
    ],
    { study: 'seed', file: 'study.srlm', now },
  );
  assert.equal(t.version, 1);
  assert.equal(t.study, 'seed');
  assert.equal(t.created, now.toISOString());
  // Durations and auxiliary metrics are not columns; accuracy leads its eval.
  assert.deepEqual(t.metrics, ['arith/accuracy', 'arith/avg@8']);
  const [kdRl, kd, rl] = t.rows;
  assert.deepEqual(kdRl!.initial, { 'arith/accuracy': 0.1, 'arith/avg@8': 0.05 });
  assert.deepEqual(
    kdRl!.stages.map((s) => [s.name, s.kind, s.status, s.cached, s.timeS, s.metrics['arith/accuracy']]),
    [
      ['distill', 'kd', 'completed', false, 60, 0.8],
      ['grpo', 'rl', 'completed', false, 90, 0.82],
    ],
  );
  assert.equal(kdRl!.stages[0]!.metrics['arith/completion_len_mean'], 12, 'rows keep the auxiliary metrics');
  assert.equal(kdRl!.stages[0]!.metrics['arith/eval_time_s'], undefined, 'durations are dropped');
  assert.deepEqual(kdRl!.final, { 'arith/accuracy': 0.82, 'arith/avg@8': 0.7 });
  assert.equal(kdRl!.timeS, 150);
  assert.equal(kdRl!.runDir, store.dir(ids.kdRl));
  // The cached stage: no time of its own, and the initial eval comes from the run that trained it.
  assert.deepEqual(
    kd!.stages.map((s) => [s.status, s.cached, s.timeS]),
    [['cached', true, 0]],
  );
  assert.deepEqual(kd!.initial, { 'arith/accuracy': 0.1, 'arith/avg@8': 0.05 });
  assert.deepEqual(kd!.final, { 'arith/accuracy': 0.8, 'arith/avg@8': 0.6 });
  assert.equal(rl!.status, 'completed');
  assert.equal(rl!.final['arith/accuracy'], 0.3);
  assert.deepEqual(stageColumns(t), ['distill', 'grpo']);
});

test('the initial eval is of the model the result started from, not of a teacher trained first', () => {
  const store = tmpStore();
  writeRun(store, {
    id: 'kd-with-teacher',
    pipeline: 'p',
    stages: [
      { name: 'teacher', kind: 'sft', seconds: 5, before: { e: { accuracy: 0.02 } }, after: { e: { accuracy: 0.9 } } },
      { name: 'student', kind: 'kd', seconds: 5, before: { e: { accuracy: 0.1 } }, after: { e: { accuracy: 0.8 } } },
      { name: 'rl', kind: 'rl', from: 'student', seconds: 5, after: { e: { accuracy: 0.85 } } },
    ],
  });
  const [row] = buildComparison(store, [{ id: 'kd-with-teacher' }]).rows;
  assert.deepEqual(row!.initial, { 'e/accuracy': 0.1 });
  assert.deepEqual(row!.final, { 'e/accuracy': 0.85 });
  assert.equal(row!.stages[0]!.metrics['e/accuracy'], 0.9, "the teacher's own result stays in its column");
});

test('runs compared without variant names are labelled by pipeline, told apart by their id when repeated', () => {
  const store = tmpStore();
  const ids = studyRuns(store);
  writeRun(store, {
    id: '20261202-110000-kd_rl-dddd',
    pipeline: 'kd_rl',
    stages: [{ name: 'distill', kind: 'kd', seconds: 5, after: { arith: { accuracy: 0.5 } } }],
  });
  const t = buildComparison(store, [{ id: ids.rl }, { id: ids.kdRl }, { id: '20261202-110000-kd_rl-dddd' }]);
  assert.deepEqual(
    t.rows.map((r) => r.variant),
    ['direct_rl', 'kd_rl (aaaa)', 'kd_rl (dddd)'],
  );
});

test('asked-for metrics are the columns, in the order asked, and narrow the rows', () => {
  const store = tmpStore();
  const ids = studyRuns(store);
  const t = buildComparison(store, [{ id: ids.kdRl }], { metrics: ['arith/avg@8', 'arith/completion_len_mean'] });
  assert.deepEqual(t.metrics, ['arith/avg@8', 'arith/completion_len_mean']);
  assert.deepEqual(t.rows[0]!.stages[0]!.metrics, { 'arith/avg@8': 0.6, 'arith/completion_len_mean': 12 });
  assert.deepEqual(t.rows[0]!.initial, { 'arith/avg@8': 0.05 });
});

test('a failed run and a running one are shown as they stand', () => {
  const store = tmpStore();
  writeRun(store, {
    id: 'r-failed',
    pipeline: 'p',
    status: 'failed',
    stages: [
      { name: 'a', kind: 'sft', seconds: 10, after: { e: { accuracy: 0.4 } } },
      { name: 'b', kind: 'rl', seconds: 3, status: 'failed' },
    ],
  });
  writeRun(store, {
    id: 'r-running',
    pipeline: 'q',
    status: 'running',
    stages: [{ name: 'a', kind: 'sft', seconds: 7, before: { e: { accuracy: 0.2 } } }],
  });
  const t = buildComparison(store, [{ id: 'r-failed' }, { id: 'r-running' }]);
  const [failed, running] = t.rows;
  assert.equal(failed!.status, 'failed');
  assert.deepEqual(
    failed!.stages.map((s) => s.status),
    ['completed', 'failed'],
  );
  assert.deepEqual(failed!.final, { 'e/accuracy': 0.4 }, 'final: the last stage that was evaluated');
  assert.equal(running!.status, 'running');
  assert.equal(running!.stages[0]!.status, 'running');
  assert.deepEqual(running!.final, {});
  assert.deepEqual(running!.initial, { 'e/accuracy': 0.2 });
});

test('an unknown run is a RunNotFoundError naming it', () => {
  const store = tmpStore();
  studyRuns(store);
  assert.throws(
    () => buildComparison(store, [{ id: 'nope' }]),
    (e: Error) => e instanceof RunNotFoundError && /nope/.test(e.message),
  );
});

test('text: aligned blocks, one row per variant, cached stages marked, absent stages dotted', () => {
  const store = tmpStore();
  const ids = studyRuns(store);
  const t = buildComparison(
    store,
    [
      { id: ids.kdRl, variant: 'kd_rl' },
      { id: ids.kdOnly, variant: 'kd_only' },
      { id: ids.rl, variant: 'direct' },
    ],
    { study: 'seed', file: 'study.srlm', now },
  );
  const text = formatComparison(t, 'text');
  const lines = text.split('\n');
  assert.match(lines[0]!, /^Study seed \(study\.srlm\): 3 variants, /);
  const header = lines.find((l) => l.startsWith('variant  ') && l.includes('arith/accuracy'))!;
  assert.match(header, /^variant\s+status\s+arith\/accuracy\s+arith\/avg@8\s+time\s+run$/);
  const row = (prefix: string, from: number) => lines.slice(from).find((l) => l.startsWith(prefix))!;
  const summaryAt = lines.indexOf(header);
  assert.match(row('kd_rl ', summaryAt), /^kd_rl\s+completed\s+0\.820\s+0\.700\s+2m 30s\s+20261202-100000-kd_rl-aaaa$/);
  // Columns line up: each value starts where its header does.
  assert.equal(row('direct ', summaryAt).indexOf('0.300'), header.indexOf('arith/accuracy'));
  const accAt = lines.indexOf('arith/accuracy, before and after each stage:');
  assert.ok(accAt > 0, text);
  assert.match(lines[accAt + 1]!, /^variant\s+before\s+distill\s+grpo$/);
  assert.match(row('kd_rl ', accAt), /^kd_rl\s+0\.100\s+0\.800\s+0\.820$/);
  assert.match(row('kd_only ', accAt), /^kd_only\s+0\.100\s+0\.800\*\s+·$/);
  assert.match(row('direct ', accAt), /^direct\s+0\.100\s+·\s+0\.300$/);
  const timeAt = lines.indexOf('time per stage:');
  assert.match(row('kd_only ', timeAt), /^kd_only\s+cached\*\s+·$/);
  assert.match(row('kd_rl ', timeAt), /^kd_rl\s+1m 00s\s+1m 30s$/);
  assert.match(text, /\* reused from the stage cache/);
});

test('markdown: tables with escaped cells; json: the table itself', () => {
  const store = tmpStore();
  const ids = studyRuns(store);
  const t = buildComparison(
    store,
    [
      { id: ids.kdRl, variant: 'a|b' },
      { id: ids.kdOnly, variant: 'kd' },
    ],
    { now },
  );
  const md = formatComparison(t, 'markdown');
  assert.match(md, /^## Comparison of 2 runs, /);
  assert.match(md, /^\| variant \| status \| arith\/accuracy \| arith\/avg@8 \| time \| run \|$/m);
  assert.match(md, /^\| --- \| --- \| --- \| --- \| --- \| --- \|$/m);
  assert.match(md, /^\| a\\\|b \| completed \| 0\.820 \| 0\.700 \| 2m 30s \| 20261202-100000-kd_rl-aaaa \|$/m);
  assert.match(md, /^### arith\/avg@8 before and after each stage$/m);
  assert.match(md, /^\| kd \| 0\.050 \| 0\.600\\\* \| · \|$/m);
  assert.deepEqual(JSON.parse(formatComparison(t, 'json')), JSON.parse(JSON.stringify(t)));
});

test('a table of runs without evals says so instead of showing empty columns', () => {
  const store = tmpStore();
  writeRun(store, { id: 'plain', pipeline: 'p', stages: [{ name: 'a', kind: 'sft', seconds: 1 }] });
  const t = buildComparison(store, [{ id: 'plain' }]);
  assert.deepEqual(t.metrics, []);
  assert.match(formatComparison(t, 'text'), /no eval metrics/);
});

test('studies are kept next to the runs, listed oldest first and reread as written', () => {
  const store = tmpStore();
  const ids = studyRuns(store);
  const t = buildComparison(store, [{ id: ids.kdRl, variant: 'kd_rl' }], { study: 'seed', now });
  const id = newStudyId('seed', now);
  assert.match(id, /^seed-\d{8}-\d{6}$/);
  const file = writeStudy(store.root, { ...t, id, variants: ['kd_rl'] });
  assert.equal(file, path.join(path.dirname(store.root), 'studies', `${id}.json`));
  assert.equal(studiesDir(store.root), path.dirname(file));
  assert.deepEqual(fs.readdirSync(path.dirname(file)), [`${id}.json`], 'no temp file left behind');
  const older = { ...t, created: '2020-01-01T00:00:00.000Z', id: 'old-study', variants: ['x'] };
  writeStudy(store.root, older);
  assert.deepEqual(readStudy(store.root, id), { ...t, id, variants: ['kd_rl'] });
  assert.deepEqual(
    listStudies(store.root).map((s) => [s.id, s.study, s.variants]),
    [
      ['old-study', 'seed', ['x']],
      [id, 'seed', ['kd_rl']],
    ],
  );
  assert.equal(readStudy(store.root, 'missing'), undefined);
  assert.throws(() => readStudy(store.root, '../escape'), DataFileError);
});

test('a damaged study file is refused naming the file and field, and skipped by the listing', () => {
  const store = tmpStore();
  const dir = studiesDir(store.root);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'bad.json'),
    JSON.stringify({ version: 1, id: 'bad', metrics: [], rows: [{ variant: 3 }] }),
  );
  fs.writeFileSync(path.join(dir, 'cut.json'), '{"version": 1, "ro');
  assert.throws(() => readStudy(store.root, 'bad'), /bad\.json: rows\[0\]\.variant: expected a string/);
  assert.throws(() => readStudy(store.root, 'cut'), /cut\.json is not valid JSON/);
  assert.deepEqual(listStudies(store.root), []);
});

test('stage columns put every stage after the stages that precede it in some variant', () => {
  const row = (variant: string, stages: string[]) => ({
    variant,
    run: variant,
    runDir: `/runs/${variant}`,
    status: 'completed',
    initial: {},
    stages: stages.map((name) => ({
      name,
      kind: undefined,
      status: 'completed',
      cached: false,
      timeS: 1,
      metrics: {},
    })),
    final: {},
    timeS: 1,
  });
  // The order a study lists its variants in: a late stage (polish) seen first must still come last.
  const t = {
    version: 1 as const,
    created: '2026-12-02T00:00:00Z',
    metrics: [],
    rows: [
      row('direct_rl', ['polish']),
      row('sft_only', ['sft_student']),
      row('kd_rl', ['teacher', 'kd_student', 'polish']),
      row('sft_rl', ['sft_student', 'polish']),
    ],
  };
  assert.deepEqual(stageColumns(t), ['sft_student', 'teacher', 'kd_student', 'polish']);
});

test('lengths, truncation and durations of sampled and greedy evals are kept but not shown as columns', () => {
  for (const m of [
    'completion_len_mean',
    'truncation_rate',
    'sampled_len_mean',
    'sampled_truncation_rate',
    'eval_time_s',
  ])
    assert.equal(isAuxiliaryMetric(`arith/${m}`), true, m);
  for (const m of ['accuracy', 'avg@8', 'pass@8', 'maj@8']) assert.equal(isAuxiliaryMetric(`arith/${m}`), false, m);
});

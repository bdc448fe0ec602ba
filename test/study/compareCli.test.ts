// `srlm compare` as a process (the built bundle): text, markdown and JSON tables of run folders, columns picked
// with --metric, a comparison kept as a study and reprinted with --study, and one clear line per unknown run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../runtime/src/store/runStore';
import { root, tmpDir } from '../runtime/helpers';
import { studyRuns } from './runFolders';

const bundle = path.join(root, 'dist', 'srlm.js');

function srlm(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bundle, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A workspace with three finished runs in ./.srlm/runs. */
function workspace() {
  const ws = tmpDir('srlm-compare-');
  const store = new RunStore(path.join(ws, '.srlm', 'runs'));
  return { ws, store, ids: studyRuns(store) };
}

test('srlm compare prints an aligned text table of the runs named', () => {
  const { ws, ids } = workspace();
  const r = srlm(['compare', 'kd_rl', ids.kdOnly, 'direct_rl'], ws);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^Comparison of 3 runs, /);
  assert.match(lines[2]!, /^variant\s+status\s+arith\/accuracy\s+arith\/avg@8\s+time\s+run$/);
  assert.match(lines[3]!, /^kd_rl\s+completed\s+0\.820\s+0\.700\s+2m 30s\s+20261202-100000-kd_rl-aaaa$/);
  assert.match(lines[4]!, /^kd_only\s+completed\s+0\.800\s+0\.600\s+/);
  assert.match(lines[5]!, /^direct_rl\s+completed\s+0\.300\s+0\.250\s+2m 00s\s+/);
  assert.match(r.stdout, /^kd_only\s+0\.100\s+0\.800\*\s+·$/m);
  assert.match(r.stdout, /^\* reused from the stage cache/m);
});

test('srlm compare --format markdown and --format json', () => {
  const { ws, ids } = workspace();
  const md = srlm(['compare', ids.kdRl, ids.rl, '--format', 'markdown'], ws);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^\| kd_rl \| completed \| 0\.820 \| 0\.700 \| 2m 30s \| 20261202-100000-kd_rl-aaaa \|$/m);
  assert.match(md.stdout, /^### arith\/accuracy before and after each stage$/m);
  const js = srlm(['compare', ids.kdRl, ids.rl, '--format', 'json'], ws);
  assert.equal(js.code, 0, js.stderr);
  const t = JSON.parse(js.stdout) as { version: number; metrics: string[]; rows: { run: string; final: object }[] };
  assert.equal(t.version, 1);
  assert.deepEqual(t.metrics, ['arith/accuracy', 'arith/avg@8']);
  assert.deepEqual(
    t.rows.map((r) => [r.run, r.final]),
    [
      [ids.kdRl, { 'arith/accuracy': 0.82, 'arith/avg@8': 0.7 }],
      [ids.rl, { 'arith/accuracy': 0.3, 'arith/avg@8': 0.25 }],
    ],
  );
});

test('srlm compare --metric picks the columns; an unknown one lists what there is', () => {
  const { ws, ids } = workspace();
  const r = srlm(['compare', ids.kdRl, ids.rl, '--metric', 'avg@8'], ws);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^variant\s+status\s+arith\/avg@8\s+time\s+run$/m);
  assert.doesNotMatch(r.stdout, /arith\/accuracy/);
  const bad = srlm(['compare', ids.kdRl, '--metric', 'pass@99'], ws);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^srlm compare: --metric: no metric 'pass@99' in these runs \(they have: arith\/accuracy, /);
});

test('srlm compare names every unknown run and prints no table', () => {
  const { ws, ids } = workspace();
  const r = srlm(['compare', ids.kdRl, 'nosuch', 'other-missing'], ws);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /srlm compare: no run matches 'nosuch' in .*\.srlm\/runs/);
  assert.match(r.stderr, /srlm compare: no run matches 'other-missing'/);
  const usage = srlm(['compare'], ws);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /missing the runs to compare/);
  const fmt = srlm(['compare', ids.kdRl, '--format', 'html'], ws);
  assert.equal(fmt.code, 2);
  assert.match(fmt.stderr, /--format: 'html' is not one of text, markdown, json/);
});

test('srlm compare takes run folders and --runs', () => {
  const { ws, store, ids } = workspace();
  const elsewhere = tmpDir('srlm-compare-cwd-');
  const byFolder = srlm(['compare', store.dir(ids.kdRl), store.dir(ids.rl)], elsewhere);
  assert.equal(byFolder.code, 0, byFolder.stderr);
  assert.match(byFolder.stdout, /^Comparison of 2 runs/);
  const byRuns = srlm(['compare', 'kd_only', '--runs', path.join(ws, '.srlm', 'runs')], elsewhere);
  assert.equal(byRuns.code, 0, byRuns.stderr);
  assert.match(byRuns.stdout, /^kd_only\s+completed/m);
});

test('srlm compare --keep keeps the table as a study that --study reprints', () => {
  const { ws, ids } = workspace();
  const kept = srlm(['compare', ids.kdRl, ids.kdOnly, '--keep', 'mine'], ws);
  assert.equal(kept.code, 0, kept.stderr);
  const m = /kept as study (mine-\d{8}-\d{6}) \((.*)\)/.exec(kept.stderr);
  assert.ok(m, kept.stderr);
  assert.equal(m[2], path.join(ws, '.srlm', 'studies', `${m[1]}.json`));
  assert.ok(fs.existsSync(m[2]!));
  for (const name of [m[1]!, 'mine', 'last']) {
    const again = srlm(['compare', '--study', name], ws);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^Study mine: 2 variants, /);
    assert.match(again.stdout, /^kd_only\s+completed\s+0\.800/m);
  }
  const json = srlm(['compare', '--study', 'mine', '--format', 'json', '--metric', 'accuracy'], ws);
  assert.deepEqual((JSON.parse(json.stdout) as { metrics: string[] }).metrics, ['arith/accuracy']);
  const missing = srlm(['compare', '--study', 'nope'], ws);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^srlm compare: 'nope' matches no kept study \(kept: mine-/);
  const none = srlm(['compare', '--study', 'x'], tmpDir('srlm-compare-empty-'));
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no kept studies in .*\.srlm\/studies/);
});

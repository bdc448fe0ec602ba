import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRunId, runCli } from '../../client/src/cli';

test('finds the run id in what srlm run prints', () => {
  const out =
    'run 20261126-044027-short_demo-88ab (.srlm/runs/20261126-044027-short_demo-88ab)\n  teacher: will train\n';
  assert.equal(findRunId(out), '20261126-044027-short_demo-88ab');
  // Pipeline names may contain dashes and dots; the 4-hex suffix ends the id.
  assert.equal(findRunId('started 20260101-000000-my-pipe.v2-0a9f, follow it'), '20260101-000000-my-pipe.v2-0a9f');
  assert.equal(findRunId('srlm run: errors in the file'), undefined);
});

test('runCli passes progress lines on as they come and a cancellation ends the command', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-cli-'));
  // Stands in for srlm run's hub preflight: a progress line redrawn in place, then a download that would go on.
  const script = path.join(dir, 'slow.js');
  fs.writeFileSync(
    script,
    "process.stderr.write('fetching q: 10%\\r'); process.stderr.write('fetching q: 20%\\r'); setTimeout(() => {}, 60000);\n",
  );
  const output = { append: () => {}, appendLine: () => {} } as unknown as Parameters<typeof runCli>[2]['output'];
  const abort = new AbortController();
  const lines: string[] = [];
  const started = Date.now();
  const res = await runCli(script, ['run'], {
    cwd: dir,
    env: process.env,
    output,
    signal: abort.signal,
    onStderrLine: (l) => {
      lines.push(l);
      abort.abort();
    },
  });
  assert.ok(Date.now() - started < 20_000, 'the cancelled command ended');
  assert.notEqual(res.code, 0);
  assert.match(lines[0]!, /^fetching q: \d+%$/);
  assert.match(res.stderr, /cancelled/);
});

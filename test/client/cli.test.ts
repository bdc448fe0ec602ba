import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDetachedRun, runCli } from '../../client/src/cli';

test('the run srlm run --detach --json printed, or undefined for anything else', () => {
  const run = { id: '20261126-044027-short_demo-88ab', dir: '/ws/.srlm/runs/x', pid: 4242, stages: [] };
  assert.deepEqual(parseDetachedRun(`${JSON.stringify(run)}\n`), run);
  assert.equal(parseDetachedRun('engine started in the background (pid 4242).\n'), undefined);
  assert.equal(parseDetachedRun('{"id": "x"}\n'), undefined, 'an object without dir and pid is not a run');
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

test('runCli passes each stdout line on whole, however the writes split it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-cli-'));
  const script = path.join(dir, 'lines.js');
  fs.writeFileSync(
    script,
    'process.stdout.write(\'{"a":\'); setTimeout(() => { process.stdout.write(\'1}\\n\\n{"b":2}\\n{"c"\'); setTimeout(() => process.stdout.write(\':3}\'), 50); }, 50);\n',
  );
  const output = { append: () => {}, appendLine: () => {} } as unknown as Parameters<typeof runCli>[2]['output'];
  const lines: string[] = [];
  const res = await runCli(script, ['run'], { cwd: dir, env: process.env, output, onStdoutLine: (l) => lines.push(l) });
  assert.equal(res.code, 0);
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}'], 'the last line counts without its newline');
});

// Chaos suite, `check` and `fmt`: seeded mutants of the examples and fixtures through the CLI (exit codes,
// JSON that parses, no hang; fmt idempotent, meaning-preserving — same diagnostics, and the same plan for
// layout-only changes — with comments and strings kept byte for byte; text that is not UTF-8 refused). The
// work runs in a child process, so a hang fails by timeout. Prints one summary line: tried / failed per category.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('chaos: check/fmt mutation fuzz', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'cliFuzzChild.ts'), '1500', '20'], {
    encoding: 'utf8',
    timeout: 150_000,
  });
  assert.equal(r.signal, null, `the fuzz did not finish in 150 s (a hang?)\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const { tally, planned, failures } = JSON.parse(line) as {
    tally: Record<string, { tried: number; failed: number }>;
    planned: number;
    failures: string[];
  };
  const summary = Object.entries(tally)
    .map(([k, v]) => `${k} ${v.tried}/${v.failed}`)
    .join(', ');
  console.log(`chaos check/fmt (tried/failed): ${summary}; plans compared ${planned}`);
  assert.deepEqual(failures, []);
  assert.ok(planned >= 20, `only ${planned} layout-only mutants compiled`);
  for (const k of ['check', 'fmt', 'idempotent', 'meaning', 'bytes', 'utf8', 'process'])
    assert.ok((tally[k]?.tried ?? 0) > 0, `${k} never ran`);
});

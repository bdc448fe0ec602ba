// Text the CLI must not mangle or lose: bytes that are not UTF-8 (a diagnostic with line and column; fmt
// refuses and leaves the file alone), a format that would push a file past the 8 MiB analysis limit, and
// block names that are also names of Object.prototype members (`__proto__`, `constructor`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { srlm } from '../runtime/cliHelpers';
import { compilePlan } from '../../runtime/src/plan/compile';
import { analyze, decodeUtf8, firstInvalidByte } from '../../server/src/core';
import { rng } from '../core/helpers';

function workspace(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'srlm-text-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
  return dir;
}

// Line 3 holds "é" (2 bytes) and then a lone 0xFF inside a string, after a comment in the same line.
const LATIN1 = Buffer.concat([
  Buffer.from('pipeline p {\n  model m { source = "Qwen/Qwen2.5-0.5B" }\n  dataset d { builtin = arithmetic }  # é\n'),
  Buffer.from('  stage sft s { init = m  data = d  output = "caf'),
  Buffer.from([0xff]),
  Buffer.from('"}\n}\n'),
]);

test('check: bytes that are not UTF-8 are an error at their line and column', async () => {
  const dir = workspace({ 'p.srlm': LATIN1 });
  const r = await srlm(['check', '--json', '--no-files', 'p.srlm'], dir, {});
  assert.equal(r.code, 1);
  const diags = JSON.parse(r.stdout) as {
    code: string;
    range: { start: { line: number; character: number } };
    message: string;
  }[];
  const enc = diags.find((d) => d.code === 'SRLM008');
  assert.ok(enc, r.stdout);
  assert.deepEqual(enc.range.start, { line: 3, character: 49 });
  assert.match(enc.message, /not valid UTF-8: byte 148 \(line 4, column 50\)/);
});

test('fmt: a file that is not UTF-8 is refused and left byte for byte as it was', async () => {
  const dir = workspace({ 'p.srlm': LATIN1 });
  const r = await srlm(['fmt', 'p.srlm'], dir, {});
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^p\.srlm:4:50: not formatted: the file is not valid UTF-8/);
  assert.ok(readFileSync(path.join(dir, 'p.srlm')).equals(LATIN1));
});

test('the plan compiler (srlm run) refuses a file that is not UTF-8', async () => {
  const dir = workspace({ 'p.srlm': LATIN1 });
  await assert.rejects(
    compilePlan({ file: path.join(dir, 'p.srlm'), workspace: dir, fileChecks: false }),
    /\d+ errors? in .*p\.srlm \(first: .*p\.srlm:4:50: the file is not valid UTF-8/,
  );
});

test('fmt: a file the format would push past the 8 MiB analysis limit is refused and left alone', async () => {
  // 50 nested blocks of fields written without indentation: 0.3 MiB grows to 8.1 MiB formatted.
  const text = 'a{\n'.repeat(50) + 'x=1\n'.repeat(80_000) + '}\n'.repeat(50);
  const dir = workspace({ 'p.srlm': text });
  const r = await srlm(['fmt', 'p.srlm'], dir, {});
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not formatted: the formatted file would be 8\.1 MiB .* above the 8\.0 MiB that is analysed/);
  assert.equal(readFileSync(path.join(dir, 'p.srlm'), 'utf8'), text);
});

test('the strict decoder finds the same first bad byte as the WHATWG decoder, on random bytes', () => {
  const next = rng(7);
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const pieces = [
    [0xc3, 0xa9],
    [0xe2, 0x82, 0xac],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0xf4, 0x90, 0x80, 0x80],
    [0x80],
    [0x41],
  ];
  for (let n = 0; n < 2000; n++) {
    const bytes: number[] = [];
    for (let k = 0; k < 6; k++)
      bytes.push(...(next() < 0.5 ? pieces[Math.floor(next() * pieces.length)] : [Math.floor(next() * 256)]));
    const b = Uint8Array.from(bytes);
    const bad = firstInvalidByte(b);
    let valid = true;
    try {
      fatal.decode(b);
    } catch {
      valid = false;
    }
    assert.equal(bad === b.length, valid, `${Buffer.from(b).toString('hex')}: first invalid ${bad}`);
    // The prefix before the bad byte decodes; that prefix plus the bad sequence does not.
    if (!valid) {
      fatal.decode(b.subarray(0, bad));
      assert.equal(decodeUtf8(b).invalid?.byte, bad);
    }
  }
});

const PROTO = `pipeline p {
  model constructor { source = "Qwen/Qwen2.5-0.5B" }
  dataset __proto__ { builtin = arithmetic }
  dataset isPrototypeOf { builtin = arithmetic  split = test }
  stage sft toString { init = constructor  data = __proto__ }
  stage rl hasOwnProperty { init = toString  data = __proto__  reward = accuracy }
  eval valueOf { data = isPrototypeOf  stages = [toString] }
}
`;

test('blocks named __proto__, constructor, toString are ordinary names in check and in the compiled plan', async () => {
  assert.deepEqual(
    analyze(PROTO).diagnostics.map((d) => d.code),
    [],
  );
  const dir = workspace({ 'p.srlm': PROTO });
  const { plan } = await compilePlan({ file: path.join(dir, 'p.srlm'), workspace: dir, fileChecks: false });
  const json = JSON.parse(JSON.stringify(plan)) as typeof plan;
  assert.deepEqual(Object.keys(json.datasets), ['__proto__', 'isPrototypeOf']);
  assert.equal(json.datasets['__proto__']!.builtin, 'arithmetic');
  assert.deepEqual(Object.keys(json.models), ['constructor']);
  assert.deepEqual(Object.keys(json.evals ?? {}), ['valueOf']);
  assert.deepEqual(
    json.stages.map((s) => [s.name, s.config.data, s.init]),
    [
      ['toString', '__proto__', { model: 'constructor' }],
      ['hasOwnProperty', '__proto__', { stage: 'toString' }],
    ],
  );
});

test('names of Object.prototype members are not built-in rewards, losses or block kinds', () => {
  const text = `pipeline p {
  model m { source = "Qwen/Qwen2.5-0.5B" }
  dataset d { builtin = arithmetic }
  stage rl r { init = m  data = d  reward = constructor }
  stage kd k { init = m  teacher = m  data = d  loss = toString }
  stage sft s { init = m  data = d  valueOf { } }
}
`;
  assert.deepEqual(
    analyze(text)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => d.code),
    ['SRLM043', 'SRLM022', 'SRLM011'],
  );
});

test('check: a one-line file shows a window of the line under each diagnostic, not the whole line', async () => {
  let text = 'pipeline p { model m { source = "x/y" } dataset d { builtin = arithmetic } ';
  for (let i = 0; i < 3000; i++) text += `stage sft s${i} { init = z${i} data = d } `;
  const dir = workspace({ 'p.srlm': text + '}\n' });
  const r = await srlm(['check', '--no-files', 'p.srlm'], dir, {});
  assert.equal(r.code, 1);
  // Was 1,000 copies of the 130 KB line (130 MB; a longer line ended in "Invalid string length").
  assert.ok(r.stdout.length < 1_000_000, `${r.stdout.length} characters`);
  const [head, source, caret] = r.stdout.split('\n');
  assert.match(head!, /^p\.srlm:1:98: error SRLM030: no model or stage named 'z0'/);
  assert.equal(source!.slice(caret!.indexOf('^'), caret!.lastIndexOf('^') + 1), 'z0');
});

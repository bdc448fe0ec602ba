// The chaos suite's `check`/`fmt` fuzz, run as a child of cliFuzz.test.ts so that a hang fails by timeout
// instead of freezing the runner. Mutants of the examples and fixtures go through the CLI entry in process
// (and a few through the bundle as processes); prints one JSON line of { category: { tried, failed } } plus the
// first failures with their seed and iteration.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { srlm } from '../runtime/cliHelpers';
import { compilePlan } from '../../runtime/src/plan/compile';
import { analyze, forEachToken, parse, SyntaxKind } from '../../server/src/core';
import { exampleFiles, fixtures, rng, root, srlmFiles } from '../core/helpers';
import { mutate } from '../core/mutate';

const SEED = Number(process.env.SRLM_CHAOS_SEED ?? 20261202);
const ITERATIONS = Number(process.argv[2] ?? 600);
const PROCESSES = Number(process.argv[3] ?? 12);

type Category = 'check' | 'fmt' | 'idempotent' | 'meaning' | 'bytes' | 'utf8' | 'process';
const tally = new Map<Category, { tried: number; failed: number }>();
const failures: string[] = [];
/** Layout-only mutants that compiled, so the plan comparison really ran. */
let planned = 0;

async function trial(cat: Category, where: string, f: () => Promise<void> | void): Promise<void> {
  const t = tally.get(cat) ?? { tried: 0, failed: 0 };
  tally.set(cat, t);
  t.tried++;
  try {
    await f();
  } catch (e) {
    t.failed++;
    if (failures.length < 5) failures.push(`${cat} (${where}): ${e instanceof Error ? e.message : String(e)}`);
  }
}

const SEVERITIES = new Set(['error', 'warning', 'info', 'hint']);

function assertCheckJson(out: string): { code: string }[] {
  const list = JSON.parse(out) as unknown;
  assert.ok(Array.isArray(list), 'check --json prints an array');
  for (const d of list as Record<string, unknown>[]) {
    const r = d.range as { start: { line: number; character: number }; end: { line: number; character: number } };
    for (const p of [r.start, r.end]) assert.ok(Number.isInteger(p.line) && p.line >= 0 && p.character >= 0, 'range');
    assert.ok(SEVERITIES.has(d.severity as string), 'severity');
    assert.match(d.code as string, /^SRLM\d{3}$/);
    assert.ok(typeof d.message === 'string' && d.message.length <= 1000, 'message');
  }
  return list as { code: string }[];
}

/** Comment texts (trailing blanks aside: the formatter trims them) and string literals, in order. */
function preserved(text: string): string[] {
  const out: string[] = [];
  forEachToken(parse(text).tree, (t) => {
    if (t.kind === SyntaxKind.Comment) out.push(text.slice(t.start, t.end).trimEnd());
    else if (t.kind === SyntaxKind.String) out.push(text.slice(t.start, t.end));
  });
  return out;
}

function codes(text: string): string {
  return analyze(text)
    .diagnostics.map((d) => d.code)
    .sort()
    .join(' ');
}

/** The plan without what depends on the text's layout (its hash and the stages' source ranges). */
async function planOf(file: string, dir: string): Promise<string | undefined> {
  try {
    const { plan } = await compilePlan({ file, workspace: dir, fileChecks: false });
    return JSON.stringify({ ...plan, source: undefined, stages: plan.stages.map((s) => ({ ...s, source_range: 0 })) });
  } catch {
    return undefined;
  }
}

/** Layout-only changes: spaces, tabs, blank lines, CRLF, indentation: the plan must not change. */
function relayout(text: string, r: () => number): string {
  return text
    .split('\n')
    .map((line) => {
      let l = r() < 0.3 ? line.trimStart() : r() < 0.2 ? '\t' + line : line;
      if (r() < 0.3) l = l.replace(/ = /g, r() < 0.5 ? '=' : '   =  ');
      if (r() < 0.1) l += '   ';
      return l + (r() < 0.1 ? '\n' : '');
    })
    .join(r() < 0.3 ? '\r\n' : '\n');
}

async function run(): Promise<void> {
  const corpus = [...exampleFiles(), ...srlmFiles(path.join(fixtures, 'diagnostics'))].map((f) =>
    readFileSync(f, 'utf8'),
  );
  const r = rng(SEED);
  const dir = mkdtempSync(path.join(tmpdir(), 'srlm-chaos-'));
  const file = path.join(dir, 'p.srlm');
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      const original = corpus[i % corpus.length];
      const layoutOnly = i % 3 === 0;
      let text = original;
      if (layoutOnly) text = relayout(text, r);
      else for (let k = 1 + Math.floor(r() * 3); k > 0; k--) text = mutate(text, r);
      const where = `seed ${SEED}, iteration ${i}`;
      writeFileSync(file, text);
      await trial('check', where, async () => {
        const c = await srlm(['check', '--json', '--no-files', 'p.srlm'], dir, {});
        assert.ok(c.code === 0 || c.code === 1, `exit ${c.code}: ${c.stderr}`);
        const list = assertCheckJson(c.stdout);
        assert.equal(
          c.code === 1,
          list.some((d) => (d as { severity?: string }).severity === 'error'),
        );
        if (i % 10 === 0) {
          const human = await srlm(['check', '--no-files', 'p.srlm'], dir, {});
          assert.equal(human.code, c.code, 'human and JSON output agree on the exit status');
          assert.match(human.stdout, /\d+ errors?, \d+ warnings? in 1 file\n$/);
        }
      });
      const planBefore = layoutOnly ? await planOf(file, dir) : undefined;
      const f = await srlm(['fmt', 'p.srlm'], dir, {});
      const after = readFileSync(file, 'utf8');
      await trial('fmt', where, () => {
        assert.ok(f.code === 0 || f.code === 1, `exit ${f.code}: ${f.stderr}`);
        if (f.code === 1) assert.equal(after, text, 'a refused file is left as it was');
      });
      if (f.code !== 0) continue;
      await trial('idempotent', where, async () => {
        const again = await srlm(['fmt', '--check', 'p.srlm'], dir, {});
        assert.equal(again.code, 0, 'formatting a formatted file changes nothing');
      });
      await trial('bytes', where, () => assert.deepEqual(preserved(after), preserved(text)));
      await trial('meaning', where, async () => {
        assert.equal(codes(after), codes(text), 'same diagnostics before and after');
        if (layoutOnly) {
          assert.equal(await planOf(file, dir), planBefore, 'same plan before and after');
          if (planBefore !== undefined) planned++;
        }
      });
    }
    // Bytes that are not UTF-8, at a random place: an error, and fmt leaves the file alone.
    for (let i = 0; i < 50; i++) {
      const text = Buffer.from(corpus[i % corpus.length], 'utf8');
      const at = Math.floor(r() * text.length);
      const junk = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80]][i % 3];
      const bad = Buffer.concat([text.subarray(0, at), Buffer.from(junk), text.subarray(at)]);
      writeFileSync(file, bad);
      await trial('utf8', `seed ${SEED}, byte ${at}`, async () => {
        const c = await srlm(['check', '--json', '--no-files', 'p.srlm'], dir, {});
        assert.equal(c.code, 1);
        assert.ok(
          assertCheckJson(c.stdout).some((d) => d.code === 'SRLM008'),
          'SRLM008',
        );
        const f = await srlm(['fmt', 'p.srlm'], dir, {});
        assert.equal(f.code, 1);
        assert.ok(readFileSync(file).equals(bad), 'file untouched');
      });
    }
    // The bundle as a process: exit codes, JSON on stdout, no hang.
    const bundle = path.join(root, 'dist', 'srlm.js');
    for (let i = 0; i < PROCESSES; i++) {
      let text = corpus[i % corpus.length];
      for (let k = 0; k < 2; k++) text = mutate(text, r);
      writeFileSync(file, text);
      await trial('process', `seed ${SEED}, process ${i}`, () => {
        const c = spawnSync(process.execPath, [bundle, 'check', '--json', '--no-files', file], {
          encoding: 'utf8',
          timeout: 20_000,
        });
        assert.equal(c.signal, null, 'no hang');
        assert.ok(c.status === 0 || c.status === 1, `exit ${c.status}: ${c.stderr}`);
        assertCheckJson(c.stdout);
        const f = spawnSync(process.execPath, [bundle, 'fmt', file], { encoding: 'utf8', timeout: 20_000 });
        assert.ok(f.status === 0 || f.status === 1, `fmt exit ${f.status}: ${f.stderr}`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ tally: Object.fromEntries(tally), planned, failures }));
}

void run();

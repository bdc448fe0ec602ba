// Seeded fuzzing: thousands of mutations of the examples and fixtures (insert, delete, swap, duplicate,
// truncate). Each mutant must parse, check, format and answer cursor queries without throwing, keep a
// lossless tree, give in-bounds diagnostic ranges, format idempotently when it formats, and finish quickly.
// A failure prints the seed and iteration, so it reproduces with SRLM_FUZZ_SEED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyze, cursorContext, format, forEachToken } from '../../server/src/core';
import { exampleFiles, fixtures, rng, srlmFiles } from './helpers';
import { mutate } from './mutate';

const SEED = Number(process.env.SRLM_FUZZ_SEED ?? 20261126);
const ITERATIONS = Number(process.env.SRLM_FUZZ_ITERATIONS ?? 3000);
// Generous: the CI machine is shared; a typical mutant takes well under a millisecond.
const MAX_MS = 250;

test(`fuzz: ${ITERATIONS} seeded mutations (seed ${SEED})`, () => {
  const corpus = [...exampleFiles(), ...srlmFiles(path.join(fixtures, 'diagnostics'))].map((f) =>
    readFileSync(f, 'utf8'),
  );
  const r = rng(SEED);
  let worst = 0;
  let formatted = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    let text = corpus[i % corpus.length];
    const rounds = 1 + Math.floor(r() * 4);
    for (let k = 0; k < rounds; k++) text = mutate(text, r);
    const where = `seed ${SEED}, iteration ${i}: ${JSON.stringify(text.slice(0, 80))}…`;
    try {
      const t0 = performance.now();
      const doc = analyze(text);
      const ms = performance.now() - t0;
      worst = Math.max(worst, ms);
      assert.ok(ms < MAX_MS, `parse+check took ${ms.toFixed(1)} ms`);
      let total = 0;
      forEachToken(doc.tree, (t) => (total += t.end - t.start));
      assert.equal(total, text.length, 'lossless');
      for (const d of doc.diagnostics)
        assert.ok(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length, `range of ${d.code}`);
      for (let k = 0; k < 3; k++) cursorContext(doc, Math.floor(r() * (text.length + 1)));
      const f = format(text);
      if (f.text !== undefined) {
        formatted++;
        assert.equal(format(f.text).text, f.text, 'format is idempotent');
      }
    } catch (e) {
      assert.fail(`${where}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  // The mutations must leave some files formattable, or the idempotence branch is never exercised.
  assert.ok(formatted > ITERATIONS / 20, `only ${formatted} mutants formatted`);
  console.log(`fuzz: worst parse+check ${worst.toFixed(1)} ms, ${formatted} mutants formatted`);
});

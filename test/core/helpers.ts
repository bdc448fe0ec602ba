// Shared helpers of the core suites: fixture discovery and golden-file comparison.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';

export const root = path.resolve(__dirname, '..', '..');
export const fixtures = path.join(root, 'test', 'fixtures', 'core');

export function srlmFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.srlm'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function exampleFiles(): string[] {
  return srlmFiles(path.join(root, 'examples'));
}

/** Compares with a committed golden file; UPDATE_GOLDEN=1 writes it instead (a missing golden is a failure). */
export function assertGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) assert.fail(`golden file missing: ${path.relative(root, file)} (UPDATE_GOLDEN=1 writes it)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${path.relative(root, file)} differs (UPDATE_GOLDEN=1 to accept)`);
}

// Deterministic PRNG (the inference sampler's mulberry32) so a failure replays from its seed.
export { seededRandom as rng } from '../../runtime/src/inference/sampling';

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { extractAnswer, isCorrect } from '../../runtime/src/inference/answer';

const cases = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/inference/answers.json'), 'utf8')) as {
  extract: { text: string; answer: string | null }[];
  correct: { completion: string; gold: string; correct: boolean }[];
};

describe('answer extraction mirrors the engine', () => {
  it('extracts the same final answer as srlm_engine.rewards', () => {
    for (const c of cases.extract) assert.equal(extractAnswer(c.text) ?? null, c.answer, JSON.stringify(c.text));
  });
  it('judges correctness as the accuracy reward does', () => {
    for (const c of cases.correct) assert.equal(isCorrect(c.completion, c.gold), c.correct, JSON.stringify(c));
  });
  it('refuses an empty gold answer', () => {
    assert.throws(() => isCorrect('\\boxed{1}', '  '), /empty gold/);
  });
});

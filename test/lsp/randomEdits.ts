// Deterministic random edits over .srlm text, shared by the robustness tests and the benchmark.

// Deterministic PRNG (the inference sampler's mulberry32) so a failure replays from its seed.
export { seededRandom as rng } from '../../runtime/src/inference/sampling';

const SNIPPETS = [
  '{',
  '}',
  '=',
  '"',
  ' ',
  '\n',
  'stage ',
  'rl ',
  'lora {',
  '(',
  ')',
  '[',
  ']',
  ',',
  '+',
  '*',
  '#',
  'jsd(beta = ',
  'x',
  '0.5',
  '"./',
  'init = ',
  '\u00e9',
  '\t',
];

export interface Edit {
  start: number;
  end: number;
  text: string;
}

export function randomEdit(r: () => number, text: string, donors: string[]): Edit {
  const at = Math.floor(r() * (text.length + 1));
  if (r() < 0.5 && text.length > 0) {
    const len = Math.min(text.length - at, 1 + Math.floor(r() * 12));
    return { start: at, end: at + len, text: '' };
  }
  let ins: string;
  if (r() < 0.3) {
    // A slice of another example: realistic structure in unrealistic places.
    const d = donors[Math.floor(r() * donors.length)]!;
    const s = Math.floor(r() * d.length);
    ins = d.slice(s, s + 1 + Math.floor(r() * 40));
  } else ins = SNIPPETS[Math.floor(r() * SNIPPETS.length)]!;
  return { start: at, end: at, text: ins };
}

export function apply(text: string, e: Edit): string {
  return text.slice(0, e.start) + e.text + text.slice(e.end);
}

// Seeded text mutations shared by the core fuzz test and the chaos suite: insert a piece of syntax, delete,
// swap two ranges, duplicate, truncate, or copy a slice elsewhere.
const PIECES = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '=',
  ',',
  '"',
  '#',
  '\n',
  ' ',
  '-',
  '*',
  '+',
  '/',
  '@',
  '.',
  'x',
  '1e',
  '"\\',
  'stage',
  'rl',
  'lora {',
  'init =',
  '\uFFFD',
  '\u0000',
  '\r',
];

export function mutate(text: string, r: () => number): string {
  const pick = (n: number) => Math.floor(r() * n);
  const at = pick(text.length + 1);
  switch (pick(6)) {
    case 0:
      return text.slice(0, at) + PIECES[pick(PIECES.length)] + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + pick(12));
    case 2: {
      const b = pick(text.length + 1);
      const [lo, hi] = at < b ? [at, b] : [b, at];
      const len = Math.min(1 + pick(20), hi - lo);
      return (
        text.slice(0, lo) +
        text.slice(hi, hi + len) +
        text.slice(lo + len, hi) +
        text.slice(lo, lo + len) +
        text.slice(hi + len)
      );
    }
    case 3: {
      const len = 1 + pick(40);
      return text.slice(0, at) + text.slice(at, at + len) + text.slice(at);
    }
    case 4:
      return text.slice(0, at);
    default:
      return text.slice(0, at) + text.slice(pick(text.length), pick(text.length)) + text.slice(at);
  }
}

// Final-answer extraction, mirroring srlm_engine/rewards/builtin.py rule for rule so the inspector's gold check
// agrees with the engine's accuracy reward. Both sides are tested on test/fixtures/inference/answers.json.
// Known difference: answers that are not plain numbers go to math-verify in the engine; here they compare as
// normalised strings (whitespace removed), which can call an equivalent expression (1/2 vs \frac{1}{2}) wrong.

const BOXED = /\\(?:boxed|fbox)\s*\{/g;
const GSM8K = /####\s*([^\n]*)/g;
const THOUSANDS = /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Content of the last \boxed{...} (or \fbox{...}) with balanced braces; undefined when absent or unclosed. */
export function extractBoxed(text: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(BOXED)) {
    const start = m.index + m[0].length;
    let depth = 1;
    let i = start;
    while (i < text.length && depth > 0) {
      if (text[i] === '\\' && i + 1 < text.length && (text[i + 1] === '{' || text[i + 1] === '}')) {
        i += 2; // an escaped brace is content, not structure
        continue;
      }
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
      i++;
    }
    if (depth === 0) found = text.slice(start, i - 1);
  }
  return found;
}

/** The text after the last `####` marker up to the end of that line. */
export function extractGsm8k(text: string): string | undefined {
  const all = [...text.matchAll(GSM8K)];
  if (all.length === 0) return undefined;
  const ans = all[all.length - 1]![1]!.trim();
  return ans === '' ? undefined : ans;
}

function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** Drops `$`, surrounding spaces, a final period after a number, and thousands separators (1,234 → 1234). */
export function normalizeNumber(s: string): string {
  s = stripChars(s.trim(), '$').trim();
  if (s.endsWith('.') && NUMBER.test(s.slice(0, -1).replaceAll(',', ''))) s = s.slice(0, -1);
  if (THOUSANDS.test(s)) s = s.replaceAll(',', '');
  return s;
}

export function extractAnswer(text: string): string | undefined {
  const boxed = extractBoxed(text);
  if (boxed !== undefined) return normalizeNumber(boxed);
  const gsm = extractGsm8k(text);
  return gsm === undefined ? undefined : normalizeNumber(gsm);
}

/** Canonical decimal text, so 2.50, +2.5 and 2.5 compare equal without floating-point rounding. */
function canonicalDecimal(s: string): string | undefined {
  if (!NUMBER.test(s)) return undefined;
  let sign = '';
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? '-' : '';
    s = s.slice(1);
  }
  let [int = '', frac = ''] = s.split('.');
  int = int.replace(/^0+/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' ? '0' : sign + body;
}

export function isCorrect(completion: string, gold: string): boolean {
  let goldAnswer = extractAnswer(gold);
  if (goldAnswer === undefined) goldAnswer = normalizeNumber(gold);
  if (!goldAnswer) throw new Error(`empty gold answer: ${JSON.stringify(gold)}`);
  const pred = extractAnswer(completion);
  if (!pred) return false;
  const g = canonicalDecimal(goldAnswer);
  const p = canonicalDecimal(pred);
  if (g !== undefined && p !== undefined) return g === p;
  return goldAnswer.replace(/\s+/g, '') === pred.replace(/\s+/g, '');
}

// Tokens as text. Byte-level tokenizers (GPT-2, Qwen2) split a character of several UTF-8 bytes (accents, CJK,
// emoji) over several tokens, and a token may end inside one character and begin the next; decoded alone, such a
// token is U+FFFD. Views group tokens into the smallest runs that decode to whole characters and show each run's
// text once with every token's probability beside it.

/** What grouping needs of a generated token (`GeneratedToken` and the inspector's `TokenView` both have it). */
export interface RunToken {
  readonly text: string;
  readonly partial: boolean;
  readonly logprob: number;
}

export interface TokenRun<T extends RunToken> {
  /** The run's characters; '' for tokens left partial at the end (the output stopped inside a character). */
  readonly text: string;
  readonly tokens: readonly T[];
  /** log p of the whole run: the sum of its tokens' log-probabilities. */
  readonly logprob: number;
}

/** Consecutive partial tokens join the first non-partial token after them. */
export function tokenRuns<T extends RunToken>(tokens: readonly T[]): TokenRun<T>[] {
  const runs: TokenRun<T>[] = [];
  let open: T[] = [];
  const close = (text: string) => {
    runs.push({ text, tokens: open, logprob: open.reduce((s, t) => s + t.logprob, 0) });
    open = [];
  };
  for (const t of tokens) {
    open.push(t);
    if (!t.partial) close(t.text);
  }
  if (open.length > 0) close('');
  return runs;
}

/** GPT-2's byte-level alphabet: byte b is shown as this character in vocabulary entries (`Ġ` for a space). */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCharCode(printable(b) ? b : 256 + extra++), b);
  return map;
})();

/**
 * The bytes a vocabulary entry stands for: `<0xE4>` (SentencePiece byte fallback) or a byte-level entry
 * (`ä¸Ń`); undefined for entries of other vocabularies.
 */
export function tokenBytes(token: string): number[] | undefined {
  const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (fallback) return [parseInt(fallback[1], 16)];
  const bytes: number[] = [];
  for (const ch of token) {
    const b = BYTE_OF_CHAR.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return bytes;
}

/** `E4 B8` for the tooltip of a token that is part of a character. */
export function bytesLabel(token: string): string | undefined {
  return tokenBytes(token)
    ?.map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join(' ');
}

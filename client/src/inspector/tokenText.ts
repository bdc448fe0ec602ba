// How the inspector shows generated tokens: one span per run of tokens that decodes to whole characters
// (runtime/src/inference/tokenRuns.ts), coloured by the run's probability, with one mark per token when a character
// took several tokens, so no token's probability is hidden behind an empty span. Plain data, no DOM: the webview
// turns it into elements with textContent, and the tests read it directly.
import { bytesLabel, type TokenRun } from '../../../runtime/src/inference/tokenRuns';
import { logprobBand, type TokenView } from './protocol';

export interface TokenPart {
  readonly band: 0 | 1 | 2 | 3 | 4;
  readonly title: string;
}

export interface RunView {
  /** What the output shows: the characters, `⏎` for an end token, or the bytes of a character cut off. */
  readonly text: string;
  readonly band: 0 | 1 | 2 | 3 | 4;
  readonly special: boolean;
  /** The output stopped inside a character: `text` is its bytes, not text the model produced. */
  readonly incomplete: boolean;
  readonly title: string;
  /** One per token when the run has several; empty for a single token. */
  readonly parts: readonly TokenPart[];
  readonly logprob: number;
}

const p = (logprob: number) => `log p ${logprob.toFixed(3)} (p ${Math.exp(logprob).toFixed(3)})`;

function tokenTitle(t: TokenView): string {
  const bytes = t.partial || t.text === '' ? bytesLabel(t.token) : undefined;
  return `${JSON.stringify(t.token)}${bytes ? ` (bytes ${bytes})` : ''} · ${p(t.logprob)} · entropy ${t.entropy.toFixed(3)}`;
}

export function runView(run: TokenRun<TokenView>): RunView {
  const [first] = run.tokens;
  const special = run.tokens.length === 1 && first.special;
  const incomplete = run.text === '' && run.tokens.some((t) => t.partial);
  const text = special
    ? '⏎'
    : incomplete
      ? `⟨${run.tokens.map((t) => bytesLabel(t.token) ?? '?').join(' ')}⟩`
      : run.text;
  if (run.tokens.length === 1)
    return {
      text,
      band: logprobBand(run.logprob),
      special,
      incomplete,
      title: tokenTitle(first),
      parts: [],
      logprob: run.logprob,
    };
  const what = incomplete ? 'an incomplete character (the output stopped inside it)' : JSON.stringify(run.text);
  const title = [
    `${what} from ${run.tokens.length} tokens · together ${p(run.logprob)}`,
    ...run.tokens.map((t, i) => `${i + 1}. ${tokenTitle(t)}`),
  ].join('\n');
  const parts = run.tokens.map((t) => ({ band: logprobBand(t.logprob), title: tokenTitle(t) }));
  return { text, band: logprobBand(run.logprob), special: false, incomplete, title, parts, logprob: run.logprob };
}

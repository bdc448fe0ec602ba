// The lexer: one pass over the text, never fails. Every character lands in a token, so the parser can build a
// lossless tree; problems (stray characters, unterminated strings, bad escapes) are reported, not thrown.
import { Codes } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import { SyntaxKind as SyntaxKindImport } from './kinds';
import type { SyntaxNode } from './tree';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const SyntaxKind = SyntaxKindImport;
type SyntaxKind = SyntaxKindImport;

/** Lexer tokens become the tree's leaves as they are (the parser only sets `parent`), saving a copy each. */
export interface Token {
  kind: SyntaxKind;
  start: number;
  end: number;
  parent: SyntaxNode | undefined;
}

export interface LexResult {
  tokens: Token[];
  diagnostics: RawDiagnostic[];
}

/**
 * The lexer's own output, used by the parser: token kinds and start offsets in typed arrays, no object per
 * token. Tokens tile the text, so token i ends where token i+1 starts (`starts[count]` is the text length).
 * The parser creates each token's tree leaf once, when it places it; typed arrays keep the rest of the
 * lexer's output out of the garbage collector's way (their backing stores are never copied or scanned).
 */
export interface TokenStream {
  count: number;
  kinds: Uint8Array;
  /** `count + 1` entries; the last is the text length. */
  starts: Int32Array;
  diagnostics: RawDiagnostic[];
}

/** Tokens as objects (the public `lex` API: tests and tools; the parser reads the typed stream). */
export function lex(text: string): LexResult {
  const s = scan(text);
  const tokens: Token[] = new Array(s.count);
  for (let i = 0; i < s.count; i++)
    tokens[i] = { kind: s.kinds[i], start: s.starts[i], end: s.starts[i + 1], parent: undefined };
  return { tokens, diagnostics: s.diagnostics };
}

const enum Ch {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Quote = 34,
  Hash = 35,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D9 = 57,
  Eq = 61,
  At = 64,
  A = 65,
  Z = 90,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Underscore = 95,
  a = 97,
  z = 122,
  LBrace = 123,
  RBrace = 125,
  Bom = 0xfeff,
  E = 69,
  e = 101,
}

function isIdentStart(c: number): boolean {
  return (c >= Ch.a && c <= Ch.z) || (c >= Ch.A && c <= Ch.Z) || c === Ch.Underscore;
}

function isDigit(c: number): boolean {
  return c >= Ch.D0 && c <= Ch.D9;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

// Single-character tokens by char code (0 = none): a typed table is faster than an object lookup per char.
const SINGLE = new Uint8Array(128);
SINGLE[Ch.LBrace] = SyntaxKind.LBrace;
SINGLE[Ch.RBrace] = SyntaxKind.RBrace;
SINGLE[Ch.LParen] = SyntaxKind.LParen;
SINGLE[Ch.RParen] = SyntaxKind.RParen;
SINGLE[Ch.LBracket] = SyntaxKind.LBracket;
SINGLE[Ch.RBracket] = SyntaxKind.RBracket;
SINGLE[Ch.Eq] = SyntaxKind.Eq;
SINGLE[Ch.Comma] = SyntaxKind.Comma;
SINGLE[Ch.Plus] = SyntaxKind.Plus;
SINGLE[Ch.Minus] = SyntaxKind.Minus;
SINGLE[Ch.Star] = SyntaxKind.Star;
SINGLE[Ch.Slash] = SyntaxKind.Slash;

function startsToken(c: number): boolean {
  return (
    c === Ch.Space ||
    c === Ch.Tab ||
    c === Ch.Bom ||
    c === Ch.LF ||
    c === Ch.CR ||
    c === Ch.Hash ||
    c === Ch.Quote ||
    isIdentStart(c) ||
    isDigit(c) ||
    (c < 128 && SINGLE[c] !== 0)
  );
}

const VALID_ESCAPES = new Set(['"', '\\', 'n', 't', 'r', '/']);

export function scan(text: string): TokenStream {
  const diagnostics: RawDiagnostic[] = [];
  const n = text.length;
  // Roughly one token per three characters in real files; the arrays double when that guess is short.
  let cap = (n >> 2) + 16;
  let kinds = new Uint8Array(cap);
  let starts = new Int32Array(cap + 1);
  let count = 0;
  let i = 0;
  while (i < n) {
    const start = i;
    const c = text.charCodeAt(i);
    let kind: SyntaxKind;
    if (c === Ch.Space || c === Ch.Tab || c === Ch.Bom || c === Ch.LF || c === Ch.CR) {
      // One trivia token per run of blanks, line breaks included: about a seventh fewer tree leaves. A
      // byte-order mark some editors write at the start counts as a blank.
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d !== Ch.Space && d !== Ch.Tab && d !== Ch.LF && d !== Ch.CR && d !== Ch.Bom) break;
      }
      kind = SyntaxKind.Whitespace;
    } else if (c === Ch.Hash) {
      while (i < n && text.charCodeAt(i) !== Ch.LF && text.charCodeAt(i) !== Ch.CR) i++;
      kind = SyntaxKind.Comment;
    } else if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      // `pass@8`, `maj@16`: metric names carry their sample count.
      if (text.charCodeAt(i) === Ch.At && isDigit(text.charCodeAt(i + 1))) {
        i += 2;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      // Keywords by character codes: no string is cut out of the text per name.
      const len = i - start;
      kind =
        len === 4 && text.startsWith('true', start)
          ? SyntaxKind.True
          : len === 5 && text.startsWith('false', start)
            ? SyntaxKind.False
            : SyntaxKind.Ident;
    } else if (isDigit(c)) {
      i = lexNumber(text, i);
      // `4e` or `12abc` are one malformed number, not a number followed by a name.
      if (i < n && (isIdentStart(text.charCodeAt(i)) || text.charCodeAt(i) === Ch.Dot)) {
        while (i < n && (isIdentPart(text.charCodeAt(i)) || text.charCodeAt(i) === Ch.Dot)) i++;
        diagnostics.push({
          info: Codes.invalidEscape,
          message: `'${text.slice(start, i)}' is not a valid number`,
          span: { start, end: i },
        });
      }
      kind = SyntaxKind.Number;
    } else if (c === Ch.Quote) {
      i = lexString(text, i, diagnostics);
      kind = SyntaxKind.String;
    } else {
      const single = c < 128 ? SINGLE[c] : 0;
      if (single !== 0) {
        i++;
        kind = single;
      } else {
        // One token for a whole run of stray characters keeps binary input from exploding the token count.
        i++;
        while (i < n && !startsToken(text.charCodeAt(i))) i++;
        kind = SyntaxKind.Unknown;
        const shown = text.slice(start, Math.min(i, start + 20));
        diagnostics.push({
          info: Codes.unexpectedCharacter,
          message: `unexpected character${i - start > 1 ? 's' : ''} ${JSON.stringify(shown)}${i - start > 20 ? '…' : ''}`,
          span: { start, end: i },
        });
      }
    }
    if (count === cap) {
      cap *= 2;
      const k2 = new Uint8Array(cap);
      k2.set(kinds);
      kinds = k2;
      const s2 = new Int32Array(cap + 1);
      s2.set(starts);
      starts = s2;
    }
    kinds[count] = kind;
    starts[count] = start;
    count++;
  }
  starts[count] = n;
  return { count, kinds, starts, diagnostics };
}

function lexNumber(text: string, i: number): number {
  const n = text.length;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === Ch.Dot && isDigit(text.charCodeAt(i + 1))) {
    i++;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === Ch.e || e === Ch.E) {
    let j = i + 1;
    const s = text.charCodeAt(j);
    if (s === Ch.Plus || s === Ch.Minus) j++;
    if (isDigit(text.charCodeAt(j))) {
      i = j;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
  }
  return i;
}

function lexString(text: string, i: number, diagnostics: RawDiagnostic[]): number {
  const start = i;
  const n = text.length;
  i++;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === Ch.Quote) return i + 1;
    if (c === Ch.LF || c === Ch.CR) break;
    if (c === Ch.Backslash) {
      const next = text[i + 1];
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        i += 6;
        continue;
      }
      if (next === undefined || next === '\n' || next === '\r') {
        i++;
        break;
      }
      if (!VALID_ESCAPES.has(next)) {
        diagnostics.push({
          info: Codes.invalidEscape,
          message: `invalid escape '\\${next}' in string (use \\\\, \\", \\n, \\t, \\r, \\/ or \\uXXXX)`,
          span: { start: i, end: i + 2 },
        });
      }
      i += 2;
      continue;
    }
    i++;
  }
  diagnostics.push({
    info: Codes.unterminatedString,
    message: "unterminated string: add a closing '\"' before the end of the line",
    span: { start, end: i },
    fixes: [{ title: 'Close the string', edits: [{ span: { start: i, end: i }, newText: '"' }] }],
  });
  return i;
}

/** The value of a string token's text: quotes removed, escapes decoded, tolerant of unterminated strings. */
export function decodeString(raw: string): string {
  let body = raw.slice(1);
  if (body.endsWith('"') && raw.length >= 2) body = body.slice(0, -1);
  if (!body.includes('\\')) return body;
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    switch (e) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      default:
        return e;
    }
  });
}

/** Quotes a value as a .srlm string literal (used by fixes and the formatter). */
export function encodeString(value: string): string {
  return (
    '"' +
    value
      .replace(/[\\"]/g, (m) => '\\' + m)
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
      .replace(/\r/g, '\\r') +
    '"'
  );
}

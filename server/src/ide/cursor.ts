// What the cursor is on, decided from tokens rather than a perfect tree so that it works while the user is
// typing (unterminated strings, missing values, unclosed braces): the chain of enclosing blocks, and whether
// the cursor names a block, a field, or a value — and for a value, inside which call, list or string.
import { BlockAst, type SourceFile } from '../core/syntax/ast';
import { SyntaxKind } from '../core/syntax/kinds';
import { isNode, type SyntaxToken } from '../core/syntax/tree';
import { blockSpec } from '../core/schema/lookup';
import { settingsStageKind } from '../core/semantics/study';
import type { BlockSpec } from '../core/schema/types';
import type { Span } from '../core/text/lineIndex';
import type { IdeDocument } from './document';

export interface BlockFrame {
  block: BlockAst;
  kind: string;
  /** `sft` / `kd` / `rl` for stage blocks. */
  stageKind?: string;
  spec: BlockSpec | undefined;
}

export type CursorPlace =
  /** Start of an item inside a block body (or at the top level when `blocks` is empty). */
  | { type: 'key' }
  /** Typing a block's labels: `stage |` (stage kind) or `model |` (a new name). */
  | { type: 'header'; keyword: string; labelIndex: number }
  | {
      type: 'value';
      /** The attribute's key as written (may be an alias). */
      key: string;
      keySpan: Span;
      /** Innermost call around the cursor, with the named argument being written. */
      call?: { name: string; nameSpan: Span; argName?: string; argIndex: number };
      inList: boolean;
      /** Tokens of this value before the cursor (for reward expressions and the like). */
      before: SyntaxToken[];
    }
  | { type: 'none' };

export interface CursorContext {
  offset: number;
  blocks: BlockFrame[];
  place: CursorPlace;
  /** The word or string under the cursor that a completion replaces. */
  replace: Span;
  /** Text of `replace` up to the cursor. */
  prefix: string;
  /** Set when the cursor is inside a string literal: its decoded content up to the cursor. */
  inString?: { content: string; span: Span; contentStart: number };
}

function frame(block: BlockAst, parent: BlockFrame | undefined): BlockFrame {
  const kind = block.kind;
  // A study variant's settings block (`polish { … }`) takes the fields of the stage it names.
  const settingsOf = parent?.kind === 'variant' ? settingsStageKind(block) : undefined;
  const stageKind = kind === 'stage' ? block.labels[0]?.value : settingsOf;
  // `kd` is a stage kind at pipeline level but the KD-regulariser block inside an rl stage.
  const spec =
    parent === undefined && kind !== 'pipeline'
      ? undefined
      : settingsOf !== undefined
        ? blockSpec('stage', settingsOf)
        : blockSpec(kind, stageKind);
  return { block, kind, stageKind, spec };
}

/** Blocks whose body (between the braces) contains `offset`, outermost first. */
export function enclosingBlocks(file: SourceFile, offset: number): BlockFrame[] {
  const out: BlockFrame[] = [];
  let candidates = file.items().filter((i): i is BlockAst => i.type === 'block');
  for (;;) {
    let found: BlockAst | undefined;
    for (const b of candidates) {
      const br = b.braces;
      if (!br || !b.body) continue;
      const bodyOpen = b.body.children.some((c) => !isNode(c) && c.kind === SyntaxKind.LBrace);
      if (!bodyOpen) continue;
      if (offset >= br.open && (br.closed ? offset <= br.close : true)) found = b;
    }
    if (!found) return out;
    out.push(frame(found, out[out.length - 1]));
    candidates = found.blocks();
  }
}

const OPERATORS = new Set([
  SyntaxKind.Eq,
  SyntaxKind.Plus,
  SyntaxKind.Minus,
  SyntaxKind.Star,
  SyntaxKind.Slash,
  SyntaxKind.Comma,
  SyntaxKind.LParen,
  SyntaxKind.LBracket,
]);

const BLOCK_KEYWORDS = new Set(['pipeline', 'model', 'dataset', 'stage', 'eval', 'study', 'variant']);

export function cursorContext(doc: IdeDocument, offset: number): CursorContext {
  const text = doc.text;
  const blocks = enclosingBlocks(doc.model.file, offset);
  const toks = doc.tokens;

  // The word being typed: an identifier-ish run ending at the cursor (`pass@`, `q_pr`), or a string.
  let replace: Span = { start: offset, end: offset };
  let inString: CursorContext['inString'];
  const at = doc.tokenAt(offset);
  if (at && at.kind === SyntaxKind.String && offset > at.start) {
    const raw = text.slice(at.start, at.end);
    const closed = raw.length >= 2 && raw.endsWith('"') && !raw.endsWith('\\"');
    const contentEnd = closed ? at.end - 1 : at.end;
    if (offset <= contentEnd || !closed) {
      inString = {
        content: text.slice(at.start + 1, offset),
        span: { start: at.start, end: at.end },
        contentStart: at.start + 1,
      };
      replace = { start: at.start + 1, end: contentEnd };
    }
  } else {
    let s = offset;
    while (s > 0 && /[\w@.-]/.test(text[s - 1]!)) s--;
    let e = offset;
    while (e < text.length && /[\w@]/.test(text[e]!)) e++;
    replace = { start: s, end: e };
  }
  const prefix = inString ? inString.content : text.slice(replace.start, offset);

  // Last significant token before what is being typed.
  const wordStart = inString ? inString.span.start : replace.start;
  const i = doc.tokenIndexBefore(wordStart);
  const prev = toks[i];

  // Labels of a block header on this line: `stage sf|`, `model |`.
  const lineStart = text.lastIndexOf('\n', wordStart - 1) + 1;
  const lineBefore = text.slice(lineStart, wordStart);
  const header = /^\s*([A-Za-z_]\w*)((?:\s+[A-Za-z_"][\w"]*)*)\s+$/.exec(lineBefore);
  if (header && BLOCK_KEYWORDS.has(header[1]!) && !inString) {
    const labelIndex = header[2]!.trim() === '' ? 0 : header[2]!.trim().split(/\s+/).length;
    return { offset, blocks, place: { type: 'header', keyword: header[1]!, labelIndex }, replace, prefix, inString };
  }

  if (!prev || prev.kind === SyntaxKind.LBrace || prev.kind === SyntaxKind.RBrace || !OPERATORS.has(prev.kind)) {
    // After a complete value, a brace, or nothing: a new item starts here — unless the previous token is on
    // the same line and is a block keyword's label (handled above) or the cursor sits right after a value.
    if (
      prev &&
      !OPERATORS.has(prev.kind) &&
      prev.end === wordStart &&
      prev.kind !== SyntaxKind.LBrace &&
      prev.kind !== SyntaxKind.RBrace
    ) {
      return { offset, blocks, place: { type: 'none' }, replace, prefix, inString };
    }
    return { offset, blocks, place: { type: 'key' }, replace, prefix, inString };
  }

  // Inside a value: walk back to the attribute's `=`, noting the innermost call or list on the way.
  let depth = 0;
  let call: { name: string; nameSpan: Span; argName?: string; argIndex: number } | undefined;
  let argName: string | undefined;
  let argIndex = 0;
  let inList = false;
  let sawEnclosing = false;
  for (let j = i; j >= 0; j--) {
    const t = toks[j]!;
    if (t.kind === SyntaxKind.LBrace || t.kind === SyntaxKind.RBrace) break;
    if (t.kind === SyntaxKind.RParen || t.kind === SyntaxKind.RBracket) {
      depth++;
      continue;
    }
    if (t.kind === SyntaxKind.LParen || t.kind === SyntaxKind.LBracket) {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (!sawEnclosing) {
        sawEnclosing = true;
        const before = toks[j - 1];
        if (t.kind === SyntaxKind.LParen && before && before.kind === SyntaxKind.Ident) {
          call = {
            name: text.slice(before.start, before.end),
            nameSpan: { start: before.start, end: before.end },
            argName,
            argIndex,
          };
        } else if (t.kind === SyntaxKind.LBracket) inList = true;
      }
      continue;
    }
    if (depth > 0) continue;
    if (t.kind === SyntaxKind.Comma && !sawEnclosing) {
      argIndex++;
      continue;
    }
    if (t.kind === SyntaxKind.Eq) {
      const key = toks[j - 1];
      if (!key || key.kind !== SyntaxKind.Ident) break;
      if (!sawEnclosing) {
        // `beta = |` inside a call: a named argument; keep walking to find the call and the attribute.
        const inCall = findOpenParenBefore(toks, j);
        if (inCall) {
          argName = text.slice(key.start, key.end);
          continue;
        }
      }
      return {
        offset,
        blocks,
        place: {
          type: 'value',
          key: text.slice(key.start, key.end),
          keySpan: { start: key.start, end: key.end },
          call,
          inList,
          before: toks.slice(j + 1, i + 1),
        },
        replace,
        prefix,
        inString,
      };
    }
  }
  return { offset, blocks, place: { type: 'none' }, replace, prefix, inString };
}

/** True when an unmatched `(` precedes token j before any `=`/brace at its level (j is a named arg's `=`). */
function findOpenParenBefore(toks: SyntaxToken[], j: number): boolean {
  let depth = 0;
  for (let k = j - 1; k >= 0; k--) {
    const t = toks[k]!;
    if (t.kind === SyntaxKind.RParen || t.kind === SyntaxKind.RBracket) depth++;
    else if (t.kind === SyntaxKind.LParen) {
      if (depth === 0) return true;
      depth--;
    } else if (t.kind === SyntaxKind.LBracket) {
      if (depth === 0) return false;
      depth--;
    } else if (
      depth === 0 &&
      (t.kind === SyntaxKind.Eq || t.kind === SyntaxKind.LBrace || t.kind === SyntaxKind.RBrace)
    ) {
      return false;
    }
  }
  return false;
}

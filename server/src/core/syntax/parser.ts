// A resilient recursive-descent parser in the style of matklad's "Resilient LL Parsing": it never throws,
// always consumes input, wraps what it cannot understand in Error nodes and keeps going, so the rest of the
// file stays meaningful (completion and hover keep working in broken files).
//
// Nodes are built directly: trivia seen before a token are flushed into the node that is open when the token
// is consumed; trivia before a new node go to its parent, so every node's span starts and ends at a
// significant token, which gives diagnostics tight ranges.
import { Codes, type CodeInfo } from '../diagnostics/codes';
import type { RawDiagnostic } from '../diagnostics/diagnostic';
import { SyntaxKind as SyntaxKindImport, isTrivia as isTriviaImport, tokenDisplay } from './kinds';
import { scan, type Token, type TokenStream } from './lexer';
import type { SyntaxElement, SyntaxNode, SyntaxToken } from './tree';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const SyntaxKind = SyntaxKindImport;
type SyntaxKind = SyntaxKindImport;
const isTrivia = isTriviaImport;

/** Files above this size get one diagnostic instead of a parse: keeps memory bounded (see docs/language.md). */
export const MAX_PARSE_CHARS = 8 * 1024 * 1024;
/** Brackets and blocks nested deeper than this are skipped flat, so no walk of the tree can overflow the stack. */
export const MAX_DEPTH = 64;
/** Syntax errors reported per file; the rest are summarised in one SRLM007 note. */
export const MAX_SYNTAX_ERRORS = 200;

export interface ParseResult {
  root: SyntaxNode;
  diagnostics: RawDiagnostic[];
}

export function parseText(text: string): ParseResult {
  if (text.length > MAX_PARSE_CHARS) {
    const root: SyntaxNode = {
      kind: SyntaxKind.File,
      start: 0,
      end: text.length,
      children: [],
      parent: undefined,
      ast: undefined,
    };
    const error: SyntaxNode = {
      kind: SyntaxKind.Error,
      start: 0,
      end: text.length,
      children: [],
      parent: root,
      ast: undefined,
    };
    error.children.push({ kind: SyntaxKind.Unknown, start: 0, end: text.length, parent: error } as SyntaxToken);
    root.children.push(error);
    return {
      root,
      diagnostics: [
        {
          info: Codes.tooLarge,
          message: `file is ${(text.length / 1048576).toFixed(1)} MiB; files above ${MAX_PARSE_CHARS / 1048576} MiB are not analysed`,
          span: { start: 0, end: 0 },
        },
      ],
    };
  }
  const lexed = scan(text);
  const p = new Parser(text, lexed);
  p.parseFile();
  const diagnostics = lexed.diagnostics.concat(p.diagnostics);
  if (diagnostics.length > MAX_SYNTAX_ERRORS) {
    const rest = diagnostics.length - MAX_SYNTAX_ERRORS;
    diagnostics.sort((a, b) => a.span.start - b.span.start);
    diagnostics.length = MAX_SYNTAX_ERRORS;
    const at = diagnostics[diagnostics.length - 1].span;
    diagnostics.push({ info: Codes.tooManyErrors, message: `${rest} more syntax errors not shown`, span: at });
  }
  return { root: p.root, diagnostics };
}

const EXPR_START = new Set([
  SyntaxKind.Number,
  SyntaxKind.String,
  SyntaxKind.True,
  SyntaxKind.False,
  SyntaxKind.Ident,
  SyntaxKind.LBracket,
  SyntaxKind.LParen,
  SyntaxKind.Minus,
]);

const BINARY_PREC: Partial<Record<SyntaxKind, number>> = {
  [SyntaxKind.Plus]: 1,
  [SyntaxKind.Minus]: 1,
  [SyntaxKind.Star]: 2,
  [SyntaxKind.Slash]: 2,
};

/**
 * Placeholder `children` of a node while it is open: its children collect in the parser's shared scratch
 * array and become one exactly-sized array when it closes. Never visible outside the parser.
 */
const OPEN_CHILDREN: SyntaxElement[] = [];

class Parser {
  readonly root: SyntaxNode;
  readonly diagnostics: RawDiagnostic[] = [];
  /**
   * Indices into the token stream of the significant (non-trivia) tokens, in a typed array: it is scratch for one
   * parse, and a typed array's backing store is one block the garbage collector never copies.
   */
  private readonly sig: Int32Array;
  private readonly sigCount: number;
  private si = 0;
  /** First token not yet placed in the tree. */
  private flushed = 0;
  private readonly stack: SyntaxNode[];
  /**
   * Children of all open nodes, innermost last: open node i's children are `scratch[marks[i] .. scratchLen)`
   * up to the next mark. Building children here and copying each node's run out once, exactly sized, when it
   * closes allocates a third of what growing one array per node (and trimming it) did; the tree is most of
   * what a large file allocates, and allocation volume is what the young-generation GC charges for.
   */
  private readonly scratch: SyntaxElement[] = [];
  private scratchLen = 0;
  private readonly marks: number[] = [0];
  private depth = 0;
  private errorCount = 0;

  private readonly kinds: Uint8Array;
  private readonly starts: Int32Array;
  private readonly tokenCount: number;
  /** The leaf last made by `current()` before it is placed, so `bump` reuses it (see `current`). */
  private pendingIndex = -1;
  private pendingToken: Token | undefined;

  constructor(
    private readonly text: string,
    stream: TokenStream,
  ) {
    this.kinds = stream.kinds;
    this.starts = stream.starts;
    this.tokenCount = stream.count;
    // Stray characters were reported by the lexer; the parser steps over them like trivia so they cost one
    // diagnostic, not two, and do not derail the surrounding construct.
    const kinds = stream.kinds;
    const sig = new Int32Array(stream.count);
    let n = 0;
    for (let i = 0; i < stream.count; i++) {
      const k = kinds[i];
      if (!isTrivia(k) && k !== SyntaxKind.Unknown) sig[n++] = i;
    }
    this.sig = sig;
    this.sigCount = n;
    this.root = {
      kind: SyntaxKind.File,
      start: 0,
      end: text.length,
      children: OPEN_CHILDREN,
      parent: undefined,
      ast: undefined,
    };
    this.stack = [this.root];
  }

  // ---- token cursor -------------------------------------------------------------------------------------

  /** Token index of significant token `k` after the cursor (k may be -1), or -1 past either end. */
  private sigAt(k: number): number {
    const j = this.si + k;
    return j >= 0 && j < this.sigCount ? this.sig[j] : -1;
  }

  private nth(k: number): SyntaxKind | undefined {
    const i = this.sigAt(k);
    return i < 0 ? undefined : this.kinds[i];
  }

  /** The tree leaf of token `i`: made here, once, when the parser places or first inspects the token. */
  private token(i: number, parent: SyntaxNode): Token {
    return { kind: this.kinds[i], start: this.starts[i], end: this.starts[i + 1], parent };
  }

  private at(kind: SyntaxKind): boolean {
    return this.nth(0) === kind;
  }

  private eof(): boolean {
    return this.si >= this.sigCount;
  }

  /**
   * The token under the cursor (for its offsets). Callers almost always `bump` it next, so the leaf made
   * here is kept and placed by `bump` rather than made twice.
   */
  private current(): Token | undefined {
    const i = this.sigAt(0);
    if (i < 0) return undefined;
    if (this.pendingIndex !== i) {
      this.pendingIndex = i;
      // Made with a provisional parent so every leaf's `parent` field holds a node from birth (a field that
      // starts `undefined` and later holds objects makes V8 generalise and migrate the leaves' shape).
      this.pendingToken = this.token(i, this.top());
    }
    return this.pendingToken;
  }

  /** End offset of the last consumed significant token: where "expected X" errors point. */
  private prevEnd(): number {
    const i = this.sigAt(-1);
    return i < 0 ? 0 : this.starts[i + 1];
  }

  /** True when a line break separates significant token `k` (relative to the cursor) from the one before it. */
  private newlineBeforeNth(k: number): boolean {
    const a = this.sigAt(k - 1);
    const b = this.sigAt(k);
    if (a < 0 || b < 0) return false;
    for (let i = a + 1; i < b; i++) {
      if (this.kinds[i] === SyntaxKind.Whitespace) {
        for (let j = this.starts[i]; j < this.starts[i + 1]; j++) {
          const c = this.text.charCodeAt(j);
          if (c === 10 || c === 13) return true;
        }
      }
    }
    return false;
  }

  private newlineBefore(): boolean {
    const i = this.sigAt(0);
    if (i < 0) return false;
    for (let j = this.prevEnd(); j < this.starts[i]; j++) {
      const c = this.text.charCodeAt(j);
      if (c === 10 || c === 13) return true;
    }
    return false;
  }

  private top(): SyntaxNode {
    return this.stack[this.stack.length - 1];
  }

  /** Appends a child to the innermost open node. */
  private pushChild(e: SyntaxElement): void {
    this.scratch[this.scratchLen++] = e;
  }

  /** The innermost open node's last child so far (the Error node `skipNested` just closed). */
  private lastChild(): SyntaxNode {
    return this.scratch[this.scratchLen - 1] as SyntaxNode;
  }

  private flushTrivia(upTo: number): void {
    const into = this.top();
    while (this.flushed < upTo) this.pushChild(this.token(this.flushed++, into));
  }

  private bump(): void {
    const idx = this.sigAt(0);
    if (idx < 0) return;
    this.flushTrivia(idx);
    let t: Token;
    if (this.pendingIndex === idx) {
      t = this.pendingToken as Token;
      t.parent = this.top();
      this.pendingIndex = -1;
      this.pendingToken = undefined;
    } else t = this.token(idx, this.top());
    this.pushChild(t);
    this.flushed = idx + 1;
    this.si++;
  }

  private open(kind: SyntaxKind): SyntaxNode {
    const next = this.sigAt(0);
    this.flushTrivia(next < 0 ? this.tokenCount : next);
    const parent = this.top();
    const node: SyntaxNode = { kind, start: -1, end: -1, children: OPEN_CHILDREN, parent, ast: undefined };
    this.pushChild(node);
    this.marks.push(this.scratchLen);
    this.stack.push(node);
    return node;
  }

  /** Re-parents the last child of the open node under a new node (for binary operators' left operand). */
  private openBefore(kind: SyntaxKind, child: SyntaxNode): SyntaxNode {
    const parent = this.top();
    const node: SyntaxNode = { kind, start: -1, end: -1, children: OPEN_CHILDREN, parent, ast: undefined };
    // `child` is the parent's last child: the new node takes its slot and its run starts with `child`.
    this.scratch[this.scratchLen - 1] = node;
    this.marks.push(this.scratchLen);
    this.pushChild(child);
    child.parent = node;
    this.stack.push(node);
    return node;
  }

  /** Moves the innermost open node's run of children out of the scratch array into an exact-size array. */
  private takeChildren(): SyntaxElement[] {
    const mark = this.marks.pop() as number;
    const children = this.scratch.slice(mark, this.scratchLen);
    this.scratchLen = mark;
    return children;
  }

  private close(): SyntaxNode {
    const node = this.stack.pop() as SyntaxNode;
    const children = this.takeChildren();
    (node as { children: SyntaxElement[] }).children = children;
    if (children.length > 0) {
      node.start = children[0].start;
      node.end = children[children.length - 1].end;
    } else {
      node.start = node.end = this.prevEnd();
    }
    return node;
  }

  private error(
    message: string,
    start: number,
    end: number,
    info: CodeInfo = Codes.syntax,
    extra?: Partial<RawDiagnostic>,
  ): void {
    this.errorCount++;
    if (this.errorCount > MAX_SYNTAX_ERRORS + 1) return;
    this.diagnostics.push({ info, message, span: { start, end }, ...extra });
  }

  private errorHere(message: string): void {
    const at = this.prevEnd();
    this.error(message, at, at);
  }

  private expect(kind: SyntaxKind, context: string): boolean {
    if (this.at(kind)) {
      this.bump();
      return true;
    }
    this.errorHere(`expected ${tokenDisplay(kind)} ${context}${this.foundText()}`);
    return false;
  }

  private foundText(): string {
    const t = this.current();
    if (!t) return ', found the end of the file';
    const s = this.text.slice(t.start, Math.min(t.end, t.start + 24));
    return `, found '${s}'`;
  }

  // ---- grammar ------------------------------------------------------------------------------------------

  parseFile(): void {
    while (!this.eof()) {
      const before = this.si;
      this.parseItem(true);
      this.ensureProgress(before);
    }
    this.flushTrivia(this.tokenCount);
    (this.root as { children: SyntaxElement[] }).children = this.takeChildren();
  }

  /** Item = Attribute | Block. Always consumes at least one token. */
  private parseItem(topLevel: boolean): void {
    const k0 = this.nth(0);
    if (k0 === SyntaxKind.Ident) {
      const k1 = this.nth(1);
      if (k1 === SyntaxKind.Eq) return this.parseAttribute();
      // Labels sit on the header's line: `lo` alone on a line, then `lora {`, is a half-typed item, not a block.
      if (
        k1 === SyntaxKind.LBrace ||
        ((k1 === SyntaxKind.Ident || k1 === SyntaxKind.String) && !this.newlineBeforeNth(1))
      ) {
        return this.parseBlock();
      }
      if (k1 !== undefined && EXPR_START.has(k1) && k1 !== SyntaxKind.LParen) {
        // `lr 4e-5`: most likely a forgotten '='; parse the value so the rest of the line is understood.
        return this.parseAttribute();
      }
      const t = this.current() as Token;
      this.open(SyntaxKind.Error);
      this.bump();
      this.close();
      const name = this.text.slice(t.start, t.end);
      this.error(`expected '=' or '{' after '${name}'${this.foundText()}`, t.start, t.end);
      return;
    }
    const t = this.current() as Token;
    const err = this.open(SyntaxKind.Error);
    if (k0 === SyntaxKind.RBrace && topLevel) {
      this.bump();
      this.close();
      this.error("unmatched '}'", t.start, t.end);
      return;
    }
    // Skip to something that can start an item or end the block; skip bracketed groups whole.
    const startSi = this.si;
    let depth = 0;
    while (!this.eof()) {
      const k = this.nth(0) as SyntaxKind;
      if (depth === 0 && (k === SyntaxKind.Ident || k === SyntaxKind.RBrace) && this.si > startSi) break;
      if (k === SyntaxKind.LBrace || k === SyntaxKind.LBracket || k === SyntaxKind.LParen) depth++;
      else if (k === SyntaxKind.RBrace || k === SyntaxKind.RBracket || k === SyntaxKind.RParen) {
        if (depth === 0 && k === SyntaxKind.RBrace) break;
        depth = Math.max(0, depth - 1);
      }
      this.bump();
    }
    this.close();
    this.error(
      `expected a field (name = value) or a block${topLevel ? '' : " or '}'"}, found '${this.text.slice(t.start, Math.min(err.end, t.start + 24))}'`,
      err.start,
      err.end,
    );
  }

  private parseAttribute(): void {
    this.open(SyntaxKind.Attribute);
    const key = this.current() as Token;
    this.bump();
    if (this.at(SyntaxKind.Eq)) this.bump();
    else
      this.error(`expected '=' after '${this.text.slice(key.start, key.end)}'`, key.end, key.end, Codes.syntax, {
        fixes: [{ title: "Insert '='", edits: [{ span: { start: key.end, end: key.end }, newText: ' =' }] }],
      });
    // `lr =` at a line end followed by `model qwen {`: the value is missing, the next line is a block header.
    const k1 = this.nth(1);
    const headerNext =
      this.at(SyntaxKind.Ident) && (k1 === SyntaxKind.Ident || k1 === SyntaxKind.String) && this.newlineBefore();
    if (headerNext || !this.parseExpr(0))
      this.errorHere(`expected a value for '${this.text.slice(key.start, key.end)}'${this.foundText()}`);
    this.close();
  }

  private parseBlock(): void {
    this.open(SyntaxKind.Block);
    const kindTok = this.current() as Token;
    this.bump();
    while (this.at(SyntaxKind.Ident) || this.at(SyntaxKind.String)) {
      // `stage sft warmup` followed by `init = ...` on the next line: the '{' is missing, stop before `init`.
      if (this.at(SyntaxKind.Ident) && this.nth(1) === SyntaxKind.Eq) break;
      if (this.newlineBeforeNth(0)) break;
      this.open(SyntaxKind.Label);
      this.bump();
      this.close();
    }
    if (this.at(SyntaxKind.LBrace)) this.parseBody(kindTok);
    else
      this.errorHere(
        `expected '{' to open the '${this.text.slice(kindTok.start, kindTok.end)}' block${this.foundText()}`,
      );
    this.close();
  }

  private parseBody(kindTok: Token): void {
    if (this.depth >= MAX_DEPTH) return this.skipNested();
    this.depth++;
    this.open(SyntaxKind.BlockBody);
    const lbrace = this.current() as Token;
    this.bump();
    while (!this.eof() && !this.at(SyntaxKind.RBrace)) {
      const before = this.si;
      this.parseItem(false);
      this.ensureProgress(before);
    }
    if (this.at(SyntaxKind.RBrace)) this.bump();
    else {
      const at = this.prevEnd();
      const head = this.text.slice(kindTok.start, Math.min(lbrace.start, kindTok.start + 60)).trim();
      this.error(`expected '}' to close '${head}'`, at, at, Codes.syntax, {
        related: [{ span: { start: lbrace.start, end: lbrace.end }, message: `'${head}' opens here` }],
        fixes: [{ title: "Insert '}'", edits: [{ span: { start: at, end: at }, newText: '\n}' }] }],
      });
    }
    this.close();
    this.depth--;
  }

  /** Consumes one bracketed group flat into an Error node, iteratively: the guard against deep nesting. */
  private skipNested(): void {
    const t = this.current() as Token;
    this.open(SyntaxKind.Error);
    let depth = 0;
    do {
      const k = this.nth(0) as SyntaxKind;
      if (k === SyntaxKind.LBrace || k === SyntaxKind.LBracket || k === SyntaxKind.LParen) depth++;
      else if (k === SyntaxKind.RBrace || k === SyntaxKind.RBracket || k === SyntaxKind.RParen) depth--;
      this.bump();
    } while (!this.eof() && depth > 0);
    const node = this.close();
    this.error(`nesting deeper than ${MAX_DEPTH} levels is not supported`, t.start, node.end, Codes.tooDeep);
  }

  /**
   * The safety net behind "never hangs": a loop iteration that consumed nothing wraps the current token in an
   * Error node. Every grammar rule is meant to consume; this only fires on a parser bug, as a diagnostic.
   */
  private ensureProgress(before: number): void {
    if (this.si !== before || this.eof()) return;
    const t = this.current() as Token;
    this.open(SyntaxKind.Error);
    this.bump();
    this.close();
    this.error(`unexpected '${this.text.slice(t.start, Math.min(t.end, t.start + 24))}'`, t.start, t.end);
  }

  /** Swallows the rest of an over-long expression flat into an Error node. */
  private skipExpressionTail(): void {
    const t = this.current() as Token;
    this.open(SyntaxKind.Error);
    for (;;) {
      const k = this.nth(0);
      if (k === undefined || k === SyntaxKind.RBrace || k === SyntaxKind.LBrace) break;
      if (k === SyntaxKind.Ident && (this.nth(1) === SyntaxKind.Eq || this.nth(1) === SyntaxKind.LBrace)) break;
      this.bump();
    }
    const node = this.close();
    this.error(`expression longer than ${MAX_DEPTH * 4} operators is not supported`, t.start, node.end, Codes.tooDeep);
  }

  /** Expr = Unary (op Unary)*, precedence climbing. Returns false (consuming nothing) when no value starts here. */
  private parseExpr(minPrec: number): boolean {
    const lhs = this.parseUnary();
    if (!lhs) return false;
    let left = lhs;
    let operators = 0;
    for (;;) {
      const k = this.nth(0);
      const prec = k === undefined ? undefined : BINARY_PREC[k];
      if (prec === undefined || prec < minPrec) break;
      // Operator chains nest to the left; cap them so tree walks stay shallow on generated garbage.
      if (++operators > MAX_DEPTH * 4) {
        this.skipExpressionTail();
        break;
      }
      this.openBefore(SyntaxKind.Binary, left);
      const op = this.current() as Token;
      this.bump();
      if (!this.parseExprAbove(prec))
        this.errorHere(`expected a value after '${this.text.slice(op.start, op.end)}'${this.foundText()}`);
      left = this.close();
    }
    return true;
  }

  private parseExprAbove(prec: number): boolean {
    return this.parseExpr(prec + 1);
  }

  private parseUnary(): SyntaxNode | undefined {
    if (this.at(SyntaxKind.Minus)) {
      if (this.depth >= MAX_DEPTH) {
        this.skipNested();
        return this.lastChild();
      }
      this.depth++;
      this.open(SyntaxKind.Unary);
      this.bump();
      if (!this.parseUnary()) this.errorHere(`expected a value after '-'${this.foundText()}`);
      this.depth--;
      return this.close();
    }
    return this.parsePrimary();
  }

  private parsePrimary(): SyntaxNode | undefined {
    const k = this.nth(0);
    switch (k) {
      case SyntaxKind.Number:
      case SyntaxKind.String:
      case SyntaxKind.True:
      case SyntaxKind.False:
        this.open(SyntaxKind.Literal);
        this.bump();
        return this.close();
      case SyntaxKind.Ident: {
        // A name followed by '=' or '{' starts the next attribute or block; it is never a value.
        if (this.nth(1) === SyntaxKind.Eq || this.nth(1) === SyntaxKind.LBrace) return undefined;
        if (this.nth(1) === SyntaxKind.LParen) {
          this.open(SyntaxKind.Call);
          this.open(SyntaxKind.NameRef);
          this.bump();
          this.close();
          this.parseArgList();
          return this.close();
        }
        this.open(SyntaxKind.NameRef);
        this.bump();
        return this.close();
      }
      case SyntaxKind.LBracket:
        return this.parseList();
      case SyntaxKind.LParen: {
        if (this.depth >= MAX_DEPTH) {
          this.skipNested();
          return this.lastChild();
        }
        this.depth++;
        this.open(SyntaxKind.Paren);
        this.bump();
        if (!this.parseExpr(0)) this.errorHere(`expected a value after '('${this.foundText()}`);
        this.expect(SyntaxKind.RParen, 'to close the parenthesis');
        this.depth--;
        return this.close();
      }
      default:
        return undefined;
    }
  }

  private parseList(): SyntaxNode {
    if (this.depth >= MAX_DEPTH) {
      this.skipNested();
      return this.lastChild();
    }
    this.depth++;
    this.open(SyntaxKind.List);
    this.bump();
    this.parseSeparated(SyntaxKind.RBracket, false);
    this.depth--;
    return this.close();
  }

  private parseArgList(): void {
    if (this.depth >= MAX_DEPTH) return this.skipNested();
    this.depth++;
    this.open(SyntaxKind.ArgList);
    this.bump();
    this.parseSeparated(SyntaxKind.RParen, true);
    this.depth--;
    this.close();
  }

  /** Comma-separated values up to `closer`; stops (with an error) at '}' or a `name =` that starts the next attribute. */
  private parseSeparated(closer: SyntaxKind, args: boolean): void {
    const what = closer === SyntaxKind.RBracket ? 'list' : 'argument list';
    let before = -1;
    for (;;) {
      this.ensureProgress(before);
      before = this.si;
      if (this.at(closer)) {
        this.bump();
        return;
      }
      const k = this.nth(0);
      const namedArg = args && k === SyntaxKind.Ident && this.nth(1) === SyntaxKind.Eq;
      if (
        k === undefined ||
        k === SyntaxKind.RBrace ||
        (!namedArg && k === SyntaxKind.Ident && this.nth(1) === SyntaxKind.Eq)
      ) {
        this.errorHere(`expected ${tokenDisplay(closer)} to close the ${what}${this.foundText()}`);
        return;
      }
      if (namedArg) {
        this.open(SyntaxKind.Arg);
        this.bump();
        this.bump();
        if (!this.parseExpr(0)) this.errorHere(`expected a value${this.foundText()}`);
        this.close();
      } else if (EXPR_START.has(k)) {
        // `name {` starts a block, not a value: stop here, or this loop would spin without consuming.
        if (k === SyntaxKind.Ident && this.nth(1) === SyntaxKind.LBrace) {
          this.errorHere(`expected ${tokenDisplay(closer)} to close the ${what}${this.foundText()}`);
          return;
        }
        if (args) this.open(SyntaxKind.Arg);
        this.parseExpr(0);
        if (args) this.close();
      } else {
        // A stray token inside the brackets: keep it in an Error node and carry on.
        const t = this.current() as Token;
        this.open(SyntaxKind.Error);
        this.bump();
        this.close();
        this.error(`unexpected '${this.text.slice(t.start, t.end)}' in ${what}`, t.start, t.end);
        continue;
      }
      if (this.at(SyntaxKind.Comma)) this.bump();
      else if (!this.at(closer)) {
        const n = this.nth(0);
        if (
          n !== undefined &&
          EXPR_START.has(n) &&
          !(n === SyntaxKind.Ident && this.nth(1) === SyntaxKind.Eq && !args)
        ) {
          const at = this.prevEnd();
          this.error(`expected ',' between ${what === 'list' ? 'list items' : 'arguments'}`, at, at, Codes.syntax, {
            fixes: [{ title: "Insert ','", edits: [{ span: { start: at, end: at }, newText: ',' }] }],
          });
        }
      }
    }
  }
}

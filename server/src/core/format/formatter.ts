// The canonical formatter. Style: two-space indentation, one field or block per line, `key = value` with
// single spaces around '=' and binary operators, `a, b` in lists and arguments, at most one blank line between
// items and none at the start or end of a body, comments kept where they were (own line or end of line,
// two spaces before a trailing '#'), LF line endings and one final newline. A block written on one line stays
// on one line when it holds only fields, no comments, and fits in 100 columns. A list written across lines
// stays one item per line with a trailing comma. Files with syntax errors are not formatted.
import { MAX_PARSE_CHARS, parseText } from '../syntax/parser';
import { SyntaxKind as SyntaxKindImport, isTrivia as isTriviaImport } from '../syntax/kinds';
import {
  childNodes as childNodesImport,
  containsComment,
  isNode as isNodeImport,
  type SyntaxElement,
  type SyntaxNode,
} from '../syntax/tree';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const SyntaxKind = SyntaxKindImport;
type SyntaxKind = SyntaxKindImport;
const isTrivia = isTriviaImport;
const childNodes = childNodesImport;
const isNode = isNodeImport;

export interface FormatResult {
  /** The formatted text; undefined when the file could not be formatted. */
  text?: string;
  changed?: boolean;
  /** Why the file was not formatted (the first syntax error, with its 1-based line and column). */
  error?: string;
}

const MAX_WIDTH = 100;
const INDENT = '  ';

class Out {
  readonly lines: string[] = [];
  line(depth: number, text: string): void {
    this.lines.push(INDENT.repeat(depth) + text);
  }
  appendToLast(text: string): void {
    if (this.lines.length === 0) this.lines.push(text);
    else this.lines[this.lines.length - 1] += text;
  }
  blank(): void {
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.lines.push('');
  }
}

export function format(text: string): FormatResult {
  const { root, diagnostics } = parseText(text);
  const firstError = diagnostics.find((d) => (d.severity ?? d.info.severity) === 'error');
  if (firstError) {
    const before = text.slice(0, firstError.span.start);
    const line = before.split(/\r\n|\r|\n/).length;
    const col = firstError.span.start - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
    return { error: `not formatted: line ${line}, column ${col}: ${firstError.message} (${firstError.info.code})` };
  }
  const f = new Formatter(text);
  const out = new Out();
  f.container(root.children, 0, out, false);
  while (out.lines.length > 0 && out.lines[out.lines.length - 1] === '') out.lines.pop();
  const result = out.lines.length === 0 ? '' : out.lines.join('\n') + '\n';
  // Indentation and spacing can grow a file that was just under the limit past it, and a file the
  // checker refuses to analyse is worse than an unformatted one.
  if (result.length > MAX_PARSE_CHARS && result.length > text.length) {
    const mib = (n: number) => (n / 1048576).toFixed(1);
    return {
      error: `not formatted: the formatted file would be ${mib(result.length)} MiB (now ${mib(text.length)} MiB), above the ${mib(MAX_PARSE_CHARS)} MiB that is analysed`,
    };
  }
  return { text: result, changed: result !== text };
}

/** Line breaks in text[start, end): \n, \r\n and a lone \r each count once. */
function lineBreaks(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

class Formatter {
  constructor(private readonly text: string) {}

  private t(e: { start: number; end: number }): string {
    return this.text.slice(e.start, e.end);
  }

  /** Items and comments of a file or block body. `afterBrace`: the first same-line comment trails the '{'. */
  container(children: readonly SyntaxElement[], depth: number, out: Out, afterBrace: boolean): void {
    let newlines = 0;
    let sawItem = false;
    for (const c of children) {
      if (!isNode(c)) {
        if (c.kind === SyntaxKind.Whitespace) newlines += lineBreaks(this.text, c.start, c.end);
        else if (c.kind === SyntaxKind.Comment) {
          const comment = this.t(c).trimEnd();
          if (newlines === 0 && (sawItem || afterBrace)) {
            out.appendToLast(`  ${comment}`);
            // A comment trailing the '{' does not count as an item: no blank line may follow it.
            if (!sawItem) {
              newlines = 0;
              continue;
            }
          } else {
            if (newlines >= 2 && sawItem) out.blank();
            out.line(depth, comment);
          }
          sawItem = true;
          newlines = 0;
        }
        continue;
      }
      if (newlines >= 2 && sawItem) out.blank();
      this.item(c, depth, out);
      sawItem = true;
      newlines = 0;
    }
  }

  private item(node: SyntaxNode, depth: number, out: Out): void {
    if (node.kind === SyntaxKind.Attribute) {
      out.line(depth, this.attribute(node, depth));
      return;
    }
    if (node.kind !== SyntaxKind.Block) {
      out.line(depth, this.t(node));
      return;
    }
    const body = childNodes(node, SyntaxKind.BlockBody)[0];
    const headerEnd = body ? body.start : node.end;
    const headerParts = node.children.filter((c) => c.end <= headerEnd);
    const header = headerParts.some((c) => !isNode(c) && c.kind === SyntaxKind.Comment)
      ? this.text.slice(node.start, headerEnd).trimEnd()
      : headerParts
          .filter((c) => isNode(c) || !isTrivia(c.kind))
          .map((c) => this.t(c))
          .join(' ');
    if (!body) {
      out.line(depth, header);
      return;
    }
    const items = body.children.filter(isNode);
    const hasComment = body.children.some((c) => !isNode(c) && c.kind === SyntaxKind.Comment);
    if (items.length === 0 && !hasComment) {
      out.line(depth, `${header} {}`);
      return;
    }
    const oneLine =
      !hasComment &&
      !body.children.some(
        (c) => !isNode(c) && c.kind === SyntaxKind.Whitespace && lineBreaks(this.text, c.start, c.end) > 0,
      ) &&
      items.every((i) => i.kind === SyntaxKind.Attribute);
    if (oneLine) {
      const parts = items.map((i) => this.attribute(i, depth));
      const candidate = `${header} { ${parts.join('  ')} }`;
      if (INDENT.length * depth + candidate.length <= MAX_WIDTH && !candidate.includes('\n')) {
        out.line(depth, candidate);
        return;
      }
    }
    out.line(depth, `${header} {`);
    this.container(body.children, depth + 1, out, true);
    out.line(depth, '}');
  }

  private attribute(node: SyntaxNode, depth: number): string {
    if (containsComment(node)) return this.t(node);
    const key = node.children.find((c) => !isNode(c) && c.kind === SyntaxKind.Ident) as SyntaxElement;
    const value = childNodes(node)[0];
    return `${this.t(key)} = ${value ? this.expr(value, depth) : ''}`;
  }

  private expr(node: SyntaxNode, depth: number): string {
    if (containsComment(node)) return this.t(node);
    const kids = childNodes(node);
    switch (node.kind) {
      case SyntaxKind.Literal:
      case SyntaxKind.NameRef:
        return this.t(node).trim();
      case SyntaxKind.Call: {
        const args = childNodes(node, SyntaxKind.ArgList)[0];
        return `${this.t(kids[0])}(${
          args
            ? childNodes(args)
                .map((a) => this.expr(a, depth))
                .join(', ')
            : ''
        })`;
      }
      case SyntaxKind.Arg: {
        const sig = node.children.filter((c) => !isNode(c) && !isTrivia(c.kind));
        const named = sig.length >= 2 && sig[0].kind === SyntaxKind.Ident && sig[1].kind === SyntaxKind.Eq;
        const v = kids[0] ? this.expr(kids[0], depth) : '';
        return named ? `${this.t(sig[0])} = ${v}` : v;
      }
      case SyntaxKind.List: {
        const items = kids.map((k) => this.expr(k, depth + 1));
        const multiline = /[\r\n]/.test(this.t(node)) && items.length > 0;
        if (!multiline) return `[${items.join(', ')}]`;
        const pad = INDENT.repeat(depth + 1);
        return `[\n${items.map((i) => `${pad}${i},`).join('\n')}\n${INDENT.repeat(depth)}]`;
      }
      case SyntaxKind.Binary: {
        const op = node.children.find((c) => !isNode(c) && c.kind >= SyntaxKind.Plus && c.kind <= SyntaxKind.Slash);
        return `${this.expr(kids[0], depth)} ${op ? this.t(op) : '?'} ${kids[1] ? this.expr(kids[1], depth) : ''}`;
      }
      case SyntaxKind.Unary:
        return `-${kids[0] ? this.expr(kids[0], depth) : ''}`;
      case SyntaxKind.Paren:
        return `(${kids[0] ? this.expr(kids[0], depth) : ''})`;
      default:
        return this.t(node);
    }
  }
}

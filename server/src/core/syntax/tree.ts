// The lossless syntax tree: every byte of the source belongs to exactly one token, tokens (trivia included)
// are leaves, and concatenating the leaves in order gives back the source. Nodes carry their span, so ranges
// need no re-computation; text is read from the source on demand.
import { SyntaxKind as SyntaxKindImport, isTrivia as isTriviaImport, kindName } from './kinds';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const SyntaxKind = SyntaxKindImport;
type SyntaxKind = SyntaxKindImport;
const isTrivia = isTriviaImport;

export interface SyntaxToken {
  readonly kind: SyntaxKind;
  readonly start: number;
  readonly end: number;
  parent: SyntaxNode | undefined;
}

export interface SyntaxNode {
  readonly kind: SyntaxKind;
  start: number;
  end: number;
  readonly children: SyntaxElement[];
  parent: SyntaxNode | undefined;
  /** Slot for the typed AST wrapper of this node (set by SourceFile.wrap; avoids a side table). */
  ast: unknown;
}

export type SyntaxElement = SyntaxNode | SyntaxToken;

export function isNode(e: SyntaxElement): e is SyntaxNode {
  return (e as SyntaxNode).children !== undefined;
}

export function isToken(e: SyntaxElement): boolean {
  return (e as SyntaxNode).children === undefined;
}

export function childNodes(node: SyntaxNode, kind?: SyntaxKind): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const c of node.children) if (isNode(c) && (kind === undefined || c.kind === kind)) out.push(c);
  return out;
}

export function firstChildNode(node: SyntaxNode, kind: SyntaxKind): SyntaxNode | undefined {
  for (const c of node.children) if (isNode(c) && c.kind === kind) return c;
  return undefined;
}

export function firstToken(node: SyntaxNode, kind: SyntaxKind): SyntaxToken | undefined {
  for (const c of node.children) if (!isNode(c) && c.kind === kind) return c;
  return undefined;
}

/** Non-trivia direct children, in order. */
export function significantChildren(node: SyntaxNode): SyntaxElement[] {
  return node.children.filter((c) => isNode(c) || !isTrivia(c.kind));
}

/** Calls `visit` on every token under `node` in source order, without recursion depth limits. */
export function forEachToken(node: SyntaxNode, visit: (t: SyntaxToken) => void): void {
  const stack: { n: SyntaxNode; i: number }[] = [{ n: node, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i >= top.n.children.length) {
      stack.pop();
      continue;
    }
    const c = top.n.children[top.i++];
    if (isNode(c)) stack.push({ n: c, i: 0 });
    else visit(c);
  }
}

/** True when any token under `node` is a comment (formatter falls back to verbatim text there). */
export function containsComment(node: SyntaxNode): boolean {
  let found = false;
  forEachToken(node, (t) => {
    if (t.kind === SyntaxKind.Comment) found = true;
  });
  return found;
}

/**
 * The deepest token touching `offset`. When the offset sits between two tokens the one on the right wins,
 * unless it is trivia and the left one is not (so a cursor right after `lr` still finds `lr`).
 */
export function tokenAtOffset(root: SyntaxNode, offset: number): SyntaxToken | undefined {
  let node: SyntaxNode = root;
  for (;;) {
    let next: SyntaxElement | undefined;
    let left: SyntaxElement | undefined;
    for (const c of node.children) {
      if (c.start <= offset && offset < c.end) {
        next = c;
        break;
      }
      if (c.end === offset && c.start < offset) left = c;
      if (c.start > offset) break;
    }
    if (left && (!next || (!isNode(next) && isTrivia(next.kind)))) {
      if (isNode(left) || !isTrivia(left.kind)) next = left;
    }
    if (!next) next = left;
    if (!next) return undefined;
    if (!isNode(next)) return next;
    if (next.children.length === 0) return undefined;
    node = next;
  }
}

/** Chain of nodes from the root down to the node holding `element`. */
export function ancestors(element: SyntaxElement): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  let p = element.parent;
  while (p) {
    out.push(p);
    p = p.parent;
  }
  return out.reverse();
}

/** Indented text dump used by the golden parser tests: `Kind@start..end` and token texts. */
export function dumpTree(root: SyntaxNode, text: string): string {
  const lines: string[] = [];
  const walk = (e: SyntaxElement, depth: number): void => {
    const pad = '  '.repeat(depth);
    if (isNode(e)) {
      lines.push(`${pad}${kindName(e.kind)}@${e.start}..${e.end}`);
      for (const c of e.children) walk(c, depth + 1);
    } else {
      lines.push(`${pad}${kindName(e.kind)}@${e.start}..${e.end} ${JSON.stringify(text.slice(e.start, e.end))}`);
    }
  };
  walk(root, 0);
  return lines.join('\n') + '\n';
}

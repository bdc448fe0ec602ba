// Turns expression nodes into plain values the checker and the plan compiler can reason about. Constant
// folding is limited to a leading minus on numbers; anything else keeps its structure (reward sums, calls).
import { SyntaxKind as SyntaxKindImport, isTrivia as isTriviaImport } from '../syntax/kinds';
import { decodeString as decodeStringImport } from '../syntax/lexer';
import { isNode as isNodeImport, type SyntaxNode, type SyntaxToken } from '../syntax/tree';
import type { SourceFile } from '../syntax/ast';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const SyntaxKind = SyntaxKindImport;
type SyntaxKind = SyntaxKindImport;
const isTrivia = isTriviaImport;
const decodeString = decodeStringImport;
const isNode = isNodeImport;

export type Value =
  | { type: 'number'; value: number; isInt: boolean; raw: string; node: SyntaxNode }
  | { type: 'string'; value: string; node: SyntaxNode }
  | { type: 'bool'; value: boolean; node: SyntaxNode }
  | { type: 'ident'; name: string; node: SyntaxNode }
  | { type: 'list'; items: Value[]; node: SyntaxNode }
  | { type: 'call'; name: string; nameNode: SyntaxNode; args: CallArg[]; node: SyntaxNode }
  | { type: 'binary'; op: '+' | '-' | '*' | '/'; left: Value; right: Value; node: SyntaxNode }
  | { type: 'negate'; operand: Value; node: SyntaxNode }
  | { type: 'error'; node: SyntaxNode };

export interface CallArg {
  name?: string;
  nameSpan?: { start: number; end: number };
  value: Value;
  node: SyntaxNode;
}

// The checker turns every attribute's value into a Value, so these helpers walk children in place instead of
// building filtered arrays: on a large file that garbage was the checker's biggest allocation.

/** The `n`-th (0-based) significant token among `node`'s direct children. */
function sigToken(node: SyntaxNode, n: number): SyntaxToken | undefined {
  for (const c of node.children) {
    if (isNode(c) || isTrivia(c.kind)) continue;
    if (n-- === 0) return c;
  }
  return undefined;
}

/** The `n`-th (0-based) child node of `node`, optionally of one kind. */
function nthChildNode(node: SyntaxNode, n: number, kind?: SyntaxKind): SyntaxNode | undefined {
  for (const c of node.children) {
    if (!isNode(c) || (kind !== undefined && c.kind !== kind)) continue;
    if (n-- === 0) return c;
  }
  return undefined;
}

/** True when the number's text is digits only (no sign, point or exponent): an integer literal. */
function isDigits(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return raw.length > 0;
}

export function valueOf(file: SourceFile, node: SyntaxNode): Value {
  switch (node.kind) {
    case SyntaxKind.Literal: {
      const tok = sigToken(node, 0) as SyntaxToken;
      const raw = file.textOf(tok);
      if (tok.kind === SyntaxKind.Number) {
        const value = Number(raw);
        if (!Number.isFinite(value)) return { type: 'error', node };
        return { type: 'number', value, isInt: isDigits(raw), raw, node };
      }
      if (tok.kind === SyntaxKind.String) return { type: 'string', value: decodeString(raw), node };
      return { type: 'bool', value: tok.kind === SyntaxKind.True, node };
    }
    case SyntaxKind.NameRef:
      return { type: 'ident', name: file.textOf(node), node };
    case SyntaxKind.List: {
      const items: Value[] = [];
      for (const c of node.children) if (isNode(c) && c.kind !== SyntaxKind.Error) items.push(valueOf(file, c));
      return { type: 'list', items, node };
    }
    case SyntaxKind.Call: {
      const nameNode = nthChildNode(node, 0, SyntaxKind.NameRef);
      const argList = nthChildNode(node, 0, SyntaxKind.ArgList);
      const args: CallArg[] = [];
      if (argList) {
        for (const a of argList.children) {
          if (!isNode(a) || a.kind !== SyntaxKind.Arg) continue;
          const t0 = sigToken(a, 0);
          const t1 = sigToken(a, 1);
          const named =
            t0 !== undefined && t1 !== undefined && t0.kind === SyntaxKind.Ident && t1.kind === SyntaxKind.Eq;
          const vnode = nthChildNode(a, 0);
          args.push({
            name: named ? file.textOf(t0) : undefined,
            nameSpan: named ? { start: t0.start, end: t0.end } : undefined,
            value: vnode ? valueOf(file, vnode) : { type: 'error', node: a },
            node: a,
          });
        }
      }
      return { type: 'call', name: nameNode ? file.textOf(nameNode) : '', nameNode: nameNode ?? node, args, node };
    }
    case SyntaxKind.Binary: {
      const left = nthChildNode(node, 0);
      const right = nthChildNode(node, 1);
      let op: '+' | '-' | '*' | '/' | undefined;
      for (const c of node.children) {
        if (isNode(c)) continue;
        if (c.kind === SyntaxKind.Plus) op = '+';
        else if (c.kind === SyntaxKind.Minus) op = '-';
        else if (c.kind === SyntaxKind.Star) op = '*';
        else if (c.kind === SyntaxKind.Slash) op = '/';
        else continue;
        break;
      }
      if (!left || !right || !op) return { type: 'error', node };
      return { type: 'binary', op, left: valueOf(file, left), right: valueOf(file, right), node };
    }
    case SyntaxKind.Unary: {
      const inner = nthChildNode(node, 0);
      if (!inner) return { type: 'error', node };
      const v = valueOf(file, inner);
      if (v.type === 'number') return { ...v, value: -v.value, raw: '-' + v.raw, node };
      return { type: 'negate', operand: v, node };
    }
    case SyntaxKind.Paren: {
      const inner = nthChildNode(node, 0);
      return inner ? valueOf(file, inner) : { type: 'error', node };
    }
    default:
      return { type: 'error', node };
  }
}

/** Short human description of a value's shape for "expected X, found Y" messages. */
export function describeValue(v: Value): string {
  switch (v.type) {
    case 'number':
      return v.isInt ? 'an integer' : 'a number';
    case 'string':
      return 'a string';
    case 'bool':
      return 'a boolean';
    case 'ident':
      return `the name '${v.name}'`;
    case 'list':
      return 'a list';
    case 'call':
      return `a call to '${v.name}'`;
    case 'binary':
    case 'negate':
      return 'an arithmetic expression';
    default:
      return 'an invalid value';
  }
}

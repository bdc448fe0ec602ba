// Turns expression nodes into plain values the checker and the plan compiler can reason about. Constant
// folding is limited to a leading minus on numbers; anything else keeps its structure (reward sums, calls).
import { SyntaxKind, isTrivia } from '../syntax/kinds';
import { decodeString } from '../syntax/lexer';
import { childNodes, isNode, type SyntaxNode } from '../syntax/tree';
import type { SourceFile } from '../syntax/ast';

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

function sigTokens(node: SyntaxNode) {
  return node.children.filter((c) => !isNode(c) && !isTrivia(c.kind));
}

export function valueOf(file: SourceFile, node: SyntaxNode): Value {
  switch (node.kind) {
    case SyntaxKind.Literal: {
      const tok = sigTokens(node)[0];
      const raw = file.textOf(tok);
      if (tok.kind === SyntaxKind.Number) {
        const value = Number(raw);
        if (!Number.isFinite(value)) return { type: 'error', node };
        return { type: 'number', value, isInt: /^[0-9]+$/.test(raw), raw, node };
      }
      if (tok.kind === SyntaxKind.String) return { type: 'string', value: decodeString(raw), node };
      return { type: 'bool', value: tok.kind === SyntaxKind.True, node };
    }
    case SyntaxKind.NameRef:
      return { type: 'ident', name: file.textOf(node), node };
    case SyntaxKind.List:
      return {
        type: 'list',
        items: childNodes(node)
          .filter((n) => n.kind !== SyntaxKind.Error)
          .map((n) => valueOf(file, n)),
        node,
      };
    case SyntaxKind.Call: {
      const nameNode = childNodes(node, SyntaxKind.NameRef)[0];
      const argList = childNodes(node, SyntaxKind.ArgList)[0];
      const args: CallArg[] = [];
      if (argList) {
        for (const a of childNodes(argList, SyntaxKind.Arg)) {
          const toks = sigTokens(a);
          const named = toks.length >= 2 && toks[0].kind === SyntaxKind.Ident && toks[1].kind === SyntaxKind.Eq;
          const vnode = childNodes(a)[0];
          args.push({
            name: named ? file.textOf(toks[0]) : undefined,
            nameSpan: named ? { start: toks[0].start, end: toks[0].end } : undefined,
            value: vnode ? valueOf(file, vnode) : { type: 'error', node: a },
            node: a,
          });
        }
      }
      return { type: 'call', name: nameNode ? file.textOf(nameNode) : '', nameNode: nameNode ?? node, args, node };
    }
    case SyntaxKind.Binary: {
      const kids = childNodes(node);
      const opTok = sigTokens(node).find((t) => t.kind >= SyntaxKind.Plus && t.kind <= SyntaxKind.Slash);
      if (kids.length < 2 || !opTok) return { type: 'error', node };
      const op = file.textOf(opTok) as '+' | '-' | '*' | '/';
      return { type: 'binary', op, left: valueOf(file, kids[0]), right: valueOf(file, kids[1]), node };
    }
    case SyntaxKind.Unary: {
      const inner = childNodes(node)[0];
      if (!inner) return { type: 'error', node };
      const v = valueOf(file, inner);
      if (v.type === 'number') return { ...v, value: -v.value, raw: '-' + v.raw, node };
      return { type: 'negate', operand: v, node };
    }
    case SyntaxKind.Paren: {
      const inner = childNodes(node)[0];
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

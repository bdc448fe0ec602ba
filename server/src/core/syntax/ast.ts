// Typed views over the untyped syntax tree. They never throw: a missing part of a broken construct is
// `undefined`, so every consumer handles partial input the same way.
import { SyntaxKind as SyntaxKindImport, isTrivia as isTriviaImport } from './kinds';
import { decodeString as decodeStringImport } from './lexer';
import {
  firstChildNode as firstChildNodeImport,
  isNode as isNodeImport,
  type SyntaxNode,
  type SyntaxToken,
} from './tree';
import type { Span } from '../text/lineIndex';

// Hot imports are copied into module constants: under tsx (CommonJS, how tests and benchmarks load the core)
// each use of an imported binding is a call to a getter on the exporting module, which cost about a fifth of
// the core's CPU time on small files. Bundled builds are unaffected either way.
const SyntaxKind = SyntaxKindImport;
type SyntaxKind = SyntaxKindImport;
const isTrivia = isTriviaImport;
const decodeString = decodeStringImport;
const firstChildNode = firstChildNodeImport;
const isNode = isNodeImport;

export class SourceFile {
  constructor(
    readonly text: string,
    readonly root: SyntaxNode,
  ) {}

  /** One wrapper per node, so every pass shares the wrappers' memoised parts. */
  wrap(node: SyntaxNode): BlockAst | AttributeAst {
    let w = node.ast as BlockAst | AttributeAst | undefined;
    if (!w) {
      w = node.kind === SyntaxKind.Block ? new BlockAst(this, node) : new AttributeAst(this, node);
      node.ast = w;
    }
    return w;
  }

  textOf(e: Span): string {
    return this.text.slice(e.start, e.end);
  }

  /** Top-level blocks and attributes (attributes are only legal inside blocks; the checker says so). */
  items(): (BlockAst | AttributeAst)[] {
    return itemsOf(this, this.root);
  }
}

function itemsOf(file: SourceFile, container: SyntaxNode): (BlockAst | AttributeAst)[] {
  const out: (BlockAst | AttributeAst)[] = [];
  for (const c of container.children) {
    if (!isNode(c)) continue;
    if (c.kind === SyntaxKind.Block || c.kind === SyntaxKind.Attribute) out.push(file.wrap(c));
  }
  return out;
}

function firstSignificantToken(node: SyntaxNode): SyntaxToken | undefined {
  for (const c of node.children) if (!isNode(c) && !isTrivia(c.kind)) return c;
  return undefined;
}

export interface LabelAst {
  node: SyntaxNode;
  /** Decoded value: the identifier text, or the string's content. */
  value: string;
  quoted: boolean;
}

export class BlockAst {
  readonly type = 'block';
  private itemsCache: (BlockAst | AttributeAst)[] | undefined;
  private labelsCache: LabelAst[] | undefined;
  private kindCache: string | undefined;
  constructor(
    readonly file: SourceFile,
    readonly node: SyntaxNode,
  ) {}

  /** The keyword-like first name (`stage`, `model`, `lora`, …). */
  get kindToken(): SyntaxToken | undefined {
    const t = firstSignificantToken(this.node);
    return t && t.kind === SyntaxKind.Ident ? t : undefined;
  }

  get kind(): string {
    if (this.kindCache === undefined) {
      const t = this.kindToken;
      this.kindCache = t ? this.file.textOf(t) : '';
    }
    return this.kindCache;
  }

  get labels(): LabelAst[] {
    return (this.labelsCache ??= this.computeLabels());
  }

  private computeLabels(): LabelAst[] {
    const out: LabelAst[] = [];
    for (const n of this.node.children) {
      if (!isNode(n) || n.kind !== SyntaxKind.Label) continue;
      const tok = firstSignificantToken(n) as SyntaxToken;
      const raw = this.file.textOf(tok);
      const quoted = tok.kind === SyntaxKind.String;
      out.push({ node: n, value: quoted ? decodeString(raw) : raw, quoted });
    }
    return out;
  }

  get body(): SyntaxNode | undefined {
    return firstChildNode(this.node, SyntaxKind.BlockBody);
  }

  /** Span of `kind label…` — where block-level diagnostics (missing fields) point. */
  get headerSpan(): Span {
    const labels = this.labels;
    const last = labels.length > 0 ? labels[labels.length - 1].node : this.kindToken;
    return { start: this.node.start, end: last ? last.end : this.node.start };
  }

  items(): (BlockAst | AttributeAst)[] {
    if (!this.itemsCache) {
      const body = this.body;
      this.itemsCache = body ? itemsOf(this.file, body) : [];
    }
    return this.itemsCache;
  }

  attributes(): AttributeAst[] {
    return this.items().filter((i): i is AttributeAst => i.type === 'attribute');
  }

  blocks(): BlockAst[] {
    return this.items().filter((i): i is BlockAst => i.type === 'block');
  }

  /** Offset just after '{' and of '}' (or the body end when '}' is missing). */
  get braces(): { open: number; close: number; closed: boolean } | undefined {
    const body = this.body;
    if (!body) return undefined;
    const first = body.children.find((c) => !isNode(c) && c.kind === SyntaxKind.LBrace);
    let last: SyntaxToken | undefined;
    for (let i = body.children.length - 1; i >= 0; i--) {
      const c = body.children[i];
      if (!isNode(c) && c.kind === SyntaxKind.RBrace) {
        last = c;
        break;
      }
      if (isNode(c) || !isTrivia(c.kind)) break;
    }
    return { open: first ? first.end : body.start, close: last ? last.start : body.end, closed: last !== undefined };
  }
}

export class AttributeAst {
  readonly type = 'attribute';
  private keyCache: string | undefined;
  constructor(
    readonly file: SourceFile,
    readonly node: SyntaxNode,
  ) {}

  get keyToken(): SyntaxToken {
    return firstSignificantToken(this.node) as SyntaxToken;
  }

  get key(): string {
    return (this.keyCache ??= this.file.textOf(this.keyToken));
  }

  get hasEq(): boolean {
    return this.node.children.some((c) => !isNode(c) && c.kind === SyntaxKind.Eq);
  }

  /** The value expression node, if one was parsed. */
  get value(): SyntaxNode | undefined {
    for (const c of this.node.children) if (isNode(c)) return c;
    return undefined;
  }
}

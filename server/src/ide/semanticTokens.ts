// Semantic tokens from the schema walked over the tree: block keywords, stage kinds, declared names, field
// keys (deprecated when an alias), references, enum values, functions (losses, rewards), call arguments,
// literals and comments.
import {
  BUILTIN_REWARDS,
  SyntaxKind,
  findField,
  forEachToken,
  isTrivia,
  type BlockAst,
  type FieldSpec,
  type SyntaxToken,
} from '../core';
import { specOfBlock } from '../core';
import type { IdeDocument } from './document';
import type { IdeSemanticToken, SemanticTokenModifier, SemanticTokenType, Span } from './types';

type Class = { type: SemanticTokenType; modifiers: SemanticTokenModifier[] };

function classifyValueTokens(
  doc: IdeDocument,
  field: FieldSpec | undefined,
  tokens: SyntaxToken[],
  refSpans: Set<number>,
  out: Map<number, Class>,
): void {
  const kind = field?.type.kind;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== SyntaxKind.Ident) continue;
    const next = tokens[i + 1];
    if (next?.kind === SyntaxKind.LParen) out.set(t.start, { type: 'function', modifiers: ['defaultLibrary'] });
    else if (next?.kind === SyntaxKind.Eq) out.set(t.start, { type: 'parameter', modifiers: [] });
    else if (refSpans.has(t.start)) out.set(t.start, { type: 'variable', modifiers: ['readonly'] });
    else if (kind === 'reward') {
      const name = doc.textOf(t);
      out.set(t.start, { type: 'function', modifiers: name in BUILTIN_REWARDS ? ['defaultLibrary'] : [] });
    } else if (kind === 'kdLoss') out.set(t.start, { type: 'function', modifiers: ['defaultLibrary'] });
    else if (kind === 'enum' || kind === 'metrics') out.set(t.start, { type: 'enumMember', modifiers: [] });
    else out.set(t.start, { type: 'variable', modifiers: [] });
  }
}

function walkBlock(
  doc: IdeDocument,
  block: BlockAst,
  refSpans: Set<number>,
  out: Map<number, Class>,
  depth: number,
): void {
  const kt = block.kindToken;
  // A study variant's settings block is named by the stage it changes: a reference, not a keyword.
  if (kt)
    out.set(
      kt.start,
      refSpans.has(kt.start) ? { type: 'variable', modifiers: ['readonly'] } : { type: 'keyword', modifiers: [] },
    );
  const labels = block.labels;
  labels.forEach((l, i) => {
    const tok = l.node.children.find((c) => !('children' in c) && !isTrivia(c.kind)) as SyntaxToken | undefined;
    if (!tok) return;
    const isKind = block.kind === 'stage' && i === 0;
    out.set(tok.start, isKind ? { type: 'type', modifiers: [] } : { type: 'class', modifiers: ['declaration'] });
  });
  const spec = depth === 0 && block.kind !== 'pipeline' ? undefined : specOfBlock(block);
  for (const item of block.items()) {
    if (item.type === 'block') {
      walkBlock(doc, item, refSpans, out, depth + 1);
      continue;
    }
    const key = item.keyToken;
    const match = spec ? findField(spec, item.key) : undefined;
    if (key && key.kind === SyntaxKind.Ident)
      out.set(key.start, { type: 'property', modifiers: match?.alias ? ['deprecated'] : [] });
    const v = item.value;
    if (!v) continue;
    const toks: SyntaxToken[] = [];
    forEachToken(v, (t) => {
      if (!isTrivia(t.kind)) toks.push(t);
    });
    classifyValueTokens(doc, match?.field, toks, refSpans, out);
  }
}

export function semanticTokens(doc: IdeDocument, within?: Span): IdeSemanticToken[] {
  const byStart = new Map<number, Class>();
  const refSpans = new Set(doc.model.references.map((r) => r.span.start));
  for (const item of doc.model.file.items()) if (item.type === 'block') walkBlock(doc, item, refSpans, byStart, 0);
  const out: IdeSemanticToken[] = [];
  forEachToken(doc.model.tree, (t) => {
    if (within && (t.end < within.start || t.start > within.end)) return;
    let c: Class | undefined = byStart.get(t.start);
    if (!c || t.kind !== SyntaxKind.Ident) {
      switch (t.kind) {
        case SyntaxKind.Comment:
          c = { type: 'comment', modifiers: [] };
          break;
        case SyntaxKind.String:
          c = c?.type === 'class' ? c : { type: 'string', modifiers: [] };
          break;
        case SyntaxKind.Number:
          c = { type: 'number', modifiers: [] };
          break;
        case SyntaxKind.True:
        case SyntaxKind.False:
          c = { type: 'keyword', modifiers: [] };
          break;
        case SyntaxKind.Eq:
        case SyntaxKind.Plus:
        case SyntaxKind.Minus:
        case SyntaxKind.Star:
        case SyntaxKind.Slash:
          c = { type: 'operator', modifiers: [] };
          break;
        default:
          if (t.kind !== SyntaxKind.Ident) c = undefined;
      }
    }
    if (c) out.push({ span: { start: t.start, end: t.end }, type: c.type, modifiers: c.modifiers });
  });
  return out;
}

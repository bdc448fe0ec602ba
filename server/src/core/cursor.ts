// What sits under the cursor, for completion and hover in possibly broken files: the token, the enclosing
// blocks and their schema, and whether the cursor is where a field name or a value goes.
import type { DocumentModel } from './analysis';
import { AttributeAst, BlockAst } from './syntax/ast';
import { SyntaxKind, isTrivia } from './syntax/kinds';
import { ancestors, isNode, tokenAtOffset, type SyntaxNode, type SyntaxToken } from './syntax/tree';
import { blockSpec, findField } from './schema/lookup';
import type { BlockSpec, FieldSpec } from './schema/types';
import { settingsStageKind } from './semantics/study';

export interface CursorContext {
  offset: number;
  /** The token at the offset (the left one when the cursor ends a name). */
  token: SyntaxToken | undefined;
  /** Blocks whose body contains the offset, outermost first. */
  blocks: BlockAst[];
  /** Schema of the innermost such block (undefined at top level or for unknown kinds). */
  spec: BlockSpec | undefined;
  /**
   * `key`: a field name or nested block goes here; `value`: inside an attribute's value; `label`: in a block
   * header; `top`: outside every block body.
   */
  position: 'key' | 'value' | 'label' | 'top';
  attribute: AttributeAst | undefined;
  /** The field of `attribute`, when known. */
  field: FieldSpec | undefined;
}

/** A block's schema; a study variant's settings block has the fields of the stage it names. */
export function specOfBlock(block: BlockAst): BlockSpec | undefined {
  const settingsOf = settingsStageKind(block);
  if (settingsOf !== undefined) return blockSpec('stage', settingsOf);
  return blockSpec(block.kind, block.kind === 'stage' ? block.labels[0]?.value : undefined);
}

export function cursorContext(doc: DocumentModel, offset: number): CursorContext {
  const token = tokenAtOffset(doc.tree, offset);
  const chain: SyntaxNode[] = token ? [...ancestors(token)] : [doc.tree];
  const blocks: BlockAst[] = [];
  let header: BlockAst | undefined;
  let attribute: AttributeAst | undefined;
  for (const n of chain) {
    if (n.kind === SyntaxKind.BlockBody && n.parent) {
      const lbrace = n.children.find((c) => !isNode(c) && c.kind === SyntaxKind.LBrace);
      const rbrace = [...n.children].reverse().find((c) => !isNode(c) && c.kind === SyntaxKind.RBrace);
      const inside = (!lbrace || offset >= lbrace.end) && (!rbrace || offset <= rbrace.start);
      if (inside) blocks.push(doc.file.wrap(n.parent) as BlockAst);
    }
    if (n.kind === SyntaxKind.Block) header = doc.file.wrap(n) as BlockAst;
    if (n.kind === SyntaxKind.Attribute) attribute = doc.file.wrap(n) as AttributeAst;
  }
  const inner = blocks[blocks.length - 1];
  const spec = inner ? specOfBlock(inner) : undefined;
  let position: CursorContext['position'] = inner ? 'key' : 'top';
  if (attribute && (!inner || attribute.node.parent?.parent === inner.node)) {
    const eq = attribute.node.children.find((c) => !isNode(c) && c.kind === SyntaxKind.Eq);
    position = eq && offset >= eq.end ? 'value' : 'key';
  } else if (
    header &&
    header.node !== inner?.node &&
    token &&
    !isTrivia(token.kind) &&
    token.parent?.kind === SyntaxKind.Label
  ) {
    position = 'label';
  } else attribute = undefined;
  // Right after `name =` on a line with nothing else, the token is trivia inside the attribute's parent.
  if (!attribute && token && isTrivia(token.kind) && inner) {
    const before = doc.text.slice(doc.lineIndex.lineStarts[doc.lineIndex.positionAt(offset).line], offset);
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*$/.exec(before);
    if (m) {
      position = 'value';
      const attrNode = inner.attributes().find((a) => a.key === m[1] && a.node.end <= offset);
      attribute = attrNode;
      if (spec) return { offset, token, blocks, spec, position, attribute, field: findField(spec, m[1])?.field };
    }
  }
  const field = attribute && spec ? findField(spec, attribute.key)?.field : undefined;
  return { offset, token, blocks, spec, position, attribute, field };
}

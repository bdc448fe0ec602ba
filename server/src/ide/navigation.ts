// Go to definition, find references and rename for the pipeline's names (models, datasets, stages, evals),
// plus definition of a user reward function in its Python file.
import type { BlockSymbol } from '../core';
import { cursorContext } from './cursor';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import type { IdeEdit, Span } from './types';
import { userRewardFunctions } from './workspaceFiles';
import { findField } from '../core';

export type IdeTarget = { span: Span } | { path: string; line: number };

/** The symbol named at `offset`: by a reference or by its own name label. */
export function symbolAt(doc: IdeDocument, offset: number): { sym: BlockSymbol; span: Span } | undefined {
  const m = doc.model;
  const ref = m.references.find((r) => r.span.start <= offset && offset <= r.span.end);
  if (ref) return ref.target ? { sym: ref.target, span: ref.span } : undefined;
  const sym = m.symbols.find((s) => s.nameSpan.start <= offset && offset <= s.nameSpan.end);
  return sym ? { sym, span: sym.nameSpan } : undefined;
}

export function definition(doc: IdeDocument, offset: number, env: IdeEnv): IdeTarget | undefined {
  const hit = symbolAt(doc, offset);
  if (hit) return { span: hit.sym.nameSpan };
  // A user reward in a reward expression → its `def` in reward_file.
  const tok = doc.tokenAt(offset);
  if (!tok) return undefined;
  const ctx = cursorContext(doc, tok.start);
  const frame = ctx.blocks[ctx.blocks.length - 1];
  if (ctx.place.type !== 'value' || !frame?.spec) return undefined;
  if (findField(frame.spec, ctx.place.key)?.field.type.kind !== 'reward') return undefined;
  const stage = doc.model.symbols.find((s) => s.block.node === ctx.blocks[1]?.block.node);
  const name = doc.textOf(tok);
  const fn = stage ? userRewardFunctions(doc, stage, env).find((f) => f.name === name) : undefined;
  return fn ? { path: fn.path, line: fn.line } : undefined;
}

export function references(doc: IdeDocument, offset: number, includeDeclaration: boolean): Span[] {
  const hit = symbolAt(doc, offset);
  if (!hit) return [];
  const out: Span[] = includeDeclaration ? [hit.sym.nameSpan] : [];
  for (const r of doc.model.references) if (r.target === hit.sym) out.push(r.span);
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['true', 'false', 'pipeline', 'model', 'dataset', 'stage', 'eval']);

export function prepareRename(doc: IdeDocument, offset: number): { span: Span; placeholder: string } | undefined {
  const hit = symbolAt(doc, offset);
  if (!hit) return undefined;
  // A quoted label renames its content; the quotes stay.
  const text = doc.textOf(hit.span);
  if (text.startsWith('"'))
    return { span: { start: hit.span.start + 1, end: hit.span.end - 1 }, placeholder: hit.sym.name };
  return { span: hit.span, placeholder: hit.sym.name };
}

export function rename(
  doc: IdeDocument,
  offset: number,
  newName: string,
): { edits: IdeEdit[] } | { error: string } | undefined {
  const hit = symbolAt(doc, offset);
  if (!hit) return undefined;
  if (!NAME.test(newName) || RESERVED.has(newName))
    return { error: `'${newName}' is not a valid name (letters, digits and _; not a keyword)` };
  const clash = doc.model.symbolsByName.get(newName);
  if (clash && clash !== hit.sym) return { error: `'${newName}' is already the name of a ${clash.kind}` };
  const edits: IdeEdit[] = [];
  const label = doc.textOf(hit.sym.nameSpan);
  edits.push({ span: hit.sym.nameSpan, newText: label.startsWith('"') ? `"${newName}"` : newName });
  for (const r of doc.model.references) if (r.target === hit.sym) edits.push({ span: r.span, newText: newName });
  return { edits };
}

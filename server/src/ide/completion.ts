// Completion: one schema walked at the cursor. Block kinds and stage snippets at block level, the fields of
// this block (or stage kind) not yet set, then per field type: enum values, references of the expected kind
// (stages only if defined earlier), files and folders, local and cached models, dataset columns read from
// the file, reward functions (built-in and the user's), KD losses and eval metrics.
import { join } from 'node:path';
import { BUILTIN_REWARDS, KD_LOSSES, METRICS_DOC } from '../core/schema/blocks';
import { BUILTIN_MODELS, SyntaxKind, tokenAtOffset } from '../core';
import { defaultText, describeType, fieldDoc, findField, STAGE_KINDS, stageKindSpec } from '../core/schema/lookup';
import type { BlockSpec, FieldSpec } from '../core/schema/types';
import type { BlockSymbol } from '../core/semantics/binder';
import { cursorContext, type BlockFrame, type CursorContext } from './cursor';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { cachedHubModels, expandPath } from './modelFacts';
import { datasetColumns, userRewardFunctions } from './workspaceFiles';
import { stageSnippet, blockSnippet, settingsSnippet } from './snippets';
import type { IdeCompletion } from './types';

export function completion(doc: IdeDocument, offset: number, env: IdeEnv): IdeCompletion[] {
  // Nothing to complete inside a comment.
  const raw = tokenAtOffset(doc.model.tree, offset);
  if (raw && raw.kind === SyntaxKind.Comment && offset > raw.start) return [];
  const ctx = cursorContext(doc, offset);
  const place = ctx.place;
  switch (place.type) {
    case 'header':
      return headerCompletions(ctx, place.keyword, place.labelIndex);
    case 'key':
      return ctx.inString ? [] : keyCompletions(doc, ctx);
    case 'value':
      return valueCompletions(doc, ctx, env, place);
    case 'none':
      return [];
  }
}

function headerCompletions(ctx: CursorContext, keyword: string, labelIndex: number): IdeCompletion[] {
  if (keyword !== 'stage' || labelIndex !== 0) return [];
  return STAGE_KINDS.map((k) => ({
    label: k,
    kind: 'stageKind' as const,
    detail: `${k} stage`,
    documentation: stageKindSpec(k)?.doc,
    replace: ctx.replace,
  }));
}

function innermost(ctx: CursorContext): BlockFrame | undefined {
  return ctx.blocks[ctx.blocks.length - 1];
}

/** Fields already written in the block, except the one whose key is being typed at `offset`. */
function setFields(frame: BlockFrame, offset: number): Set<string> {
  const spec = frame.spec;
  const out = new Set<string>();
  if (!spec) return out;
  for (const a of frame.block.attributes()) {
    const k = a.keyToken;
    if (k && k.start <= offset && offset <= k.end) continue;
    const m = findField(spec, a.key);
    if (m) out.add(m.field.name);
  }
  for (const b of frame.block.blocks()) out.add(`block:${b.kind}`);
  return out;
}

function fieldInsert(f: FieldSpec): { text: string; snippet: boolean; retrigger: boolean } {
  const t = f.type;
  switch (t.kind) {
    case 'enum':
      return { text: `${f.name} = \${1|${t.values.join(',')}|}`, snippet: true, retrigger: false };
    case 'bool':
      return { text: `${f.name} = \${1|true,false|}`, snippet: true, retrigger: false };
    case 'string':
    case 'path':
      return { text: `${f.name} = "$1"`, snippet: true, retrigger: true };
    case 'refList':
    case 'nameList':
    case 'metrics':
      return { text: `${f.name} = [$1]`, snippet: true, retrigger: true };
    default:
      return { text: `${f.name} = `, snippet: false, retrigger: true };
  }
}

function keyCompletions(doc: IdeDocument, ctx: CursorContext): IdeCompletion[] {
  const frame = innermost(ctx);
  const out: IdeCompletion[] = [];
  if (!frame) {
    // Top level: only a pipeline block, and only one per file.
    const hasPipeline = doc.model.file.items().some((i) => i.type === 'block' && i.kind === 'pipeline');
    if (!hasPipeline) out.push(blockSnippet('pipeline', ctx.replace));
    return out;
  }
  const spec = frame.spec;
  if (!spec) return out;
  const set = setFields(frame, ctx.offset);
  // A variant's settings block changes a stage that already sets its required fields.
  const isSettings = frame.kind !== 'stage' && frame.stageKind !== undefined;
  for (const f of spec.fields) {
    if (set.has(f.name)) continue;
    const ins = fieldInsert(f);
    const dflt = defaultText(f);
    const required = f.required === true && !isSettings;
    out.push({
      label: f.name,
      kind: 'field',
      detail: `${describeType(f.type)}${f.unit ? ` (${f.unit})` : ''}${required ? ' — required' : dflt !== undefined ? ` = ${dflt}` : ''}`,
      documentation: fieldDoc(f),
      insertText: ins.text,
      snippet: ins.snippet,
      retrigger: ins.retrigger,
      replace: ctx.replace,
      // Required fields first, then the schema's own order (most important first).
      sortText: `${required ? '0' : '1'}${String(spec.fields.indexOf(f)).padStart(3, '0')}`,
      filterText: f.name,
    });
  }
  if (frame.kind === 'variant') {
    for (const s of doc.model.symbols) {
      if (s.kind === 'stage' && !set.has(`block:${s.name}`))
        out.push(settingsSnippet(s.name, s.stageKind, ctx.replace));
    }
  }
  for (const k of spec.blocks) {
    if (k === 'stage') {
      for (const sk of STAGE_KINDS) out.push(stageSnippet(sk, doc, ctx.replace));
      continue;
    }
    // Named blocks may repeat; nested blocks (lora, mix, kd) and a pipeline's study appear at most once.
    const once = frame.kind === 'pipeline' ? k === 'study' : frame.kind !== 'study';
    if (once && set.has(`block:${k}`)) continue;
    out.push(blockSnippet(k, ctx.replace));
  }
  return out;
}

function fieldOf(frame: BlockFrame | undefined, key: string): FieldSpec | undefined {
  const spec: BlockSpec | undefined = frame?.spec;
  return spec ? findField(spec, key)?.field : undefined;
}

/** The named block (model, dataset, stage, eval) the cursor is in. */
function namedSymbol(doc: IdeDocument, ctx: CursorContext): BlockSymbol | undefined {
  const named = ctx.blocks[1];
  if (!named) return undefined;
  return doc.model.symbols.find((s) => s.block.node === named.block.node);
}

function valueCompletions(
  doc: IdeDocument,
  ctx: CursorContext,
  env: IdeEnv,
  place: Extract<CursorContext['place'], { type: 'value' }>,
): IdeCompletion[] {
  const frame = innermost(ctx);
  const field = fieldOf(frame, place.key);
  if (!field) return [];
  const t = field.type;
  const r = ctx.replace;
  if (place.call) return callArgCompletions(place.call.name, place.call.argName, r);
  if (ctx.inString) {
    if (t.kind === 'path') return pathCompletions(doc, ctx, env, t.expects);
    if (t.kind === 'string' && t.datasetSource) return pathCompletions(doc, ctx, env, undefined);
    if (t.kind === 'string' && t.modelSource) return modelCompletions(doc, ctx, env);
    if (t.kind === 'string' && t.column) return columnCompletions(doc, ctx, env, true);
    if (t.kind === 'string') return suggestions(t.suggest, field.name, r);
    return [];
  }
  switch (t.kind) {
    case 'enum':
      return t.values.map((v, i) => ({
        label: v,
        kind: 'enum',
        detail: field.name,
        replace: r,
        sortText: String(i).padStart(3, '0'),
      }));
    case 'bool':
      return ['true', 'false'].map((v) => ({ label: v, kind: 'value', replace: r }));
    case 'ref':
    case 'refList':
      return referenceCompletions(doc, ctx, t.targets, r);
    case 'path':
      return [
        {
          label: '""',
          kind: 'path',
          insertText: '"$1"',
          snippet: true,
          retrigger: true,
          replace: r,
          detail: describeType(t),
        },
      ];
    case 'string':
      if (t.modelSource)
        return [{ label: '""', kind: 'model', insertText: '"$1"', snippet: true, retrigger: true, replace: r }];
      if (t.column) return columnCompletions(doc, ctx, env, false);
      return suggestions(t.suggest, field.name, r);
    case 'nameList':
      if (t.values) return t.values.map((n) => ({ label: n, kind: 'value', detail: field.name, replace: r }));
      return (t.suggestions ?? []).map((n) => ({ label: n, kind: 'value', detail: 'projection module', replace: r }));
    case 'kdLoss':
      return Object.entries(KD_LOSSES).map(([name, docText]) => ({
        label: name === 'jsd' ? 'jsd(beta = …)' : name,
        kind: 'function',
        documentation: docText,
        insertText: name === 'jsd' ? 'jsd(beta = ${1:0.5})' : name,
        snippet: name === 'jsd',
        filterText: name,
        replace: r,
      }));
    case 'metrics':
      return Object.entries(METRICS_DOC).map(([name, docText]) => ({
        label: name,
        kind: 'value',
        documentation: docText,
        insertText: name.replace('@K', '@${1:8}'),
        snippet: name.includes('@K'),
        filterText: name.replace('@K', '@'),
        replace: r,
      }));
    case 'reward':
      return rewardCompletions(doc, ctx, env, r);
    default:
      return [];
  }
}

/** Common values of a free-text field, in the schema's order. */
function suggestions(
  values: readonly string[] | undefined,
  detail: string,
  r: CursorContext['replace'],
): IdeCompletion[] {
  return (values ?? []).map((v, i) => ({
    label: v,
    kind: 'value',
    detail,
    replace: r,
    sortText: String(i).padStart(3, '0'),
  }));
}

function callArgCompletions(name: string, argName: string | undefined, r: CursorContext['replace']): IdeCompletion[] {
  if (name !== 'jsd' || argName !== undefined) return [];
  return [
    {
      label: 'beta',
      kind: 'field',
      detail: 'number in 0..1 = 0.5',
      insertText: 'beta = ${1:0.5}',
      snippet: true,
      replace: r,
      documentation: KD_LOSSES.jsd,
    },
  ];
}

function referenceCompletions(
  doc: IdeDocument,
  ctx: CursorContext,
  targets: readonly string[],
  r: CursorContext['replace'],
): IdeCompletion[] {
  const self = namedSymbol(doc, ctx);
  const out: IdeCompletion[] = [];
  for (const s of doc.model.symbols) {
    if (!targets.includes(s.kind) || s === self) continue;
    // A stage may only build on stages defined above it.
    if (s.kind === 'stage' && self?.kind === 'stage' && s.index > self.index) continue;
    out.push({
      label: s.name,
      kind: 'reference',
      detail: s.kind === 'stage' ? `stage ${s.stageKind ?? ''}`.trim() : s.kind,
      documentation: summary(doc, s),
      replace: r,
      sortText: `${targets.indexOf(s.kind)}${String(s.index).padStart(4, '0')}`,
    });
  }
  return out;
}

/** The block's header and its first fields as written (source text), for hovers and completion docs. */
export function summary(doc: IdeDocument, s: BlockSymbol): string {
  const head = s.kind === 'stage' ? `stage ${s.stageKind ?? '?'} ${s.name}` : `${s.kind} ${s.name}`;
  const body = s.block
    .attributes()
    .slice(0, 8)
    .map((a) => (a.value ? `${a.key} = ${doc.textOf(a.value).replace(/\s+/g, ' ')}` : a.key));
  const more = s.block.attributes().length > 8 ? '  …' : '';
  return ['```srlm', `${head} { ${body.join('  ')}${more} }`, '```'].join('\n');
}

function pathCompletions(
  doc: IdeDocument,
  ctx: CursorContext,
  env: IdeEnv,
  expects: 'file' | 'directory' | undefined,
): IdeCompletion[] {
  const content = ctx.inString!.content;
  const base = doc.dir ?? env.workspaceFolders[0];
  if (!base) return [];
  const slash = content.lastIndexOf('/');
  const dirPart = slash >= 0 ? content.slice(0, slash + 1) : '';
  const dir = expandPath(dirPart === '' ? '.' : dirPart, base);
  const entries = env.listDir(dir) ?? [];
  const start = ctx.inString!.contentStart + dirPart.length;
  const replace = { start, end: ctx.replace.end };
  const out: IdeCompletion[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') && !content.slice(dirPart.length).startsWith('.')) continue;
    if (!e.dir && expects === 'directory') continue;
    out.push({
      label: e.dir ? `${e.name}/` : e.name,
      kind: e.dir ? 'folder' : 'path',
      replace,
      retrigger: e.dir,
      sortText: `${e.dir ? 1 : 0}${e.name}`,
      detail: e.dir ? 'folder' : undefined,
    });
  }
  if (dirPart === '' && !content.startsWith('.')) {
    out.push(
      { label: './', kind: 'folder', replace, retrigger: true, sortText: '2' },
      { label: '../', kind: 'folder', replace, retrigger: true, sortText: '2' },
    );
  }
  return out;
}

function modelCompletions(doc: IdeDocument, ctx: CursorContext, env: IdeEnv): IdeCompletion[] {
  const content = ctx.inString!.content;
  // Typing a path: complete folders (a model is a folder).
  if (/^(\.{1,2}\/|\/|~\/)/.test(content)) {
    return pathCompletions(doc, ctx, env, 'directory').map((c) => {
      if (c.kind !== 'folder' || !doc.dir) return c;
      const folder = expandPath(content.slice(0, content.lastIndexOf('/') + 1) + c.label, doc.dir);
      return env.stat(join(folder, 'config.json')) === 'file'
        ? {
            ...c,
            kind: 'model',
            detail: 'model folder (config.json)',
            retrigger: false,
            label: c.label.replace(/\/$/, ''),
          }
        : c;
    });
  }
  const out: IdeCompletion[] = BUILTIN_MODELS.map((name) => ({
    label: `builtin:${name}`,
    kind: 'model' as const,
    detail: 'shipped with the engine (config only: weights = random)',
    replace: ctx.replace,
    sortText: `2builtin:${name}`,
  }));
  for (const id of cachedHubModels(env)) {
    out.push({ label: id, kind: 'model', detail: 'Hugging Face cache', replace: ctx.replace, sortText: `1${id}` });
  }
  // Model folders in the document's folder and its `models/` subfolder.
  if (doc.dir) {
    for (const sub of ['.', 'models']) {
      const dir = join(doc.dir, sub);
      for (const e of env.listDir(dir) ?? []) {
        if (!e.dir || env.stat(join(dir, e.name, 'config.json')) !== 'file') continue;
        const rel = sub === '.' ? `./${e.name}` : `./${sub}/${e.name}`;
        out.push({
          label: rel,
          kind: 'model',
          detail: 'local model folder',
          replace: ctx.replace,
          sortText: `0${rel}`,
        });
      }
    }
  }
  return out;
}

/** Column names read from the first rows of the dataset this block (or its `data`) points at. */
function columnCompletions(doc: IdeDocument, ctx: CursorContext, env: IdeEnv, inString: boolean): IdeCompletion[] {
  const self = namedSymbol(doc, ctx);
  if (!self || self.kind !== 'dataset') return [];
  const cols = datasetColumns(doc, self, env);
  return cols.map((c) => ({
    label: c,
    kind: 'value' as const,
    detail: 'column of the dataset',
    insertText: inString ? c : JSON.stringify(c),
    replace: ctx.replace,
  }));
}

function rewardCompletions(
  doc: IdeDocument,
  ctx: CursorContext,
  env: IdeEnv,
  r: CursorContext['replace'],
): IdeCompletion[] {
  const out: IdeCompletion[] = Object.entries(BUILTIN_REWARDS).map(([name, d]) => ({
    label: name,
    kind: 'reward',
    detail: 'built-in reward',
    documentation: d,
    replace: r,
    sortText: `0${name}`,
  }));
  const self = namedSymbol(doc, ctx);
  if (self) {
    for (const fn of userRewardFunctions(doc, self, env)) {
      out.push({
        label: fn.name,
        kind: 'reward',
        detail: `def ${fn.name}(${fn.params}) — ${fn.file}:${fn.line + 1}`,
        replace: r,
        sortText: `1${fn.name}`,
      });
    }
  }
  return out;
}

// Document symbols (the outline: pipeline → models, datasets, stages, evals → nested blocks and fields) and
// workspace symbols (named blocks of every .srlm file in the workspace folders, open or not).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyze, type BlockAst, type SymbolKind as CoreSymbolKind } from '../core';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import type { IdeSymbol, IdeSymbolKind } from './types';

function blockSymbol(block: BlockAst, kindOverride?: IdeSymbolKind): IdeSymbol {
  const labels = block.labels;
  const isStage = block.kind === 'stage';
  const nameLabel = isStage ? labels[1] : labels[0];
  const kind: IdeSymbolKind =
    kindOverride ??
    (['pipeline', 'model', 'dataset', 'stage', 'eval'].includes(block.kind) ? (block.kind as IdeSymbolKind) : 'block');
  const children: IdeSymbol[] = [];
  for (const item of block.items()) {
    if (item.type === 'block') children.push(blockSymbol(item));
    else {
      const key = item.keyToken;
      if (!key) continue;
      const v = item.value;
      children.push({
        name: item.key,
        detail: v ? block.file.textOf(v).replace(/\s+/g, ' ').slice(0, 60) : undefined,
        kind: 'field',
        span: { start: item.node.start, end: item.node.end },
        selectionSpan: { start: key.start, end: key.end },
        children: [],
      });
    }
  }
  const sel = nameLabel
    ? { start: nameLabel.node.start, end: nameLabel.node.end }
    : block.kindToken
      ? { start: block.kindToken.start, end: block.kindToken.end }
      : { start: block.node.start, end: block.node.start };
  return {
    name: nameLabel?.value ?? block.kind,
    detail: isStage ? `${labels[0]?.value ?? '?'} stage` : nameLabel ? block.kind : undefined,
    kind,
    span: { start: block.node.start, end: block.node.end },
    selectionSpan: sel,
    children,
  };
}

export function documentSymbols(doc: IdeDocument): IdeSymbol[] {
  return doc.model.file
    .items()
    .filter((i): i is BlockAst => i.type === 'block')
    .map((b) => blockSymbol(b));
}

export interface WorkspaceSymbol {
  name: string;
  kind: IdeSymbolKind;
  container?: string;
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/** Case-insensitive subsequence match, as editors filter symbol lists. */
export function fuzzyMatch(query: string, name: string): boolean {
  if (query === '') return true;
  const q = query.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  for (let k = 0; k < n.length && i < q.length; k++) if (n[k] === q[i]) i++;
  return i === q.length;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.srlm', '.venv', 'dist', 'out', '__pycache__']);
const MAX_FILES = 500;
const MAX_DEPTH = 6;

/** .srlm files under the workspace folders (bounded walk, skipping build and dependency folders). */
export function workspaceSrlmFiles(env: IdeEnv): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
    for (const e of env.listDir(dir) ?? []) {
      if (out.length >= MAX_FILES) return;
      if (e.dir) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(join(dir, e.name), depth + 1);
      } else if (e.name.endsWith('.srlm')) out.push(join(dir, e.name));
    }
  };
  for (const f of env.workspaceFolders) walk(f, 0);
  return out;
}

export function workspaceSymbols(open: IdeDocument[], query: string, env: IdeEnv): WorkspaceSymbol[] {
  const out: WorkspaceSymbol[] = [];
  const seen = new Set<string>();
  const add = (uri: string, model: IdeDocument['model']): void => {
    const pipelineName = model.bindings.pipeline?.labels[0]?.value;
    for (const s of model.symbols) {
      if (!fuzzyMatch(query, s.name)) continue;
      out.push({
        name: s.name,
        kind: s.kind as CoreSymbolKind,
        container: pipelineName,
        uri,
        range: model.lineIndex.rangeOf(s.nameSpan),
      });
    }
    if (pipelineName && model.bindings.pipeline && fuzzyMatch(query, pipelineName)) {
      const l = model.bindings.pipeline.labels[0]!;
      out.push({
        name: pipelineName,
        kind: 'pipeline',
        uri,
        range: model.lineIndex.rangeOf({ start: l.node.start, end: l.node.end }),
      });
    }
  };
  for (const d of open) {
    seen.add(d.uri);
    add(d.uri, d.model);
  }
  for (const path of workspaceSrlmFiles(env)) {
    const uri = pathToFileURL(path).toString();
    if (seen.has(uri)) continue;
    const text = env.readText(path, 2 * 1024 * 1024);
    if (text === undefined) continue;
    add(uri, analyze(text));
  }
  return out;
}

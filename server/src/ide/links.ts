// Document links for every path the pipeline names that exists on disk: dataset files, reward files,
// tokenizer and output folders, and local model folders (linked to their config.json).
import { join } from 'node:path';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { isLocalSource } from '../core';
import { expandPath } from './modelFacts';
import type { IdeLink } from './types';

export function documentLinks(doc: IdeDocument, env: IdeEnv): IdeLink[] {
  const base = doc.dir;
  if (!base) return [];
  const out: IdeLink[] = [];
  const configs = [...doc.model.configs.values()];
  if (doc.model.pipeline) configs.push(doc.model.pipeline);
  const visit = (cfg: (typeof configs)[number]): void => {
    for (const [name, attr] of cfg.attributes) {
      const field = cfg.spec.fields.find((f) => f.name === name);
      const v = attr.value;
      if (!field || !v) continue;
      const raw = cfg.values[name];
      if (typeof raw !== 'string' || raw === '') continue;
      // A dataset source that exists on disk is a file or folder; otherwise it is a hub id (stat says).
      const isPath = field.type.kind === 'path' || (field.type.kind === 'string' && field.type.datasetSource === true);
      const isLocalModel = field.type.kind === 'string' && field.type.modelSource === true && isLocalSource(raw);
      if (!isPath && !isLocalModel) continue;
      const abs = expandPath(raw, base);
      const kind = env.stat(abs);
      if (!kind) continue;
      const target =
        isLocalModel && kind === 'dir' && env.stat(join(abs, 'config.json')) === 'file'
          ? join(abs, 'config.json')
          : abs;
      // The link covers the string's content, not its quotes.
      const quoted = doc.text[v.start] === '"';
      out.push({ span: { start: v.start + (quoted ? 1 : 0), end: v.end - (quoted ? 1 : 0) }, target, tooltip: target });
    }
    for (const nested of cfg.nested.values()) visit(nested);
  };
  configs.forEach(visit);
  return out;
}

// The pipeline templates the extension carries (dist/templates, built from examples/ by
// scripts/build-templates.mjs): reading their index and copying one into a folder. No `vscode` here, so the
// tests drive it directly.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface PipelineTemplate {
  /** Example file name without `.srlm`. */
  readonly id: string;
  readonly file: string;
  readonly pipeline?: string;
  readonly description: string;
  /** Data files the template names by relative path, carried beside it. */
  readonly files: readonly string[];
}

export function readTemplates(templatesDir: string): PipelineTemplate[] {
  return JSON.parse(readFileSync(path.join(templatesDir, 'index.json'), 'utf8')) as PipelineTemplate[];
}

/** `demo.srlm`, else `demo-2.srlm`, `demo-3.srlm`…: a new pipeline never replaces a file. */
export function freeName(folder: string, file: string): string {
  const stem = file.replace(/\.srlm$/, '');
  let name = file;
  for (let i = 2; existsSync(path.join(folder, name)); i++) name = `${stem}-${i}.srlm`;
  return name;
}

export interface Instantiated {
  /** The new .srlm file. */
  readonly file: string;
  /** Data files copied (those already in the folder are kept as they are). */
  readonly copied: string[];
}

/** Copies a template and the data files it names into `folder`. */
export function instantiateTemplate(templatesDir: string, t: PipelineTemplate, folder: string): Instantiated {
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, freeName(folder, t.file));
  copyFileSync(path.join(templatesDir, t.file), file);
  const copied: string[] = [];
  for (const rel of t.files) {
    const dest = path.join(folder, rel);
    if (existsSync(dest)) continue;
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(path.join(templatesDir, rel), dest);
    copied.push(rel);
  }
  return { file, copied };
}

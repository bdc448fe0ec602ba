// Builds the pipeline templates that the extension carries (dist/templates) from examples/, the one source: the
// templates listed in examples/templates.json, with paths into the engine's assets rewritten to `builtin:` sources
// (so the demo runs without this repository) and the relative data files they name copied beside them.
// Run by esbuild.mjs on every build; `node scripts/build-templates.mjs [OUT]` runs it alone.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSET_MODEL = /(source\s*=\s*)"[^"\n]*srlm_engine\/assets\/models\/([A-Za-z0-9_-]+)\/?"/g;
const RELATIVE_PATH = /\bpath\s*=\s*"((?![\\/~])(?![A-Za-z]:)[^"\n]+)"/g;

/** The example text with every model source inside the engine's assets named as `builtin:NAME`. */
export function rewriteAssetSources(text) {
  return text.replace(ASSET_MODEL, '$1"builtin:$2"');
}

/** The first sentence of the leading comment (the example's description) and the pipeline's name. */
export function describe(text) {
  const lead = /^(?:#[^\n]*\n)+/.exec(text)?.[0] ?? '';
  const prose = lead.replace(/^#\s?/gm, '').replace(/\s+/g, ' ').trim();
  const sentence = /^.+?[.!?](?=\s|$)/.exec(prose)?.[0] ?? prose;
  const pipeline = /^\s*pipeline\s+([A-Za-z_][A-Za-z0-9_]*)/m.exec(text);
  return { description: sentence, pipeline: pipeline ? pipeline[1] : undefined };
}

function matches(pattern, name) {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(name);
}

/** Example files the manifest selects, in manifest order, each once. */
export function selectExamples(examplesDir) {
  const manifest = JSON.parse(readFileSync(path.join(examplesDir, 'templates.json'), 'utf8'));
  const names = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.srlm'))
    .sort();
  const out = [];
  for (const pattern of manifest.templates) {
    const hits = names.filter((n) => matches(pattern, n) && !out.includes(n));
    if (hits.length === 0 && !pattern.includes('*'))
      throw new Error(`examples/templates.json names ${pattern}, which is not in ${examplesDir}`);
    out.push(...hits);
  }
  return out;
}

/** Writes OUT/<file>.srlm, OUT/<data files> and OUT/index.json; returns the index. */
export function buildTemplates(examplesDir, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const index = [];
  for (const file of selectExamples(examplesDir)) {
    const text = rewriteAssetSources(readFileSync(path.join(examplesDir, file), 'utf8'));
    writeFileSync(path.join(outDir, file), text);
    const files = [];
    for (const m of text.matchAll(RELATIVE_PATH)) {
      const rel = path.normalize(m[1]);
      const src = path.join(examplesDir, rel);
      if (rel.startsWith('..') || !existsSync(src) || files.includes(rel)) continue;
      mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
      copyFileSync(src, path.join(outDir, rel));
      files.push(rel.split(path.sep).join('/'));
    }
    const { description, pipeline } = describe(text);
    index.push({ id: file.replace(/\.srlm$/, ''), file, pipeline, description, files });
  }
  writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  return index;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const out = process.argv[2] ?? path.join(root, 'dist', 'templates');
  const index = buildTemplates(path.join(root, 'examples'), out);
  console.log(`templates: ${index.map((t) => t.id).join(', ')} → ${path.relative(process.cwd(), out) || '.'}`);
}

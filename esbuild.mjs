// Bundles each deployable target separately (extension client, language server, CLI, webviews).
// `vscode` is provided by the host and `onnxruntime-node` carries native binaries, so both stay external.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { buildTemplates } from './scripts/build-templates.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// Generation's text libraries (tokenizers, jinja) are their own bundle, loaded when the inspector or
// `srlm generate` first tokenises (runtime/src/inference/textLibs.ts), not parsed at activation.
const textLibsApart = {
  name: 'text-libs-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/textLibs$/ }, () => ({ path: './text-libs.js', external: true }));
  },
};

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  external: ['vscode', 'onnxruntime-node'],
  plugins: [textLibsApart],
  logLevel: 'info',
};

const webviewDir = 'client/webview';
const webviewEntries = existsSync(webviewDir)
  ? readdirSync(webviewDir)
      .filter((f) => /^[a-z-]+\.ts$/.test(f))
      .map((f) => `${webviewDir}/${f}`)
  : [];

const targets = [
  { ...node, entryPoints: { client: 'client/src/extension.ts' }, outdir: 'dist' },
  // A shebang on the server too: the stand-alone npm package (packages/cli) installs it as `srlm-language-server`.
  { ...node, entryPoints: { server: 'server/src/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { srlm: 'runtime/src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { 'text-libs': 'runtime/src/inference/textLibs.ts' }, outdir: 'dist' },
];
if (webviewEntries.length > 0) {
  targets.push({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: true,
    minify: production,
    entryPoints: webviewEntries,
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
    logLevel: 'info',
  });
}

// The pipeline templates the extension carries, generated from examples/ (the one source).
buildTemplates('examples', 'dist/templates');

if (watch) {
  for (const t of targets) {
    const ctx = await esbuild.context(t);
    await ctx.watch();
  }
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}

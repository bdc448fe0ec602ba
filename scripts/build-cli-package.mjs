// Stages the stand-alone `srlm` npm package (packages/cli): the CLI bundle, the language server (for editors other
// than VS Code) and the text-libraries bundle that `srlm generate` loads, from dist/ (build first: `npm run build:cli` does both), and the license.
// Then `npm pack packages/cli` makes the tarball.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = path.join(root, 'packages', 'cli');
const version = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
const cli = readFileSync(path.join(root, 'dist', 'srlm.js'), 'utf8');
// The CLI prints its own version; a package that says another would be a lie on every `srlm --version`.
if (!cli.includes(`"${version}"`))
  throw new Error(`dist/srlm.js is not version ${version} (packages/cli/package.json)`);
rmSync(path.join(pkgDir, 'dist'), { recursive: true, force: true });
mkdirSync(path.join(pkgDir, 'dist'));
for (const f of ['srlm.js', 'server.js', 'text-libs.js'])
  copyFileSync(path.join(root, 'dist', f), path.join(pkgDir, 'dist', f));
copyFileSync(path.join(root, 'LICENSE'), path.join(pkgDir, 'LICENSE'));
console.log(
  `staged ${path.relative(process.cwd(), pkgDir)} (srlm ${version}); next: npm pack ${path.relative(process.cwd(), pkgDir)}`,
);

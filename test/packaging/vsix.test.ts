// Issue 15, every desktop platform: packages every VSIX target from one production build (as
// `npm run package:all` does) and checks what each carries — that platform's onnxruntime-node binaries and only
// those, nothing from test/, bench/, .venv or other node_modules, and every file the manifest names — then runs
// the universal package's `srlm generate` (one clear message, no generation) and loads the host package's
// onnxruntime from where the bundles find it. Run by scripts/test.sh as a step of its own: it rebuilds dist/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VSIX_TARGETS, type VsixTarget } from '../../runtime/src/inference/ortTargets';
import { hostTarget, nativeFiles, ORT_DIR_IN_VSIX, vsixName } from '../../scripts/package-vsix';
import { ZipFile } from '../helpers/zip';

const root = path.resolve(__dirname, '..', '..');
const targets = Object.keys(VSIX_TARGETS) as VsixTarget[];
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const ORT = `${ORT_DIR_IN_VSIX}/onnxruntime-node/`;

/** Every path a package may hold (relative to `extension/`); anything else is a packaging mistake. */
const ALLOWED: RegExp[] = [
  /^package\.json$/,
  /^readme\.md$/,
  /^changelog\.md$/,
  /^LICENSE\.txt$/,
  /^language-configuration\.json$/,
  /^syntaxes\/[\w.-]+\.json$/,
  /^dist\/(client|server|srlm|text-libs)\.js$/,
  /^dist\/webview\/[\w-]+\.(js|css)$/,
  /^dist\/templates\/[\w./-]+\.(srlm|json|jsonl)$/,
  /^dist\/engine\/[\w.+-]+\.whl$/, // the engine wheel, where the set-up from the VSIX ships one
  /^media\/[\w./-]+\.(png|svg|css|md)$/,
  /^runtime\/events\.schema\.json$/,
  /^runtime\/python\/pyproject\.toml$/,
  /^runtime\/python\/srlm_engine\/[\w./-]+\.(py|json)$/,
  /^dist\/node_modules\/onnxruntime-common\/(package\.json|dist\/cjs\/[\w-]+\.(js|json))$/,
  /^dist\/node_modules\/onnxruntime-node\/(package\.json|dist\/[\w-]+\.js|bin\/napi-v6\/\w+\/\w+\/[\w.-]+)$/,
];
/** Named apart so a failure says what leaked. */
const FORBIDDEN: [RegExp, string][] = [
  [/^test\//, 'tests'],
  [/^bench\//, 'benchmarks'],
  [/(^|\/)\.venv\//, 'a virtual environment'],
  [/^node_modules\//, 'the checkout’s node_modules'],
  [/(^|\/)__pycache__\//, 'Python byte code'],
  [/\.map$/, 'source maps'],
  [/\.(ts|mts|cts)$/, 'TypeScript sources'],
  [/^(docs|scripts|examples|client|server|packages|runtime\/src|runtime\/python\/tests)\//, 'sources or docs'],
];

let out: string;
const packages = new Map<VsixTarget, { names: string[]; zip: ZipFile }>();

before(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm-vsix-'));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/package-vsix.ts', '--all', '--out', out], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => /^packaged \S+:/.test(l));
  console.log(`${lines.join('\n')}\nbuild + ${targets.length} packages: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const t of targets) {
    const zip = new ZipFile(path.join(out, vsixName(t)));
    const names = zip
      .names()
      .filter((n) => n.startsWith('extension/'))
      .map((n) => n.slice('extension/'.length));
    packages.set(t, { names, zip });
  }
});

after(() => fs.rmSync(out, { recursive: true, force: true }));

describe('every platform’s VSIX', () => {
  for (const target of targets) {
    it(`${target}: only allowed files, and the right native binaries`, () => {
      const { names, zip } = packages.get(target)!;
      for (const n of names) {
        for (const [re, what] of FORBIDDEN) assert.doesNotMatch(n, re, `${target} carries ${what}: ${n}`);
        assert.ok(
          ALLOWED.some((re) => re.test(n)),
          `${target} carries ${n}, which no rule allows`,
        );
      }
      const vsixManifest = zip.read('extension.vsixmanifest').toString('utf8');
      const platform = /TargetPlatform="([^"]+)"/.exec(vsixManifest)?.[1];
      assert.equal(platform, target === 'universal' ? undefined : target);

      const native = names.filter((n) => n.startsWith(`${ORT}bin/`)).sort();
      const folder = VSIX_TARGETS[target];
      if (!folder) {
        assert.deepEqual(
          names.filter((n) => n.includes('onnxruntime')),
          [],
          `${target} has no ONNX Runtime build: nothing of it is packaged`,
        );
        return;
      }
      for (const n of native) assert.ok(n.startsWith(`${ORT}bin/napi-v6/${folder}/`), `${target}: ${n}`);
      // Written out, not derived from the script: the binding, the runtime it links, and on Windows the DirectML
      // and shader-compiler DLLs ONNX Runtime loads; never a GPU provider or the duplicate versioned dylib.
      const expected: Record<string, string[]> = {
        linux: ['libonnxruntime.so.1', 'onnxruntime_binding.node'],
        darwin: ['libonnxruntime.1.dylib', 'onnxruntime_binding.node'],
        win32: ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'],
      };
      assert.deepEqual(
        native.map((n) => path.posix.basename(n)),
        expected[folder.split('/')[0]!],
      );
      assert.deepEqual(
        native,
        nativeFiles(target).map((f) => `${ORT_DIR_IN_VSIX}/${f}`),
      );
      assert.ok(names.includes(`${ORT}dist/binding.js`) && names.includes(`${ORT}package.json`));
      assert.ok(names.includes(`${ORT_DIR_IN_VSIX}/onnxruntime-common/dist/cjs/index.js`));
    });
  }

  it('every package holds every file the manifest names', () => {
    const c = manifest.contributes;
    const named = [
      manifest.main,
      manifest.icon,
      ...c.grammars.map((g: { path: string }) => g.path),
      ...c.languages
        .filter((l: { configuration?: string }) => l.configuration)
        .map((l: { configuration: string }) => l.configuration),
      ...c.jsonValidation.map((j: { url: string }) => j.url),
      ...c.viewsContainers.activitybar.map((v: { icon: string }) => v.icon),
      ...c.walkthroughs.flatMap((w: { steps: { media: { markdown: string } }[] }) =>
        w.steps.map((s) => s.media.markdown),
      ),
    ].map((p: string) => path.posix.normalize(p));
    for (const target of targets) {
      const names = new Set(packages.get(target)!.names);
      for (const p of [...named, 'dist/srlm.js', 'dist/server.js', 'dist/text-libs.js', 'LICENSE.txt', 'readme.md'])
        assert.ok(names.has(p), `${target} lacks ${p}`);
      assert.ok(
        [...names].some((n) => n.startsWith('dist/templates/')),
        `${target}: the pipeline templates`,
      );
      assert.equal(
        [...names].filter((n) => /^dist\/engine\/srlm_engine-[\w.+]+-py3-none-any\.whl$/.test(n)).length,
        1,
        `${target}: the engine wheel the set-up installs`,
      );
    }
  });

  it('the universal package says in one line that it cannot generate; the host package loads its runtime', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srlm vsix ')); // a space, as in user folders
    try {
      const extract = (target: VsixTarget, to: string) => {
        const { zip, names } = packages.get(target)!;
        for (const n of names) {
          const file = path.join(to, n);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, zip.read(`extension/${n}`));
        }
      };
      const universal = path.join(dir, 'universal');
      extract('universal', universal);
      const ckpt = path.join(dir, 'my checkpoint');
      fs.mkdirSync(path.join(ckpt, 'onnx'), { recursive: true });
      fs.writeFileSync(path.join(ckpt, 'onnx', 'model.onnx'), '');
      fs.writeFileSync(
        path.join(ckpt, 'onnx', 'srlm_onnx.json'),
        JSON.stringify({ format: 'srlm-onnx-kv', format_version: 1, model: 'model.onnx' }),
      );
      const r = spawnSync(
        process.execPath,
        [path.join(universal, 'dist', 'srlm.js'), 'generate', ckpt, '--prompt', 'hi'],
        {
          cwd: dir,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, NODE_PATH: '' },
        },
      );
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0]!,
        new RegExp(
          `^srlm generate: In-editor generation is not available in this build of SRLM Studio: it carries no ONNX Runtime for ${process.platform}-${process.arch}\\.`,
        ),
      );

      const host = hostTarget();
      if (!VSIX_TARGETS[host]) return; // this machine has no package with a runtime (not the case in CI)
      const hostDir = path.join(dir, host);
      extract(host, hostDir);
      const probe =
        "const r = require('node:module').createRequire(process.argv[1]);" +
        "const o = r('onnxruntime-node'); console.log(r.resolve('onnxruntime-node'));" +
        "console.log(o.listSupportedBackends().map((b) => b.name).join(','));";
      const p = spawnSync(process.execPath, ['-e', probe, path.join(hostDir, 'dist', 'srlm.js')], { encoding: 'utf8' });
      assert.equal(p.status, 0, p.stderr);
      const [resolved, backends] = p.stdout.trim().split('\n');
      assert.ok(resolved!.startsWith(path.join(hostDir, 'dist', 'node_modules')), resolved);
      assert.match(backends!, /\bcpu\b/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Builds the VSIX packages: one per desktop platform with that platform's onnxruntime-node binaries, and a
// universal one without them (no in-editor generation). Usage:
//   node --import tsx scripts/package-vsix.ts [--all | --target T ...] [--out DIR] [--no-build]
// Default target: this machine's (what `npm run package` and the end-to-end suite install).
//
// Each package is made from a staging folder, not from the checkout: the files `.vscodeignore` selects are
// copied in once, then per target only onnxruntime-node's run-time files are linked into
// `dist/node_modules/` (where Node's resolution finds them from the bundles in dist/). So packaging never
// runs `npm list` (which fails on any extraneous or linked node_modules) and never touches the checkout's dist/.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createVSIX, listFiles, PackageManager } from '@vscode/vsce';
import { VSIX_TARGETS, type VsixTarget } from '../runtime/src/inference/ortTargets';

const root = path.resolve(__dirname, '..');
/** Where the packages' onnxruntime files go; the content check (test/packaging) expects exactly this. */
export const ORT_DIR_IN_VSIX = 'dist/node_modules';

export function vsixName(target: VsixTarget): string {
  return `srlm-studio-${target}.vsix`;
}

/**
 * The onnxruntime-node binaries a target ships: its folder minus the optional GPU providers (downloaded only
 * on a CUDA install, hundreds of MB) and minus macOS's `libonnxruntime.<full version>.dylib`, a byte copy npm
 * made of a symlink: the binding links `@rpath/libonnxruntime.1.dylib` and that dylib's install name is the same.
 */
export function nativeFiles(target: VsixTarget, nodeModules = path.join(root, 'node_modules')): string[] {
  const folder = VSIX_TARGETS[target];
  if (!folder) return [];
  const dir = path.join(nodeModules, 'onnxruntime-node', 'bin', 'napi-v6', folder);
  const names = fs.readdirSync(dir).sort();
  return names
    .filter((n) => !/providers_(cuda|tensorrt|shared)/.test(n))
    .filter((n) => !(/^libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(n) && names.includes('libonnxruntime.1.dylib')))
    .map((n) => `onnxruntime-node/bin/napi-v6/${folder}/${n}`);
}

/** onnxruntime-node's and onnxruntime-common's JavaScript that `require('onnxruntime-node')` runs. */
function ortScripts(nodeModules: string): string[] {
  const js = (dir: string) =>
    fs
      .readdirSync(path.join(nodeModules, dir))
      .filter((n) => n.endsWith('.js'))
      .map((n) => `${dir}/${n}`);
  return [
    'onnxruntime-node/package.json',
    ...js('onnxruntime-node/dist'),
    'onnxruntime-common/package.json',
    'onnxruntime-common/dist/cjs/package.json',
    ...js('onnxruntime-common/dist/cjs'),
  ];
}

/** Hard link (the binaries are large), else copy (another file system). */
function place(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

export interface PackageResult {
  readonly target: VsixTarget;
  readonly file: string;
  readonly bytes: number;
  readonly seconds: number;
}

export async function packageTargets(
  targets: readonly VsixTarget[],
  outDir: string,
  log: (line: string) => void = console.log,
): Promise<PackageResult[]> {
  const nodeModules = fs.realpathSync(path.join(root, 'node_modules'));
  // vsce's own matching lets `!runtime/python/srlm_engine/**` win over a later `**/__pycache__/**`, so byte code
  // left by a test run would ship: it is dropped here.
  const files = (await listFiles({ cwd: root, packageManager: PackageManager.None })).filter(
    (f) => !/(^|\/)__pycache__\//.test(f) && !f.endsWith('.pyc'),
  );
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(root, 'dist', '.vsix-stage-'));
  const stage = path.join(work, 'extension');
  // Everything is chosen already: vsce is told to ignore nothing more (an ignore file that says so).
  const ignoreFile = path.join(work, 'vscodeignore');
  fs.writeFileSync(ignoreFile, '# the staging folder holds exactly what is packaged\n');
  const results: PackageResult[] = [];
  try {
    for (const f of files) place(path.join(root, f), path.join(stage, f));
    for (const target of targets) {
      const t0 = Date.now();
      const ortDir = path.join(stage, ORT_DIR_IN_VSIX);
      fs.rmSync(ortDir, { recursive: true, force: true });
      if (VSIX_TARGETS[target])
        for (const f of [...ortScripts(nodeModules), ...nativeFiles(target, nodeModules)])
          place(path.join(nodeModules, f), path.join(ortDir, f));
      const file = path.join(outDir, vsixName(target));
      await createVSIX({
        cwd: stage,
        packagePath: file,
        ...(target === 'universal' ? {} : { target }),
        dependencies: false,
        ignoreFile,
      });
      const r = { target, file, bytes: fs.statSync(file).size, seconds: (Date.now() - t0) / 1000 };
      log(`packaged ${target}: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(1)} s → ${file}`);
      results.push(r);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

export function hostTarget(): VsixTarget {
  const t = `${process.platform}-${process.arch}`;
  return t in VSIX_TARGETS ? (t as VsixTarget) : 'universal';
}

function parseArgs(argv: string[]): { targets: VsixTarget[]; out: string; build: boolean } {
  const targets: VsixTarget[] = [];
  let out = path.join(root, 'dist');
  let build = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--all') targets.push(...(Object.keys(VSIX_TARGETS) as VsixTarget[]));
    else if (a === '--no-build') build = false;
    else if (a === '--target' || a === '--out') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--out') out = path.resolve(v);
      else if (v in VSIX_TARGETS) targets.push(v as VsixTarget);
      else throw new Error(`--target: unknown '${v}' (one of ${Object.keys(VSIX_TARGETS).join(', ')})`);
    } else throw new Error(`unknown argument ${a}`);
  }
  return { targets: targets.length > 0 ? [...new Set(targets)] : [hostTarget()], out, build };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`package-vsix: ${(err as Error).message}`);
    return 2;
  }
  if (args.build) {
    // One production build for every target: the bundles are the same JavaScript on every platform.
    const b = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) return 1;
    // The engine wheel "Set Up Python Environment" installs (dist/engine/, pure Python: one for every target).
    const w = spawnSync(process.execPath, ['scripts/build-engine-wheel.mjs'], { cwd: root, stdio: 'inherit' });
    if (w.status !== 0) return 1;
  }
  const t0 = Date.now();
  const results = await packageTargets(args.targets, args.out);
  console.log(`${results.length} package(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`package-vsix: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

// CLI conventions of ruff, cargo and gh, through the CLI entry: `-` reads standard input, folders are walked,
// `srlm help CMD`, "did you mean", `fmt --diff`, `check --output-format github|sarif`, completion scripts, and
// file errors in words rather than errno codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { srlm, workspace } from '../runtime/cliHelpers';
import { commands } from '../../runtime/src/cli/registry';

// The environment checks read the Hugging Face cache and the GPU: a fixture cache holds the model these pipelines
// name, and no nvidia-smi is asked, so the results do not depend on the machine.
const ENV = { HF_HUB_CACHE: path.join(__dirname, '..', 'fixtures', 'hubcache'), SRLM_DETECT_GPU: '0' };

async function run(args: string[], cwd: string, stdin?: string) {
  const r = await srlm(args, cwd, ENV, stdin);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const CLEAN =
  'pipeline p {\n  model m { source = "Qwen/Qwen2.5-0.5B-Instruct" }\n  dataset d { builtin = arithmetic }\n  stage sft s {\n    init = m\n    data = d\n  }\n}\n';
const UGLY =
  'pipeline p {\nmodel m { source = "Qwen/Qwen2.5-0.5B-Instruct" }\n  dataset d { builtin = arithmetic }\n  stage sft s {\n    init = m\n    data = d\n  }\n}\n';
const BAD = 'pipeline p {\n  seed = "x"\n  dataset d { builtin = arithmetic }\n}\n';

test('check - reads standard input; --stdin-filename names it and anchors relative paths', async () => {
  const dir = workspace({ 'sub/data/x.jsonl': '{"q": "a", "c": "b"}\n' });
  const clean = await run(['check', '-'], dir, CLEAN);
  assert.equal(clean.code, 0, clean.out + clean.err);
  assert.equal(clean.out, '0 errors, 0 warnings in 1 file\n');
  const bad = await run(['check', '-'], dir, BAD);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /^<stdin>:2:10: error SRLM\d+: /m);
  const withData =
    'pipeline p {\n  model m { source = "Qwen/Qwen2.5-0.5B-Instruct" }\n  dataset d { path = "data/x.jsonl"  prompt = "q"  completion = "c" }\n  stage sft s { init = m  data = d }\n}\n';
  const named = await run(['check', '-', '--stdin-filename', 'sub/p.srlm'], dir, withData);
  assert.equal(named.code, 0, named.out);
  const unnamed = await run(['check', '-'], dir, withData);
  assert.equal(unnamed.code, 1, 'without the name, data/x.jsonl is looked for in the working folder');
  assert.match(unnamed.out, /^<stdin>:3:/m);
});

test('fmt - writes the formatted text to standard output; --check and --diff read it too', async () => {
  const dir = workspace({});
  const r = await run(['fmt', '-'], dir, UGLY);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, CLEAN);
  assert.equal((await run(['fmt', '--check', '-'], dir, UGLY)).code, 1);
  assert.equal((await run(['fmt', '--check', '-'], dir, CLEAN)).code, 0);
});

test('a folder argument stands for every .srlm file below it, sorted, skipping hidden folders and node_modules', async () => {
  const dir = workspace({
    'pipes/b.srlm': BAD,
    'pipes/a.srlm': CLEAN,
    'pipes/deep/c.srlm': UGLY,
    'pipes/notes.txt': 'not a pipeline',
    'pipes/.srlm/runs/x/old.srlm': BAD,
    'pipes/node_modules/m/p.srlm': BAD,
  });
  const r = await run(['check', '--output-format', 'json', 'pipes'], dir);
  assert.equal(r.code, 1);
  const files = new Set((JSON.parse(r.out) as { file: string }[]).map((d) => d.file));
  assert.deepEqual([...files], [path.join('pipes', 'b.srlm')]);
  const human = await run(['check', 'pipes'], dir);
  assert.match(human.out, /in 3 files\n$/);
  const fmt = await run(['fmt', '--check', 'pipes'], dir);
  assert.equal(fmt.out, `${path.join('pipes', 'deep', 'c.srlm')}: not formatted\n`);
  const empty = workspace({ 'x/readme.txt': '' });
  const none = await run(['check', 'x'], empty);
  assert.equal(none.code, 2);
  assert.equal(none.err, 'srlm check: no .srlm files in x\n');
});

test('fmt --diff prints a unified diff, changes nothing and exits 1; a formatted file gives no output', async () => {
  const dir = workspace({ 'u.srlm': UGLY, 'c.srlm': CLEAN });
  const r = await run(['fmt', '--diff', 'u.srlm', 'c.srlm'], dir);
  assert.equal(r.code, 1);
  assert.equal(
    r.out,
    '--- a/u.srlm\n+++ b/u.srlm\n@@ -1,5 +1,5 @@\n pipeline p {\n-model m { source = "Qwen/Qwen2.5-0.5B-Instruct" }\n+  model m { source = "Qwen/Qwen2.5-0.5B-Instruct" }\n   dataset d { builtin = arithmetic }\n   stage sft s {\n     init = m\n',
  );
  assert.equal(readFileSync(path.join(dir, 'u.srlm'), 'utf8'), UGLY);
  const patch = spawnSync('patch', ['-p1', '--dry-run'], { cwd: dir, input: r.out, encoding: 'utf8' });
  assert.equal(patch.status, 0, `patch(1) accepts the diff: ${patch.stdout}${patch.stderr}`);
  assert.deepEqual(await run(['fmt', '--diff', 'c.srlm'], dir), { code: 0, out: '', err: '' });
  assert.equal((await run(['fmt', '--diff', '--check', 'c.srlm'], dir)).code, 2);
});

test('check --output-format github prints workflow annotations with escaped data', async () => {
  const dir = workspace({ 'dir, odd/b.srlm': BAD });
  const r = await run(['check', '--output-format=github', 'dir, odd/b.srlm'], dir);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.ok(
    lines.some((l) => l.startsWith('::warning file=dir%2C odd/b.srlm,line=1,')),
    'warnings too',
  );
  assert.match(
    lines.find((l) => l.startsWith('::error')) ?? '',
    /^::error file=dir%2C odd\/b\.srlm,line=2,col=10,endLine=2,endColumn=13,title=srlm SRLM\d+::.+$/,
  );
});

test('check --output-format sarif writes a SARIF 2.1.0 log with rules, levels and 1-based regions', async () => {
  const dir = workspace({ 'b.srlm': BAD });
  const r = await run(['check', '--output-format', 'sarif', 'b.srlm'], dir);
  assert.equal(r.code, 1);
  const log = JSON.parse(r.out);
  assert.equal(log.version, '2.1.0');
  const [sarifRun] = log.runs;
  assert.equal(sarifRun.tool.driver.name, 'srlm');
  const result = sarifRun.results.find((x: { level: string }) => x.level === 'error');
  assert.ok(sarifRun.results.some((x: { level: string }) => x.level === 'warning'));
  assert.equal(result.level, 'error');
  assert.equal(sarifRun.tool.driver.rules[result.ruleIndex].id, result.ruleId);
  const loc = result.locations[0].physicalLocation;
  assert.deepEqual(loc.artifactLocation, { uri: 'b.srlm', uriBaseId: '%SRCROOT%' });
  assert.deepEqual(loc.region, { startLine: 2, startColumn: 10, endLine: 2, endColumn: 13 });
  assert.equal(sarifRun.originalUriBaseIds['%SRCROOT%'].uri, `file://${dir}/`);
});

test('srlm help CMD prints its usage; mistyped commands get a suggestion', async () => {
  const dir = workspace({});
  const help = await run(['help', 'fmt'], dir);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: srlm fmt /);
  const typo = await run(['chekc', 'x.srlm'], dir);
  assert.equal(typo.code, 2);
  assert.equal(typo.err, "srlm: unknown command 'chekc'; did you mean 'check'?\n");
  const helpTypo = await run(['help', 'fmtt'], dir);
  assert.equal(helpTypo.err, "srlm help: unknown command 'fmtt'; did you mean 'fmt'?\n");
  const far = await run(['zzzzzz'], dir);
  assert.match(far.err, /^srlm: unknown command 'zzzzzz'\n\nusage: srlm <command>/);
});

test('file errors are words, not errno codes', async () => {
  const dir = workspace({ afile: '' });
  const missing = await run(['fmt', 'nope.srlm'], dir);
  assert.equal(missing.err, 'srlm fmt: cannot read nope.srlm: no such file or folder\n');
  const notDir = await run(['check', 'afile/x.srlm'], dir);
  assert.equal(notDir.err, 'srlm check: cannot read afile/x.srlm: a part of the path is a file, not a folder\n');
});

test('bash completion completes commands, options and .srlm files', () => {
  const dir = workspace({ 'a.srlm': CLEAN, 'b.txt': '', 'sub/c.srlm': CLEAN });
  const script = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.resolve(__dirname, '../../runtime/src/cli/main.ts'), 'completion', 'bash'],
    { encoding: 'utf8' },
  ).stdout;
  const complete = (words: string[]) => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _srlm; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').sort();
  };
  assert.deepEqual(complete(['srlm', 'ch']), ['check']);
  assert.deepEqual(complete(['srlm', 'check', '--out']), ['--output-format']);
  assert.deepEqual(complete(['srlm', 'fmt', '--d']), ['--diff']);
  assert.deepEqual(complete(['srlm', 'check', '']), ['a.srlm', 'sub']);
  assert.deepEqual(complete(['srlm', 'help', 'ru']), ['run', 'runs']);
});

test('zsh and fish scripts name every command', async () => {
  const dir = workspace({});
  for (const shell of ['zsh', 'fish']) {
    const r = await run(['completion', shell], dir);
    assert.equal(r.code, 0);
    for (const c of commands)
      assert.ok(r.out.includes(shell === 'zsh' ? `'${c.name}:` : `-a ${c.name} -d`), `${shell}: ${c.name}`);
  }
  assert.equal((await run(['completion', 'tcsh'], dir)).code, 2);
});

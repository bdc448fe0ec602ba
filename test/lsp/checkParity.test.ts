// One check, everywhere: `srlm check --json` (the bundled CLI as a process) and the language server (the bundled
// server over stdio) report the same diagnostics — code, range, severity and message — on the same file and the
// same environment: a hub cache from HF_HUB_CACHE (a model and GSM8K in it, a teacher not), a GPU from nvidia-smi
// (a stand-in script on PATH), local model folders, parquet and JSON-lines datasets and a missing reward file.
// The hub dataset block uses the dataset `source` field of issue 12's DSL contract.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { writeSmallModel } from '../helpers/smallModel';
import { LspClient, ROOT, ensureCliBundle, fileUri } from './harness';

const SEVERITY = ['', 'error', 'warning', 'info', 'hint'] as const;

const PIPELINE = `pipeline parity {
  seed = 7

  model qwen { source = "Qwen/Qwen2.5-0.5B-Instruct" }
  model big { source = "Qwen/Qwen2.5-7B-Instruct" }
  model small { source = "./models/small" }

  dataset gsm { path = "data/gsm8k.parquet"  prompt = "question"  completion = "solution" }
  dataset long { path = "data/long.jsonl"  prompt = "q"  completion = "c"  answer = "a" }
  dataset hub { source = "openai/gsm8k"  subset = "main"  prompt = "question"  completion = "solution" }

  stage sft warm { init = qwen  data = long  max_len = 1024 }
  stage kd distill { init = warm  teacher = big  data = long }
  stage sft tiny { init = small  data = gsm  max_len = 8192 }
  stage rl grpo {
    init = distill
    data = long
    reward = accuracy + 0.5 * brevity
    reward_file = "rewards.py"
    max_new_tokens = 8
  }
}
`;

let ws: string;
let env: Record<string, string>;
let lsp: LspClient;

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'srlm-parity-'));
  // Outside the workspace: the server never runs an nvidia-smi from a workspace folder (docs/security.md).
  const bin = mkdtempSync(join(tmpdir(), 'srlm-parity-bin-'));
  // What nvidia-smi prints for --query-gpu=name,memory.total --format=csv,noheader,nounits: a 2 GiB card.
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "NVIDIA Parity GPU, 2048"\n');
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  writeSmallModel(join(ws, 'models/small'));
  // A tokenizer without a chat template: the template check speaks.
  writeFileSync(join(ws, 'models/small/tokenizer_config.json'), JSON.stringify({ eos_token: '</s>' }));
  mkdirSync(join(ws, 'data'));
  copyFileSync(join(ROOT, 'test/fixtures/datasets/gsm8k.parquet'), join(ws, 'data/gsm8k.parquet'));
  const row = (i: number) =>
    JSON.stringify({ q: `What is ${i} + ${i}?`, c: `${i} + ${i} = ${2 * i}. `.repeat(12), a: `${2 * i}` });
  writeFileSync(join(ws, 'data/long.jsonl'), Array.from({ length: 8 }, (_, i) => row(i)).join('\n') + '\n');
  writeFileSync(join(ws, 'parity.srlm'), PIPELINE);
  // A hub cache with the 0.5B model and GSM8K but not the 7B teacher.
  const hub = join(ws, 'hub');
  mkdirSync(hub);
  for (const repo of ['models--Qwen--Qwen2.5-0.5B-Instruct', 'datasets--openai--gsm8k'])
    symlinkSync(join(ROOT, 'test/fixtures/hubcache', repo), join(hub, repo));
  env = { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, HF_HUB_CACHE: hub };
  lsp = await LspClient.start({ rootDir: ws, env, initializationOptions: { diagnosticsDelayMs: 0 } });
});

after(async () => {
  await lsp?.stop();
});

interface Seen {
  code: string;
  severity: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
}

const key = (d: Seen) => JSON.stringify([d.range.start.line, d.range.start.character, d.code, d.message]);
const sorted = (ds: Seen[]) => [...ds].sort((a, b) => key(a).localeCompare(key(b)));

test('srlm check --json and the language server report identical diagnostics on the same file and environment', async () => {
  const cli = spawnSync(process.execPath, [await ensureCliBundle(), 'check', 'parity.srlm', '--json'], {
    cwd: ws,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(cli.status, 1, cli.stderr);
  const fromCli = (JSON.parse(cli.stdout) as (Seen & { file: string })[]).map(({ file: _f, ...d }) => d);

  const uri = fileUri(join(ws, 'parity.srlm'));
  await lsp.open(uri, PIPELINE);
  // GPU detection finishes after start-up and re-runs the checks: wait for the memory warning it brings.
  const published = await lsp.waitForDiagnostics(uri, (p) => p.diagnostics.some((d) => d.code === 'SRLM059'), 15000, 0);
  const fromLsp: Seen[] = published.diagnostics.map((d) => ({
    range: d.range,
    severity: SEVERITY[d.severity ?? 1],
    code: String(d.code),
    message: typeof d.message === 'string' ? d.message : d.message.value,
  }));

  // Every environment check spoke, so the comparison covers them all.
  const codes = new Set(fromCli.map((d) => d.code));
  for (const c of ['SRLM052', 'SRLM053', 'SRLM054', 'SRLM055', 'SRLM057', 'SRLM058', 'SRLM059', 'SRLM061'])
    assert.ok(codes.has(c), `${c} missing from the CLI's ${[...codes].join(', ')}`);
  assert.match(fromCli.find((d) => d.code === 'SRLM059')!.message, /NVIDIA Parity GPU, nvidia-smi/);
  assert.deepEqual(sorted(fromLsp), sorted(fromCli));
});

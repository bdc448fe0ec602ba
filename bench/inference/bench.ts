// Generation speed on the CPU: onnxruntime-node (this extension's path) against transformers' generate on the
// same checkpoint, in one run, same prompt, same number of new tokens, greedy, no EOS stop.
// usage: npx tsx bench/inference/bench.ts [--new-tokens N] [--repeats R] [--large]
// --large adds a model of Qwen2.5-0.5B's shape (random weights; ~2 GB fp32, minutes to export on 2 cores).
// Prints a markdown table; target: ONNX decode tokens/s ≥ 1.5× transformers.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CheckpointGenerator } from '../../runtime/src/inference/checkpointGenerator';
import { generate } from '../../runtime/src/inference/generate';

const repo = path.resolve(__dirname, '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');
const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const newTokens = arg('--new-tokens', 128);
const repeats = arg('--repeats', 3);

function py(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${args[0]} failed:\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

async function main(): Promise<void> {
  const out = path.join(tmpdir(), 'srlm-bench-inference');
  const models = JSON.parse(
    py([path.join(__dirname, 'make_models.py'), out, ...(process.argv.includes('--large') ? ['--large'] : [])]),
  ) as Record<string, { path: string; params: number }>;
  const rows: string[] = [];
  for (const [name, m] of Object.entries(models)) {
    const gen = await CheckpointGenerator.open(m.path, { provider: 'cpu' });
    const prompt = gen.encodePrompt('Compute 12 * 7 - 5 step by step and put the answer in \\boxed{}.');
    const run = () => generate(gen.model, gen.tokenizer, prompt, { maxNewTokens: newTokens, stopTokenIds: [] });
    await run(); // warm-up: session arena and first-run kernel selection
    const results = [];
    for (let i = 0; i < repeats; i++) results.push(await run());
    const firstMs = Math.min(...results.map((r) => r.firstTokenMs));
    const decode = Math.max(...results.map((r) => r.decodeTokensPerSecond));
    const e2e = Math.max(...results.map((r) => (r.tokens.length * 1000) / r.totalMs));
    await gen.dispose();

    // onnxruntime runs with non-spinning workers (ort.ts); torch gets the same chance through OpenMP's passive
    // wait policy, and the better of its two runs is the baseline.
    type Hf = { first_token_ms: number; decode_tokens_per_s: number; tokens_per_s: number; ids: number[] };
    const hfRun = (env: NodeJS.ProcessEnv) =>
      JSON.parse(
        py(
          [
            path.join(__dirname, 'transformers_gen.py'),
            m.path,
            JSON.stringify(prompt),
            String(newTokens),
            String(repeats),
          ],
          env,
        ),
      ) as Hf;
    const hf = [hfRun({}), hfRun({ OMP_WAIT_POLICY: 'PASSIVE' })].reduce((a, b) =>
      b.decode_tokens_per_s > a.decode_tokens_per_s ? b : a,
    );
    const same = hf.ids.join() === results[0]!.tokens.map((t) => t.id).join();
    rows.push(
      `| ${name} (${(m.params / 1e6).toFixed(1)}M params) | ${prompt.length} | ${newTokens} | ` +
        `${firstMs.toFixed(1)} / ${hf.first_token_ms.toFixed(1)} | ${decode.toFixed(0)} / ${hf.decode_tokens_per_s.toFixed(0)} | ` +
        `**${(decode / hf.decode_tokens_per_s).toFixed(2)}×** | ${e2e.toFixed(0)} / ${hf.tokens_per_s.toFixed(0)} | ${same ? 'yes' : 'NO'} |`,
    );
  }
  console.log(
    [
      `onnxruntime-node (CPU EP, default threads, non-spinning workers) vs transformers ${'generate'} (torch CPU, ${'fp32'}), greedy, best of ${repeats}`,
      '',
      '| model | prompt tokens | new tokens | first token ms (ORT / HF) | decode tok/s (ORT / HF) | decode speed-up | end-to-end tok/s (ORT / HF) | same tokens |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

// Prints the estimator's breakdown as JSON so a GPU run can compare it with torch.cuda.max_memory_allocated().
// Usage: npx tsx bench/lsp/estimate-cli.ts [--config config.json | --model Qwen/Qwen2.5-0.5B] [--kind sft|kd|rl]
//   [--batch 4] [--seq-len 1024] [--dtype auto|fp32|bf16] [--foreach] [--precision bf16|fp32] [--pure] [--attention sdpa|eager|flash_attention_2]
//   [--lora-rank 16] [--lora-targets q_proj,v_proj] [--grad-ckpt] [--teacher-config t.json | --teacher-model id]
//   [--kl 0.04] [--group 8] [--prompts 8] [--max-new-tokens 512] [--prompt-len 256] [--steps 100] [--device H100]
import { readFileSync } from 'node:fs';
import {
  type ModelArch,
  DEFAULT_DEVICE,
  archFromConfig,
  deviceProfileFor,
  estimateStage,
  knownArch,
} from '../../server/src/core/estimate';

function parseArgs(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (!k.startsWith('--')) throw new Error(`unexpected argument ${k}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) m.set(k.slice(2), 'true');
    else {
      m.set(k.slice(2), next);
      i++;
    }
  }
  return m;
}

function arch(configPath: string | undefined, model: string | undefined): ModelArch | undefined {
  if (configPath) return archFromConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  if (model) return knownArch(model);
  return undefined;
}

const args = parseArgs(process.argv.slice(2));
const num = (k: string): number | undefined => (args.has(k) ? Number(args.get(k)) : undefined);
const policy = arch(args.get('config'), args.get('model') ?? 'Qwen/Qwen2.5-0.5B');
if (!policy) {
  console.error('unknown model: give --config path/to/config.json or a known --model');
  process.exit(2);
}
const teacher = arch(args.get('teacher-config'), args.get('teacher-model'));
const kind = (args.get('kind') ?? 'sft') as 'sft' | 'kd' | 'rl';
const config: Record<string, unknown> = {
  batch_size: num('batch'),
  max_len: num('seq-len'),
  grad_checkpointing: args.get('grad-ckpt') === 'true',
  steps: num('steps') ?? 1,
  kl: num('kl'),
  group: num('group'),
  prompts_per_step: num('prompts'),
  max_new_tokens: num('max-new-tokens'),
  on_policy: num('on-policy'),
};
if (args.has('lora-rank')) {
  config.lora = { rank: num('lora-rank'), targets: args.get('lora-targets')?.split(',') };
}
if (kind === 'rl' && teacher) config.kd = {};
const device = deviceProfileFor(args.get('device')) ?? DEFAULT_DEVICE;
const est = estimateStage(
  {
    kind,
    config,
    policy,
    policyDtype: args.get('dtype') ?? 'auto',
    attention: args.get('attention'),
    teacher,
    teacherDtype: args.get('teacher-dtype') ?? 'auto',
    fusedOptimizer: !args.has('foreach'),
    precision: args.get('precision') ?? 'bf16',
    mixedPrecision: args.has('pure') ? false : undefined,
    promptLen: num('prompt-len'),
  },
  device,
);
process.stdout.write(JSON.stringify({ input: { kind, config, device: device.name }, ...est }, null, 2) + '\n');

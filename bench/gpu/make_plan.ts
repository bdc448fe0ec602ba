// Compiles a .srlm pipeline into a plan for the lent GPU machine, which has no Node.js: the plan is made here, with
// the repository root replaced by a placeholder that bench/gpu/device_check.sh fills in there.
// Usage: npx tsx bench/gpu/make_plan.ts examples/demo.srlm bench/gpu/demo-cuda.plan.json [--steps-scale 0.25]
//        [--precision fp16]
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compilePlan } from '../../runtime/src/plan/compile';

async function main(): Promise<void> {
  const [file, out, ...rest] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: make_plan.ts FILE OUT [--steps-scale X] [--precision P]');
  const option = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const scale = Number(option('--steps-scale') ?? 1);
  const root = path.resolve(__dirname, '..', '..');
  const { plan } = await compilePlan({ file, workspace: root });
  const p = JSON.parse(JSON.stringify(plan)) as {
    settings: Record<string, unknown>;
    stages: { config: Record<string, unknown> }[];
  };
  // The GPU path under test: CUDA with bf16 mixed precision, the defaults a Qwen2.5-0.5B user would get (or
  // fp16 with loss scaling, the path for GPUs without bf16).
  p.settings.device = 'cuda';
  p.settings.precision = option('--precision') ?? 'bf16';
  for (const s of p.stages) {
    if (typeof s.config.steps === 'number') s.config.steps = Math.max(1, Math.round(s.config.steps * scale));
  }
  writeFileSync(out, JSON.stringify(p, null, 2).split(root).join('@ROOT@') + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

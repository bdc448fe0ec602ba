// Generates a large, valid pipeline in the canonical style (one field per line, like the examples):
// models, datasets, then a chain of sft → kd → rl stages, each with a nested block, and evals. The result
// checks clean, so the benchmark measures the normal path, not error recovery.

export function generatePipeline(targetLines: number): string {
  const out: string[] = ['# generated benchmark pipeline', 'pipeline bench {', '  seed = 1234', '  device = auto', ''];
  const models = 4;
  const datasets = 6;
  for (let i = 0; i < models; i++)
    out.push(
      `  model m${i} {`,
      `    source = "Qwen/Qwen2.5-0.5B-Instruct"`,
      '    dtype = bf16',
      '    attn = sdpa',
      '  }',
    );
  for (let i = 0; i < datasets; i++) {
    out.push(
      `  dataset d${i} {`,
      `    path = "data/part_${i}.jsonl"`,
      '    prompt = "question"',
      '    completion = "solution"',
      '    answer = "answer"',
      '    shuffle = true',
      '  }',
    );
  }
  out.push('');
  let i = 0;
  while (out.length < targetLines - 12) {
    const init = i === 0 ? 'm0' : `s${i - 1}`;
    const data = `d${i % datasets}`;
    const kind = i % 3;
    if (kind === 0) {
      out.push(
        `  # stage ${i}: supervised warm-up`,
        `  stage sft s${i} {`,
        `    init = ${init}`,
        `    data = ${data}`,
        '    epochs = 2',
        '    lr = 4e-5',
        '    batch_size = 8',
        '    grad_accum = 4',
        '    max_len = 4096',
        '    lora {',
        '      rank = 16',
        '      alpha = 32',
        '      targets = [q_proj, k_proj, v_proj, o_proj]',
        '    }',
        '  }',
      );
    } else if (kind === 1) {
      out.push(
        `  stage kd s${i} {`,
        `    init = ${init}`,
        `    teacher = m${1 + (Math.floor(i / 3) % (models - 1))}`,
        `    data = ${data}`,
        '    loss = jsd(beta = 0.5)',
        '    temperature = 1.0',
        '    on_policy = 0.5',
        '    lr = 2e-5',
        '    mix { sft = 0.5  kd = 0.5 }',
        '  }',
      );
    } else {
      out.push(
        `  stage rl s${i} {`,
        `    init = ${init}`,
        `    data = ${data}`,
        '    algorithm = grpo',
        '    reward = accuracy + 0.2 * format',
        '    prompts_per_step = 16',
        '    group = 8',
        '    batch_size = 32',
        '    kl = 0.04',
        '    max_new_tokens = 512  # rollouts',
        '  }',
      );
    }
    out.push('');
    i++;
  }
  out.push('  eval e0 {', '    data = d0', '    every = 100', '    metrics = [accuracy, pass@8]', '  }', '}');
  return out.join('\n') + '\n';
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 1000);
  process.stdout.write(generatePipeline(n));
}

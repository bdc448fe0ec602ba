// `srlm card RUN [--stage S]`: writes a model card (README.md, with training_curves.png) into a stage's final
// checkpoint — what the Hugging Face Hub shows once the checkpoint is pushed (docs/results.md).
import type { CliCommand, CliIO } from '../command';
import { ENGINE_OPTIONS, ENGINE_USAGE, printResult, runEngineCommand } from '../engineResults';
import { parse } from '../runArgs';

const usage = `usage: srlm card RUN [--stage S] [options]

Writes README.md into the stage's final checkpoint: base model, datasets, the stage's resolved
hyperparameters, eval results before and after each stage, training curves (training_curves.png, beside it),
the engine version, the base model's license where known, and the .srlm pipeline.

options:
  --stage S             the stage (default: the last stage that finished)
${ENGINE_USAGE}`;

export const cardCommand: CliCommand = {
  name: 'card',
  summary: "write a model card into a stage's checkpoint",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      { ...ENGINE_OPTIONS, stage: { type: 'string' } },
      { min: 1, max: 1, what: 'the run' },
    );
    const result = await runEngineCommand(io, {
      command: 'card',
      run: positionals[0]!,
      runs: values.runs,
      python: values.python,
      args: values.stage ? ['--stage', values.stage] : [],
    });
    return printResult(io, result, values.json, (r) => {
      const image = r.image ? `, curves ${String(r.image)}` : ' (no curves image: matplotlib is missing)';
      return `wrote the model card of stage ${String(r.stage)}: ${String(r.card)}${image}`;
    });
  },
};

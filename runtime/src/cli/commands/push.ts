// `srlm push RUN --stage S --repo ID`: uploads a stage's final checkpoint with its model card to the Hugging Face
// Hub (huggingface_hub in the engine's Python; its progress bars show on stderr). docs/results.md.
import type { CliCommand, CliIO } from '../command';
import { UsageError } from '../command';
import { ENGINE_OPTIONS, ENGINE_USAGE, printResult, runEngineCommand } from '../engineResults';
import { parse } from '../runArgs';

const usage = `usage: srlm push RUN --stage S --repo NAMESPACE/NAME [options]

Uploads the stage's final checkpoint (weights, config, tokenizer, meta.json, the ONNX export when there is one)
with its model card (written first when missing: srlm card) to a Hugging Face Hub model repository, in one
commit. Checked before anything is sent: offline mode, a login (hf auth login or HF_TOKEN), write access, and a
repository that already holds a different model.

options:
  --stage S             the stage whose final checkpoint is pushed
  --repo ID             the Hub repository, namespace/name (created when missing)
  --private             create the repository private
  --revision BRANCH     push to this branch (created when missing)
  --force               push over a repository that holds a different model
${ENGINE_USAGE}`;

export const pushCommand: CliCommand = {
  name: 'push',
  summary: "upload a stage's checkpoint and model card to the Hugging Face Hub",
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parse(
      argv,
      {
        ...ENGINE_OPTIONS,
        stage: { type: 'string' },
        repo: { type: 'string' },
        private: { type: 'boolean' },
        revision: { type: 'string' },
        force: { type: 'boolean' },
      },
      { min: 1, max: 1, what: 'the run' },
    );
    if (!values.stage) throw new UsageError('missing --stage');
    if (!values.repo) throw new UsageError('missing --repo');
    if (!/^[\w.-]+\/[\w.-]+$/.test(values.repo))
      throw new UsageError(`--repo must be namespace/name, got '${values.repo}'`);
    const args = ['--stage', values.stage, '--repo', values.repo];
    if (values.private) args.push('--private');
    if (values.revision) args.push('--revision', values.revision);
    if (values.force) args.push('--force');
    const result = await runEngineCommand(io, {
      command: 'push',
      run: positionals[0]!,
      runs: values.runs,
      python: values.python,
      args,
    });
    return printResult(
      io,
      result,
      values.json,
      (r) => `pushed stage ${String(r.stage)} to ${String(r.repo)}@${String(r.revision)}: ${String(r.url)}`,
    );
  },
};

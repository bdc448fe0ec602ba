// THE schema: every block kind, stage kind and field of the language, declared once. docs/plan.md is the
// contract with the Python engine; names, defaults and ranges here must match it exactly.
import type { BlockSpec, FieldSpec, StageKindSpec } from './types';
import { table } from '../table';

const PRECISIONS = ['auto', 'fp32', 'bf16', 'fp16'] as const;
export const DATASET_FORMATS = ['auto', 'jsonl', 'json', 'csv', 'parquet', 'arrow'] as const;
/** Splits of the built-in tasks (deterministic and disjoint). */
export const BUILTIN_SPLITS: readonly string[] = ['train', 'validation', 'test'];

/** Metric back-ends a pipeline can report to (engine: srlm_engine/sinks; docs/results.md). */
export const REPORT_BACKENDS = ['tensorboard', 'wandb', 'mlflow'] as const;

/** Projection modules of Qwen2-style decoders, offered for LoRA `targets`. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

// ---- pipeline -------------------------------------------------------------------------------------------

export const pipelineSpec: BlockSpec = {
  kind: 'pipeline',
  doc: 'The whole post-training pipeline: its settings and every model, dataset, stage and eval block.',
  labels: ['name'],
  blocks: ['model', 'dataset', 'stage', 'eval', 'study'],
  fields: [
    { name: 'seed', type: { kind: 'int', min: 0 }, default: 1234, doc: 'Global random seed.' },
    {
      name: 'output',
      type: { kind: 'path', expects: 'directory' },
      default: '.srlm/runs',
      doc: 'Folder that receives run directories, relative to the workspace.',
    },
    {
      name: 'device',
      type: { kind: 'enum', values: ['auto', 'cpu', 'cuda', 'mps'] },
      default: 'auto',
      doc: 'Device to train on; `auto` picks CUDA, then MPS, then CPU.',
    },
    {
      name: 'precision',
      type: { kind: 'enum', values: PRECISIONS },
      default: 'auto',
      doc: 'Mixed precision for training; `auto` uses bf16 where the GPU supports it, `fp16` adds dynamic loss scaling.',
    },
    {
      name: 'sharding',
      type: { kind: 'enum', values: ['none', 'fsdp'] },
      default: 'none',
      doc:
        'How ranks under `torchrun` hold the model: `none` keeps a full replica on each (data parallel), `fsdp` ' +
        'shards weights, gradients and optimizer state per decoder layer (FSDP2). No effect in one process.',
    },
    {
      name: 'processes',
      type: { kind: 'int', min: 1 },
      default: 1,
      doc:
        'Training processes on this machine, one per GPU; the engine starts and watches them itself (for several ' +
        'machines use `torchrun`). See `sharding`.',
    },
    {
      name: 'cpu_threads',
      type: { kind: 'int', min: 1 },
      doc:
        'Threads for the forward passes of a CPU run: generation, evals, teacher logits and the training forward, ' +
        'which give the same bits at any thread count. Backward passes and optimizer steps keep ' +
        '`SRLM_NUM_THREADS`, else half the cores, so this changes speed, never the weights. Unset: the same as ' +
        'those; `SRLM_NUM_THREADS` caps it. More threads than idle cores make steps many times slower.',
    },
    {
      name: 'gpu_memory',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      unit: 'GiB',
      doc: 'Overrides the detected GPU memory for memory estimates.',
    },
    {
      name: 'system',
      type: { kind: 'string' },
      doc: "System prompt of every row whose dataset sets none (it replaces a chat template's built-in default).",
    },
    // Where the run's metrics go besides events.jsonl (docs/results.md).
    {
      name: 'report_to',
      type: { kind: 'nameList', values: REPORT_BACKENDS, empty: true },
      default: [],
      doc:
        'Metric back-ends that receive the run as it trains, besides `events.jsonl`: `tensorboard` (event files in ' +
        'the run folder), `wandb`, `mlflow`. Each needs its engine extra (`pip install "srlm-engine[wandb]"`); ' +
        '`srlm check` and `srlm run` say when one is missing.',
    },
    {
      name: 'project',
      type: { kind: 'string' },
      defaultText: 'the pipeline name',
      doc: 'W&B project and MLflow experiment the run is filed under.',
    },
    {
      name: 'run_name',
      type: { kind: 'string' },
      defaultText: 'the run id',
      doc: 'Display name of the run in W&B and MLflow.',
    },
    {
      name: 'tags',
      type: { kind: 'nameList', empty: true },
      default: [],
      doc: 'Tags for the run in W&B and MLflow (and a text entry in TensorBoard).',
    },
    {
      name: 'tracking_uri',
      type: { kind: 'string' },
      defaultText: 'MLFLOW_TRACKING_URI, else sqlite:///<runs folder>/mlflow.db',
      doc: 'MLflow tracking server or store (`http://host:5000`, `sqlite:///path/mlflow.db`, `databricks`).',
    },
  ],
};

/**
 * A chat template replacing the tokenizer's own: inline Jinja text, or a `.jinja` file relative to the .srlm file
 * (read into the plan by the compiler, so the stage hash covers its content). Shared by model and dataset blocks.
 */
export function templateField(doc: string): FieldSpec {
  return { name: 'template', type: { kind: 'string', template: true }, doc };
}

/** Template text holds Jinja delimiters; any other value of a `template` field names a file. */
export function isInlineTemplate(value: string): boolean {
  return value.includes('{{') || value.includes('{%');
}

// ---- model / dataset -------------------------------------------------------------------------------------

export const modelSpec: BlockSpec = {
  kind: 'model',
  doc: 'A model: a Hugging Face hub id or a local folder in Hugging Face layout.',
  labels: ['name'],
  blocks: [],
  fields: [
    {
      name: 'source',
      type: { kind: 'string', modelSource: true },
      required: true,
      doc: 'Hub id (`Qwen/Qwen2.5-0.5B-Instruct`), local folder (`./models/x`, relative to the .srlm file), or a model shipped with the engine (`builtin:tiny-student`, `builtin:tiny-teacher`; configs only, so `weights = random`).',
    },
    { name: 'revision', type: { kind: 'string' }, default: 'main', doc: 'Hub revision (branch, tag or commit).' },
    {
      name: 'dtype',
      type: { kind: 'enum', values: PRECISIONS },
      default: 'auto',
      doc: 'Dtype the weights are loaded in.',
    },
    {
      name: 'attn',
      type: { kind: 'enum', values: ['sdpa', 'eager', 'flash_attention_2'] },
      default: 'sdpa',
      aliases: ['attn_implementation'],
      doc: 'Attention implementation.',
    },
    {
      name: 'weights',
      type: { kind: 'enum', values: ['pretrained', 'random'] },
      default: 'pretrained',
      doc: '`random` builds the model from its `config.json` with a seeded initialisation (the embedded demo).',
    },
    {
      name: 'tokenizer',
      type: { kind: 'path', expects: 'directory' },
      doc: 'Tokenizer folder, when the tokenizer is not beside the model.',
    },
    templateField(
      "Chat template overriding the model's own: a `.jinja` file (relative to the .srlm file) or inline template text. Checkpoints carry it.",
    ),
    {
      name: 'thinking',
      type: { kind: 'bool' },
      doc: 'Passed to the chat template as `enable_thinking` (Qwen3-style switches); unset passes nothing.',
    },
  ],
};

export const datasetSpec: BlockSpec = {
  kind: 'dataset',
  doc:
    'A dataset: a hub dataset, a local file or folder (read through Hugging Face `datasets`), or a built-in ' +
    'generated task. Exactly one of `source` and `builtin`. Guide: docs/data.md.',
  labels: ['name'],
  blocks: [],
  notes: [
    'Exactly one of `source` and `builtin` must be given.',
    '`part` needs `holdout`; two blocks with the same source, subset, split and holdout get disjoint parts.',
  ],
  exactlyOne: ['source', 'builtin'],
  fields: [
    {
      name: 'source',
      type: { kind: 'string', datasetSource: true },
      synonyms: ['path'],
      doc:
        'Hub dataset id (`openai/gsm8k`) or a local data file or folder, relative to the .srlm file: jsonl, json, ' +
        'csv, parquet or arrow files, a `save_to_disk` folder, or a folder of parquet shards laid out as hub ' +
        'repos are (`main/train-00000-of-00001.parquet`, `data/train-*.parquet`).',
    },
    {
      name: 'builtin',
      type: { kind: 'enum', values: ['arithmetic'] },
      doc: 'A procedurally generated task of the embedded default (multi-step arithmetic with worked steps).',
    },
    {
      name: 'level',
      type: { kind: 'enum', values: ['easy', 'medium', 'hard'] },
      doc:
        'Difficulty of a built-in task (default `easy`). Arithmetic: `easy` 1–2 steps, operands 1–9, + − ×, values ' +
        '≤ 99 (about 2,600 distinct training problems); `medium` 2–3 steps, operands 1–20, values ≤ 400; `hard` 3–5 ' +
        'steps, operands 1–50, ÷ too, values ≤ 2000. The splits stay disjoint across levels.',
    },
    {
      name: 'answer_noise',
      type: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
      default: 0,
      doc:
        "Fraction of a built-in task's worked solutions whose boxed final answer is wrong: a slip of 1–10 after " +
        'correct steps, as in model-generated reasoning data. Only the SFT/KD targets change; the gold answers that ' +
        'rewards and evals check stay exact. Which problems slip is a hash of the problem, whatever the seed.',
    },
    {
      name: 'subset',
      type: { kind: 'string' },
      aliases: ['config', 'config_name'],
      doc: 'Config of a hub dataset or hub-layout folder (GSM8K: `main`).',
    },
    {
      name: 'split',
      type: { kind: 'string', bare: true, suggest: BUILTIN_SPLITS },
      default: 'train',
      doc: 'Split to read. Built-in tasks have `train`, `validation` and `test` (deterministic, disjoint); a single file is one split, `train`.',
    },
    {
      name: 'revision',
      type: { kind: 'string' },
      default: 'main',
      doc: 'Hub revision (branch, tag or commit) of a hub dataset.',
    },
    {
      name: 'format',
      type: { kind: 'enum', values: DATASET_FORMATS },
      default: 'auto',
      doc: 'File format; `auto` goes by the file extension or the folder layout.',
    },
    { name: 'prompt', type: { kind: 'string', column: true }, default: 'prompt', doc: 'Column holding the prompt.' },
    {
      name: 'completion',
      type: { kind: 'string', column: true },
      doc: 'Column holding the SFT/KD target. It may be the same column as `answer` (GSM8K rationales).',
    },
    {
      name: 'answer',
      type: { kind: 'string', column: true },
      doc: 'Column holding the gold answer for rewards and eval; a GSM8K rationale (`… #### 72`) is reduced to its final answer (`72`).',
    },
    {
      name: 'messages',
      type: { kind: 'string', column: true },
      doc: 'Column holding chat-format rows (a list of `{role, content}`) instead of prompt/completion; a last assistant turn is the completion.',
    },
    {
      name: 'reasoning',
      type: { kind: 'string', column: true },
      doc: 'Column holding an R1-style reasoning trace; the completion becomes `<think>\\n{reasoning}\\n</think>\\n{completion}`.',
    },
    {
      name: 'calculator_notes',
      type: { kind: 'enum', values: ['keep', 'strip'] },
      default: 'keep',
      doc: 'Strip GSM8K calculator notes (`<<48/2=24>>`) from completions.',
    },
    {
      name: 'final_answer',
      type: { kind: 'enum', values: ['keep', 'boxed'] },
      default: 'keep',
      doc: "Rewrite a completion's trailing `#### N` as `\\boxed{N}`.",
    },
    { name: 'system', type: { kind: 'string' }, doc: 'System prompt added to every row.' },
    templateField(
      "Chat template for this dataset's rows, over the model's: a `.jinja` file (relative to the .srlm file) or inline template text.",
    ),
    { name: 'limit', type: { kind: 'int', min: 1 }, unit: 'rows', doc: 'Use only the first N rows (after shuffling).' },
    { name: 'shuffle', type: { kind: 'bool' }, default: true, doc: 'Shuffle rows (seeded by the pipeline seed).' },
    {
      name: 'holdout',
      type: { kind: 'number', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true },
      unit: 'fraction',
      doc: 'Carve this fraction off the rows (seeded by the pipeline seed), e.g. a validation set from train; `part` picks the side.',
    },
    {
      name: 'part',
      type: { kind: 'enum', values: ['rest', 'holdout'] },
      default: 'rest',
      doc: 'Which side of `holdout` this block reads: the carved-off fraction (`holdout`) or the rest.',
    },
  ],
};

// ---- stages -----------------------------------------------------------------------------------------------

const init: FieldSpec = {
  name: 'init',
  type: { kind: 'ref', targets: ['model', 'stage'] },
  required: true,
  doc: 'Starting weights: a model, or an earlier stage whose final checkpoint is used.',
};

const trainingCommon: FieldSpec[] = [
  {
    name: 'warmup',
    type: { kind: 'number', min: 0, max: 1 },
    default: 0.03,
    unit: 'fraction of steps',
    aliases: ['warmup_ratio'],
    doc: 'Learning-rate warm-up, as a fraction of the optimizer steps.',
  },
  {
    name: 'scheduler',
    type: { kind: 'enum', values: ['cosine', 'linear', 'constant'] },
    default: 'cosine',
    aliases: ['lr_scheduler_type'],
    doc: 'Learning-rate schedule after warm-up.',
  },
  { name: 'weight_decay', type: { kind: 'number', min: 0 }, default: 0.0, doc: 'AdamW weight decay.' },
  {
    name: 'max_grad_norm',
    type: { kind: 'number', min: 0, exclusiveMin: true },
    default: 1.0,
    doc: 'Gradient clipping norm.',
  },
  {
    name: 'grad_checkpointing',
    type: { kind: 'bool' },
    default: false,
    aliases: ['gradient_checkpointing'],
    doc: 'Recompute activations in the backward pass to save memory.',
  },
  {
    name: 'save_every',
    type: { kind: 'int', min: 0 },
    default: 0,
    unit: 'steps',
    doc: 'Save a checkpoint every N optimizer steps; 0 saves only at the end of the stage.',
  },
  { name: 'keep_last', type: { kind: 'int', min: 1 }, default: 2, doc: 'Number of checkpoints kept.' },
  {
    name: 'export_onnx',
    type: { kind: 'enum', values: ['none', 'final', 'all'] },
    default: 'none',
    doc: "Export each saved checkpoint (`all`) or the stage's final checkpoint (`final`) to ONNX with a KV cache for the inspector and `srlm generate`.",
  },
  {
    name: 'log_every',
    type: { kind: 'int', min: 1 },
    default: 1,
    unit: 'steps',
    aliases: ['logging_steps'],
    doc: 'Optimizer steps between metric events.',
  },
  {
    name: 'chat_template',
    type: { kind: 'bool' },
    default: true,
    doc: "Apply the tokenizer's chat template to prompts.",
  },
];

const sftFields: FieldSpec[] = [
  init,
  {
    name: 'data',
    type: { kind: 'ref', targets: ['dataset'], weighted: true },
    required: true,
    doc: 'Training dataset, or a weighted mix of datasets (`0.7 * cot + 0.3 * r1`: sampling proportions); each needs `completion` or `messages`.',
    planForm: 'a name, or a mix: `[{ "dataset": "cot", "weight": 0.7 }, …]` with weights summing to 1',
  },
  {
    name: 'epochs',
    type: { kind: 'number', min: 0, exclusiveMin: true },
    default: 1,
    aliases: ['num_train_epochs'],
    doc: 'Passes over the dataset; ignored when `steps` is set.',
  },
  { name: 'steps', type: { kind: 'int', min: 1 }, unit: 'steps', aliases: ['max_steps'], doc: 'Optimizer steps.' },
  {
    name: 'lr',
    type: { kind: 'number', min: 0, exclusiveMin: true },
    default: 2e-5,
    aliases: ['learning_rate'],
    doc: 'Peak learning rate.',
  },
  {
    name: 'batch_size',
    type: { kind: 'int', min: 1 },
    default: 8,
    aliases: ['per_device_train_batch_size'],
    doc: 'Sequences per device per micro-batch.',
  },
  {
    name: 'grad_accum',
    type: { kind: 'int', min: 1 },
    default: 1,
    aliases: ['gradient_accumulation_steps'],
    doc: 'Micro-batches accumulated per optimizer step.',
  },
  {
    name: 'max_len',
    type: { kind: 'int', min: 8 },
    default: 2048,
    unit: 'tokens',
    aliases: ['max_length', 'max_seq_length'],
    doc: 'Maximum tokens per row, prompt and completion together; longer rows are truncated.',
  },
  ...trainingCommon,
  { name: 'packing', type: { kind: 'bool' }, default: false, doc: 'Pack several rows into each sequence.' },
  {
    name: 'completion_only',
    type: { kind: 'bool' },
    default: true,
    aliases: ['completion_only_loss', 'assistant_only_loss'],
    doc: 'Mask prompt tokens out of the loss.',
  },
];

const kdLossDoc = '`forward_kl`, `reverse_kl`, or `jsd(beta = B)` (generalised Jensen–Shannon, B in 0..1).';

const kdOnlyFields: FieldSpec[] = [
  {
    name: 'teacher',
    type: { kind: 'ref', targets: ['model', 'stage'] },
    required: true,
    doc: 'Teacher model (or stage) whose token distributions the student matches.',
  },
  {
    name: 'loss',
    type: { kind: 'kdLoss' },
    default: { name: 'jsd', beta: 0.5 },
    defaultText: 'jsd(beta = 0.5)',
    planForm: '`{ "name": "jsd", "beta": 0.5 }` (`beta` only for jsd)',
    doc: `Distillation divergence: ${kdLossDoc}`,
  },
  {
    name: 'temperature',
    type: { kind: 'number', min: 0, exclusiveMin: true },
    default: 1.0,
    doc: 'Softmax temperature applied to teacher and student logits.',
  },
  {
    name: 'on_policy',
    type: { kind: 'number', min: 0, max: 1 },
    default: 0.0,
    aliases: ['lmbda'],
    unit: 'fraction',
    doc: 'λ: fraction of batches whose completions the student generates (GKD).',
  },
  {
    name: 'max_new_tokens',
    type: { kind: 'int', min: 1 },
    default: 256,
    unit: 'tokens',
    doc: 'Generation length of on-policy samples.',
  },
];

export const sftSpec: StageKindSpec = {
  kind: 'stage',
  stageKind: 'sft',
  doc: 'Supervised fine-tuning: token cross-entropy on completions (prompt tokens masked). Full or LoRA.',
  labels: ['kind', 'name'],
  blocks: ['lora'],
  fields: sftFields,
};

export const kdSpec: StageKindSpec = {
  kind: 'stage',
  stageKind: 'kd',
  doc: 'Knowledge distillation from a teacher; every sft field applies, plus the distillation settings.',
  labels: ['kind', 'name'],
  blocks: ['lora', 'mix'],
  fields: [...sftFields, ...kdOnlyFields],
};

function byAlgorithm<T extends string | number | boolean>(
  field: string,
  pick: (algorithm: string, resolved: Readonly<Record<string, unknown>>) => T,
) {
  return (resolved: Readonly<Record<string, unknown>>): T => pick(String(resolved[field] ?? 'grpo'), resolved);
}

export const rlSpec: StageKindSpec = {
  kind: 'stage',
  stageKind: 'rl',
  doc: 'Reinforcement learning with verifiable rewards (GRPO family): G samples per prompt, group-normalised advantages, clipped ratio, optional KL to a reference and KD regulariser.',
  labels: ['kind', 'name'],
  blocks: ['lora', 'kd'],
  notes: ['`batch_size` must divide `prompts_per_step × group`.'],
  fields: [
    init,
    {
      name: 'data',
      type: { kind: 'ref', targets: ['dataset'], weighted: true },
      required: true,
      doc: 'Prompt dataset, or a weighted mix of datasets (`0.5 * gsm8k + 0.5 * math`); each needs `answer` for the rewards.',
      planForm: 'a name, or a mix: `[{ "dataset": "cot", "weight": 0.7 }, …]` with weights summing to 1',
    },
    {
      name: 'algorithm',
      type: { kind: 'enum', values: ['grpo', 'dr_grpo', 'dapo'] },
      default: 'grpo',
      doc: 'Algorithm preset; it sets the defaults of `loss_agg`, `scale_rewards` and `epsilon_high`.',
    },
    {
      name: 'steps',
      type: { kind: 'int', min: 1 },
      default: 100,
      unit: 'steps',
      aliases: ['max_steps'],
      doc: 'Optimizer steps.',
    },
    {
      name: 'prompts_per_step',
      type: { kind: 'int', min: 1 },
      default: 8,
      doc: 'Prompts sampled per generation batch.',
    },
    {
      name: 'group',
      type: { kind: 'int', min: 2 },
      default: 8,
      aliases: ['num_generations'],
      doc: 'G: completions sampled per prompt.',
    },
    {
      name: 'batch_size',
      type: { kind: 'int', min: 0 },
      default: 0,
      defaultText: '0 (= group)',
      // One prompt's group per micro-batch: it always divides prompts_per_step × group, and a whole step's
      // generations in one micro-batch (the old default) needs ~100 GiB for a 0.5B model at 512 new tokens.
      derive: (r) => (r.batch_size === 0 ? Number(r.group) : undefined),
      doc: 'Generations per micro-batch of the policy update; 0 means group (the completions of one prompt). Must divide prompts_per_step × group.',
    },
    {
      name: 'updates_per_batch',
      type: { kind: 'int', min: 1 },
      default: 1,
      aliases: ['num_iterations'],
      doc: 'μ: optimisation passes over each generation batch.',
    },
    {
      name: 'lr',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 1e-6,
      aliases: ['learning_rate'],
      doc: 'Peak learning rate.',
    },
    ...trainingCommon,
    {
      name: 'kl',
      type: { kind: 'number', min: 0 },
      default: 0.04,
      aliases: ['beta'],
      doc: 'β of the k3 KL penalty to the frozen reference model; 0 skips the reference.',
    },
    {
      name: 'epsilon',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 0.2,
      doc: 'ε_low: lower clip range of the probability ratio.',
    },
    {
      name: 'epsilon_high',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      defaultText: '= epsilon (0.28 for dapo)',
      derive: byAlgorithm('algorithm', (a, r) => (a === 'dapo' ? 0.28 : Number(r.epsilon ?? 0.2))),
      doc: 'ε_high: upper clip range (DAPO clip-higher).',
    },
    {
      name: 'loss_agg',
      type: { kind: 'enum', values: ['grpo', 'bnpo', 'dr_grpo', 'dapo'] },
      defaultText: '= algorithm',
      derive: byAlgorithm('algorithm', (a) => a),
      aliases: ['loss_type'],
      doc: 'Loss aggregation over tokens and sequences.',
    },
    {
      name: 'scale_rewards',
      type: { kind: 'bool' },
      defaultText: 'true (false for dr_grpo)',
      derive: byAlgorithm('algorithm', (a) => a !== 'dr_grpo'),
      doc: 'Divide advantages by the group standard deviation.',
    },
    {
      name: 'dynamic_sampling',
      type: { kind: 'bool' },
      default: false,
      doc: 'DAPO dynamic sampling: drop groups whose rewards are all equal (zero advantage) and draw more prompts until the generation batch is full, at most `max_resample` extra draws.',
    },
    {
      name: 'max_resample',
      type: { kind: 'int', min: 0 },
      default: 3,
      unit: 'draws',
      doc: 'Cap on extra generation draws per batch under `dynamic_sampling`; when reached, uniform groups fill the rest of the batch.',
    },
    {
      name: 'overlong_filter',
      type: { kind: 'bool' },
      default: false,
      doc: 'DAPO overlong filtering: truncated completions (hit `max_new_tokens`) are left out of the loss.',
    },
    {
      name: 'overlong_buffer',
      type: { kind: 'int', min: 0 },
      default: 0,
      unit: 'tokens',
      doc: 'DAPO soft overlong punishment: a reward falling linearly from 0 to −`overlong_penalty` over the last this many tokens before `max_new_tokens`; 0 turns it off.',
    },
    {
      name: 'overlong_penalty',
      type: { kind: 'number', min: 0 },
      default: 1.0,
      doc: 'Factor of the soft overlong punishment (1 in the DAPO paper).',
    },
    {
      name: 'reward',
      type: { kind: 'reward' },
      default: [{ fn: 'accuracy', weight: 1.0 }],
      defaultText: 'accuracy',
      planForm:
        '`[{ "fn": "accuracy", "weight": 1.0 }, { "fn": "length_penalty", "weight": 0.1, "args": { "max": 512 } }]` (`args` only when given)',
      doc: 'Weighted sum of reward functions, e.g. `accuracy + 0.2 * format + 0.1 * length_penalty(max = 512)`. Built in: `accuracy`, `format`, `length_penalty`; others come from `reward_file` and may take keyword arguments too.',
    },
    {
      name: 'reward_file',
      type: { kind: 'path', expects: 'file' },
      doc: 'Python file defining user reward functions named in `reward`.',
    },
    {
      name: 'reward_timeout',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 10,
      unit: 's',
      doc: 'Time limit for the reward functions, per batch.',
    },
    {
      name: 'temperature',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 1.0,
      doc: 'Sampling temperature of rollouts.',
    },
    {
      name: 'top_p',
      type: { kind: 'number', min: 0, max: 1, exclusiveMin: true },
      default: 1.0,
      doc: 'Nucleus sampling of rollouts.',
    },
    {
      name: 'max_new_tokens',
      type: { kind: 'int', min: 1 },
      default: 512,
      unit: 'tokens',
      aliases: ['max_completion_length'],
      doc: 'Maximum completion length of rollouts.',
    },
    {
      name: 'rollout',
      type: { kind: 'enum', values: ['hf', 'static', 'paged', 'vllm'] },
      default: 'hf',
      doc:
        'Generation backend of rollouts: hf (transformers generate), static (static KV cache, compiled with CUDA ' +
        'graphs on a GPU), paged (transformers continuous batching on a 16-bit copy), vllm (colocated vLLM, CUDA only).',
    },
  ],
};

export const stageKinds: readonly StageKindSpec[] = [sftSpec, kdSpec, rlSpec];

// ---- nested blocks ------------------------------------------------------------------------------------------

export const loraSpec: BlockSpec = {
  kind: 'lora',
  doc: 'Train LoRA adapters instead of all weights.',
  labels: [],
  blocks: [],
  fields: [
    { name: 'rank', type: { kind: 'int', min: 1 }, default: 16, aliases: ['r'], doc: 'Adapter rank.' },
    {
      name: 'alpha',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 32,
      aliases: ['lora_alpha'],
      doc: 'Scaling numerator (scale = alpha / rank).',
    },
    {
      name: 'dropout',
      type: { kind: 'number', min: 0, max: 1 },
      default: 0.05,
      aliases: ['lora_dropout'],
      doc: 'Dropout on the adapter input.',
    },
    {
      name: 'targets',
      type: { kind: 'nameList', suggestions: LORA_TARGETS },
      default: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
      aliases: ['target_modules'],
      doc: 'Module names that get adapters.',
    },
  ],
};

export const mixSpec: BlockSpec = {
  kind: 'mix',
  doc: 'Hybrid objective: loss = sft · CE + kd · KD.',
  labels: [],
  blocks: [],
  fields: [
    { name: 'sft', type: { kind: 'number', min: 0 }, default: 0, doc: 'Weight of the cross-entropy term.' },
    { name: 'kd', type: { kind: 'number', min: 0 }, default: 1, doc: 'Weight of the distillation term.' },
  ],
};

export const kdRegSpec: BlockSpec = {
  kind: 'kd',
  doc: 'KD regulariser inside an rl stage: adds weight · KD(teacher ‖ policy) to the RL loss.',
  labels: [],
  blocks: [],
  fields: [
    {
      name: 'teacher',
      type: { kind: 'ref', targets: ['model', 'stage'] },
      required: true,
      doc: 'Teacher model or stage.',
    },
    { name: 'weight', type: { kind: 'number', min: 0 }, default: 0.1, doc: 'Weight of the KD term.' },
    {
      name: 'loss',
      type: { kind: 'kdLoss' },
      default: { name: 'reverse_kl' },
      defaultText: 'reverse_kl',
      doc: `Divergence: ${kdLossDoc}`,
    },
    {
      name: 'temperature',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 1.0,
      doc: 'Softmax temperature.',
    },
  ],
};

// ---- study ---------------------------------------------------------------------------------------------------

export const studySpec: BlockSpec = {
  kind: 'study',
  doc:
    'Variants of this pipeline compared as one study: `srlm run` runs each variant as an ordinary run, one after ' +
    'another (stages they share are trained once and reused through the stage cache), then prints one table.',
  labels: ['name'],
  blocks: ['variant'],
  notes: ['At most one study per pipeline; it needs at least one variant, and no two variants may be the same.'],
  fields: [],
};

export const variantSpec: BlockSpec = {
  kind: 'variant',
  doc:
    'One row of the study: which stages run, in which order, and settings that differ from the pipeline. ' +
    'Settings are written in a block named after the stage, with the fields of its kind: ' +
    '`polish { lr = 1e-4  lora { rank = 8 } }`.',
  labels: ['name'],
  blocks: [],
  fields: [
    {
      name: 'stages',
      type: { kind: 'refList', targets: ['stage'] },
      defaultText: 'every stage, as declared',
      doc:
        "The stages this variant trains, in order: each starts from the previous one's result, the first from its " +
        "declared `init` (or the variant's `init`). Stages they learn from (`teacher`) run too. `[]` trains " +
        'nothing: the untrained baseline, the before-training eval of `init`.',
    },
    {
      name: 'init',
      type: { kind: 'ref', targets: ['model', 'stage'] },
      defaultText: "the first stage's init",
      doc: 'What the first of `stages` starts from; with `stages = []`, the model the baseline evaluates.',
    },
  ],
};

// ---- eval ---------------------------------------------------------------------------------------------------

export const evalSpec: BlockSpec = {
  kind: 'eval',
  doc: 'Evaluation on a dataset with an answer column, after stages and optionally during them.',
  labels: ['name'],
  blocks: [],
  fields: [
    { name: 'data', type: { kind: 'ref', targets: ['dataset'] }, required: true, doc: 'Dataset; it needs `answer`.' },
    {
      name: 'stages',
      type: { kind: 'refList', targets: ['stage'] },
      defaultText: 'all stages',
      doc: 'Stages after which this eval runs.',
    },
    {
      name: 'every',
      type: { kind: 'int', min: 0 },
      default: 0,
      unit: 'steps',
      doc: 'Also evaluate every N optimizer steps inside a stage; 0 evaluates only at stage end.',
    },
    {
      name: 'metrics',
      type: { kind: 'metrics' },
      default: ['accuracy'],
      doc:
        '`accuracy` (greedy), and the sampled `avg@K` (alias `mean@K`), `pass@K`, `maj@K`, all computed from one ' +
        'set of max(K) samples per prompt.',
    },
    { name: 'max_new_tokens', type: { kind: 'int', min: 1 }, default: 256, unit: 'tokens', doc: 'Generation length.' },
    {
      name: 'temperature',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 1.0,
      doc: 'Sampling temperature of `avg@K`, `pass@K` and `maj@K`; `accuracy` always decodes greedily.',
    },
    {
      name: 'top_p',
      type: { kind: 'number', min: 0, max: 1, exclusiveMin: true },
      default: 1.0,
      doc: 'Nucleus sampling of `avg@K`, `pass@K` and `maj@K`.',
    },
    { name: 'limit', type: { kind: 'int', min: 1 }, unit: 'rows', doc: 'Evaluate only the first N rows.' },
    {
      name: 'samples',
      type: { kind: 'int', min: 0 },
      default: 8,
      doc: 'Completions saved per eval for the dashboard and inspector.',
    },
    {
      name: 'before',
      type: { kind: 'bool' },
      default: true,
      doc: "Also evaluate, before training, the fresh model of every covered stage whose `init` is a model (a stage that continues another starts where that stage's eval left off).",
    },
  ],
};

export const BUILTIN_REWARDS: Readonly<Record<string, string>> = table({
  accuracy: 'Verifies the final answer (`\\boxed{}` or GSM8K `####`) against `answer` with math-verify: 1 or 0.',
  format:
    'Rewards the `<think>…</think>` then answer layout: 1 or 0. A `<think>` the chat template opened in the prompt counts.',
  length_penalty:
    "DAPO's soft over-length penalty: 0 up to `max − cache` tokens, then linear down to −1 at `max` (default `max_new_tokens`).",
});

/** Keyword arguments of the built-in rewards (`length_penalty(max = 512)`); a built-in not listed takes none. */
export const BUILTIN_REWARD_ARGS: Readonly<Record<string, readonly FieldSpec[]>> = table({
  length_penalty: [
    {
      name: 'max',
      type: { kind: 'int', min: 1 },
      unit: 'tokens',
      defaultText: 'max_new_tokens',
      doc: 'Completion length at which the penalty reaches −1.',
    },
    {
      name: 'cache',
      type: { kind: 'int', min: 1 },
      unit: 'tokens',
      defaultText: 'cache_fraction × max',
      doc: 'Width of the linear ramp before `max`.',
    },
    {
      name: 'cache_fraction',
      type: { kind: 'number', min: 0, max: 1, exclusiveMin: true },
      default: 0.25,
      doc: '`cache` as a fraction of `max`, when `cache` is not given.',
    },
  ],
});

export const KD_LOSSES: Readonly<Record<string, string>> = table({
  forward_kl: 'KL(teacher ‖ student): mode-covering.',
  reverse_kl: 'KL(student ‖ teacher): mode-seeking.',
  jsd: 'Generalised Jensen–Shannon divergence with interpolation `beta` (default 0.5).',
});

export const METRICS_DOC: Readonly<Record<string, string>> = table({
  accuracy: 'Fraction of prompts whose greedy answer is correct.',
  'avg@K':
    'Mean accuracy of K samples per prompt at the eval `temperature` and `top_p` (alias `mean@K`; avg@K of the seed and its peers).',
  'pass@K':
    'Fraction of prompts with at least one correct answer among K samples (unbiased estimator over max(K) samples).',
  'maj@K': 'Fraction of prompts whose majority answer over K samples is correct.',
});

/** Other spellings of eval metrics, compiled to the canonical name (`mean@8` → `avg@8`). */
export const METRIC_ALIASES: Readonly<Record<string, string>> = table({ mean: 'avg' });

export const nestedBlockSpecs: Readonly<Record<string, BlockSpec>> = table({
  model: modelSpec,
  dataset: datasetSpec,
  eval: evalSpec,
  lora: loraSpec,
  mix: mixSpec,
  kd: kdRegSpec,
  study: studySpec,
  variant: variantSpec,
});

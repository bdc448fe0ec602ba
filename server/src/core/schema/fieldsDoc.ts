// Renders docs/fields.md from the schema and the diagnostic code table. Run
// `npx tsx server/src/core/schema/fieldsDoc.ts` to rewrite the file; test/core/schema.test.ts fails when the
// committed file differs from what this produces.
import { allCodes } from '../diagnostics/codes';
import {
  BUILTIN_REWARD_ARGS,
  BUILTIN_REWARDS,
  KD_LOSSES,
  METRICS_DOC,
  kdRegSpec,
  loraSpec,
  mixSpec,
  datasetSpec,
  evalSpec,
  modelSpec,
  pipelineSpec,
  stageKinds,
  studySpec,
  variantSpec,
} from './blocks';
import { defaultText, describeType } from './lookup';
import { REWARD_ARGUMENTS, REWARD_EXTRAS, REWARD_RETURNS, REWARD_SIGNATURE } from './rewardCall';
import type { BlockSpec } from './types';

/** Text for one markdown table cell: pipes escaped, newlines flattened. */
export function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(spec: BlockSpec): string[] {
  const rows = ['| field | type | default | unit | aliases | description |', '|---|---|---|---|---|---|'];
  for (const f of spec.fields) {
    const d = defaultText(f);
    const shown = f.required ? '**required**' : d === undefined ? 'none' : `\`${cell(d)}\``;
    rows.push(
      `| \`${f.name}\` | ${cell(describeType(f.type))} | ${shown} | ${f.unit ?? ''} | ${[...(f.synonyms ?? []), ...(f.aliases ?? [])].map((a) => `\`${a}\``).join(', ')} | ${cell(f.doc)} |`,
    );
  }
  return rows;
}

function section(title: string, spec: BlockSpec, header: string): string[] {
  const out = [`## ${title}`, '', '```', header, '```', '', spec.doc, ''];
  if (spec.blocks.length > 0) out.push(`Nested blocks: ${spec.blocks.map((b) => `\`${b}\``).join(', ')}.`, '');
  for (const n of spec.notes ?? []) out.push(`- ${n}`);
  if (spec.notes?.length) out.push('');
  out.push(...table(spec), '');
  return out;
}

export function renderFieldsDoc(): string {
  const out: string[] = [
    '# Field reference',
    '',
    '<!-- Generated from server/src/core/schema by `npx tsx server/src/core/schema/fieldsDoc.ts`; do not edit. -->',
    '',
    'Every block, stage kind and field of the `.srlm` language. The language itself is described in',
    '[language.md](language.md); the plan contract with the engine in [plan.md](plan.md). Aliases are older or',
    'Hugging Face/TRL spellings that are accepted with a warning (SRLM013) and a quick fix to the canonical name.',
    '',
  ];
  out.push(...section('pipeline', pipelineSpec, 'pipeline NAME { … }'));
  out.push(...section('model', modelSpec, 'model NAME { … }'));
  out.push(...section('dataset', datasetSpec, 'dataset NAME { … }'));
  for (const s of stageKinds) out.push(...section(`stage ${s.stageKind}`, s, `stage ${s.stageKind} NAME { … }`));
  out.push(...section('lora (in sft, kd and rl stages)', loraSpec, 'lora { … }'));
  out.push(...section('mix (in kd stages)', mixSpec, 'mix { … }'));
  out.push(...section('kd (KD regulariser, in rl stages)', kdRegSpec, 'kd { … }'));
  out.push(...section('eval', evalSpec, 'eval NAME { … }'));
  out.push(...section('study (in the pipeline; see study.md)', studySpec, 'study NAME { variant … }'));
  out.push(...section('variant (in a study)', variantSpec, 'variant NAME { stages = [a, b]  b { lr = 1e-4 } }'));
  out.push('## Reward functions', '', '| name | arguments | meaning |', '|---|---|---|');
  for (const [k, v] of Object.entries(BUILTIN_REWARDS)) {
    const args = (BUILTIN_REWARD_ARGS[k] ?? []).map((a) => {
      const d = defaultText(a);
      return `\`${a.name}\` (${describeType(a.type)}${a.unit ? ` ${a.unit}` : ''}${d === undefined ? '' : `, default ${d}`}): ${a.doc}`;
    });
    out.push(`| \`${k}\` | ${cell(args.join('<br>') || 'none')} | ${cell(v)} |`);
  }
  out.push(
    '',
    "Other names are user functions defined in the stage's `reward_file`; they may take keyword arguments of any",
    'literal value (`my_reward(target = 200)`). Every reward function is called by keyword, as declared once in',
    'the generated plan schema (the engine reads the same declaration):',
    '',
    '```python',
    REWARD_SIGNATURE.replace('NAME', 'my_reward'),
    '```',
    '',
    '| keyword | meaning |',
    '|---|---|',
    ...Object.entries({ ...REWARD_ARGUMENTS, ...REWARD_EXTRAS }).map(([k, v]) => `| \`${k}\` | ${cell(v)} |`),
    '',
    `A function receives only the keywords it declares, unless it takes \`**kwargs\`. It returns ${REWARD_RETURNS}.`,
    '',
  );
  out.push('## Distillation losses', '', '| name | meaning |', '|---|---|');
  for (const [k, v] of Object.entries(KD_LOSSES)) out.push(`| \`${k}\` | ${cell(v)} |`);
  out.push('', '## Eval metrics', '', '| name | meaning |', '|---|---|');
  for (const [k, v] of Object.entries(METRICS_DOC)) out.push(`| \`${k}\` | ${cell(v)} |`);
  out.push('', '## Diagnostic codes', '', '| code | default severity | meaning |', '|---|---|---|');
  for (const c of allCodes) out.push(`| ${c.code} | ${c.severity} | ${cell(c.title)} |`);
  out.push('');
  return out.join('\n');
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const target = path.resolve(__dirname, '../../../../docs/fields.md');
  fs.writeFileSync(target, renderFieldsDoc());
  console.log(`wrote ${target}`);
}

// Writes the field tables of docs/plan.md (the contract with the engine) from the language schema, so a field is
// declared once: each table sits between `<!-- fields: KIND -->` and `<!-- end fields -->` markers and is
// replaced whole; the prose around the tables stays hand-written. Run
// `npx tsx server/src/core/schema/planDoc.ts` to rewrite the tables, `--check` in CI to fail when they are stale.
import { blockSpec, defaultText, describeType } from './lookup';
import { stageKinds } from './blocks';
import { cell } from './fieldsDoc';
import { writeOrCheckGenerated } from './generatedFile';
import type { BlockSpec, FieldSpec } from './types';

const START = /^<!-- fields: ([a-z ]+) -->$/;
const END = '<!-- end fields -->';

function fieldRow(f: FieldSpec): string {
  const type = `${describeType(f.type)}${f.unit ? ` (${f.unit})` : ''}${f.required ? ', required' : ''}`;
  const d = defaultText(f);
  const shown = f.required ? '' : d === undefined ? 'none' : `\`${d}\``;
  const names = [...(f.synonyms ?? []), ...(f.aliases ?? [])];
  const notes = [
    f.doc,
    f.planForm ? `Plan: ${f.planForm}.` : '',
    names.length ? `Also written ${names.map((n) => `\`${n}\``).join(', ')}.` : '',
  ];
  return `| ${f.name} | ${cell(type)} | ${cell(shown)} | ${cell(notes.filter(Boolean).join(' '))} |`;
}

function blockRow(name: string): string {
  const spec = blockSpec(name);
  if (!spec) throw new Error(`no schema for nested block ${name}`);
  return `| ${name} { ${spec.fields.map((f) => f.name).join(', ')} } | block | none | ${cell(spec.doc)} See its own table. |`;
}

/** The table of one block kind: `pipeline`, `stage sft`, `stage kd` (its fields beyond sft's), `lora`, … */
export function fieldTable(kind: string): string[] {
  const [word, stageKind] = kind.split(' ');
  const spec: BlockSpec | undefined = blockSpec(word!, stageKind);
  if (!spec) throw new Error(`docs/plan.md names an unknown block kind: ${kind}`);
  const inherited =
    stageKind === 'kd' ? new Set(stageKinds.find((s) => s.stageKind === 'sft')!.fields.map((f) => f.name)) : undefined;
  const fields = spec.fields.filter((f) => !inherited?.has(f.name));
  // A stage's nested blocks (lora, mix, kd) get a row here and their own table; the pipeline's blocks are the
  // sections themselves.
  const nested = word !== 'stage' ? [] : stageKind === 'kd' ? spec.blocks.filter((b) => b === 'mix') : spec.blocks;
  return ['| field | type | default | notes |', '|---|---|---|---|', ...fields.map(fieldRow), ...nested.map(blockRow)];
}

/** `current` with every marked table replaced by the schema's. */
export function renderPlanDoc(current: string): string {
  const lines = current.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = START.exec(lines[i]!);
    out.push(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(END, i + 1);
    if (end < 0) throw new Error(`docs/plan.md: the table marked "${m[1]}" on line ${i + 1} has no ${END}`);
    out.push(...fieldTable(m[1]!), END);
    i = end;
  }
  return out.join('\n');
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const current = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'docs', 'plan.md'), 'utf8');
  writeOrCheckGenerated('docs/plan.md', renderPlanDoc(current), 'npx tsx server/src/core/schema/planDoc.ts');
}

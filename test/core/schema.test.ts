// The schema is the single source of truth: docs/fields.md must be what it generates, docs/plan.md (the
// contract with the engine) must list exactly its fields, and every declared default must satisfy its own type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderFieldsDoc } from '../../server/src/core/schema/fieldsDoc';
import { fieldTable, renderPlanDoc } from '../../server/src/core/schema/planDoc';
import {
  allCodes,
  analyze,
  blockSpec,
  datasetSpec,
  evalSpec,
  fieldsFor,
  kdRegSpec,
  loraSpec,
  mixSpec,
  modelSpec,
  pipelineSpec,
  resolveDefaults,
  rlSpec,
  stageKinds,
  type BlockSpec,
  type FieldSpec,
  type JsonValue,
} from '../../server/src/core';
import { root } from './helpers';

test('docs/fields.md is generated from the current schema', () => {
  const committed = readFileSync(path.join(root, 'docs', 'fields.md'), 'utf8');
  assert.equal(committed, renderFieldsDoc(), 'run: npx tsx server/src/core/schema/fieldsDoc.ts');
});

test("docs/plan.md's field tables are generated from the current schema", () => {
  const committed = readFileSync(path.join(root, 'docs', 'plan.md'), 'utf8');
  assert.equal(committed, renderPlanDoc(committed), 'run: npx tsx server/src/core/schema/planDoc.ts');
  // A hand edit inside a marked table is overwritten; an unmarked end is refused.
  const edited = committed.replace(/^\| seed \|.*$/m, '| seed | anything | 7 | hand-written |');
  assert.notEqual(edited, committed);
  assert.equal(renderPlanDoc(edited), committed);
  assert.throws(() => renderPlanDoc('<!-- fields: eval -->\n| x |\n'), /no <!-- end fields -->/);
  assert.match(fieldTable('stage rl').join('\n'), /^\| kd \{ teacher, weight, loss, temperature \} \| block/m);
});

/** Field names per `### …` section of docs/plan.md, from the first cell of each table row. */
function planFields(): Map<string, { fields: Set<string>; nested: Map<string, Set<string>> }> {
  const text = readFileSync(path.join(root, 'docs', 'plan.md'), 'utf8');
  const out = new Map<string, { fields: Set<string>; nested: Map<string, Set<string>> }>();
  let current: { fields: Set<string>; nested: Map<string, Set<string>> } | undefined;
  for (const line of text.split('\n')) {
    const h = /^### (pipeline|model|dataset|eval|stage (sft|kd|rl)) NAME/.exec(line);
    if (h) {
      current = { fields: new Set(), nested: new Map() };
      out.set(h[1], current);
      continue;
    }
    if (line.startsWith('#')) current = undefined;
    const row = /^\| ([^|]+) \|/.exec(line);
    if (!current || !row || row[1].trim() === 'field' || row[1].startsWith('---')) continue;
    const cell = row[1].trim();
    const nested = /^(\w+) \{ ([^}]*) \}$/.exec(cell);
    if (nested) current.nested.set(nested[1], new Set(nested[2].split(/,\s*|\s+/).filter((x) => x && x !== '...')));
    else for (const f of cell.split(/,\s*/)) current.fields.add(f.trim());
  }
  return out;
}

test('docs/plan.md and the schema declare the same fields', () => {
  const plan = planFields();
  const names = (spec: BlockSpec) => new Set(spec.fields.map((f) => f.name));
  const want: [string, BlockSpec][] = [
    ['pipeline', pipelineSpec],
    ['model', modelSpec],
    ['dataset', datasetSpec],
    ['eval', evalSpec],
    ['stage sft', stageKinds[0]],
    ['stage rl', rlSpec],
  ];
  for (const [section, spec] of want) {
    const p = plan.get(section);
    assert.ok(p, `plan.md has no section for ${section}`);
    assert.deepEqual([...p.fields].sort(), [...names(spec)].sort(), section);
    if (section.startsWith('stage'))
      assert.deepEqual([...p.nested.keys()].sort(), [...spec.blocks].sort(), `${section} nested blocks`);
  }
  // `stage kd`: every sft field plus its own rows.
  const kd = plan.get('stage kd');
  assert.ok(kd);
  const kdSpec = stageKinds[1];
  assert.deepEqual([...new Set([...plan.get('stage sft')!.fields, ...kd.fields])].sort(), [...names(kdSpec)].sort());
  for (const [block, spec] of [
    ['lora', loraSpec],
    ['mix', mixSpec],
    ['kd', kdRegSpec],
  ] as const) {
    const listed = [...plan.values()].map((p) => p.nested.get(block)).find((x) => x && x.size > 0);
    for (const f of listed ?? []) assert.ok(names(spec).has(f), `plan.md names ${block}.${f}, the schema does not`);
  }
});

function satisfies(field: FieldSpec, v: JsonValue): boolean {
  const t = field.type;
  switch (t.kind) {
    case 'int':
    case 'number':
      return (
        typeof v === 'number' &&
        (t.kind === 'number' || Number.isInteger(v)) &&
        (t.min === undefined || v >= t.min) &&
        (t.max === undefined || v <= t.max)
      );
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
    case 'path':
      return typeof v === 'string';
    case 'enum':
      return typeof v === 'string' && t.values.includes(v);
    case 'nameList':
    case 'metrics':
      return Array.isArray(v);
    case 'kdLoss':
      return typeof v === 'object' && v !== null && 'name' in v;
    case 'reward':
      return Array.isArray(v) && v.length > 0;
    default:
      return true;
  }
}

test('every field has docs, a valid default, and unique names and aliases', () => {
  const specs: BlockSpec[] = [
    pipelineSpec,
    modelSpec,
    datasetSpec,
    evalSpec,
    loraSpec,
    mixSpec,
    kdRegSpec,
    ...stageKinds,
  ];
  for (const spec of specs) {
    const seen = new Set<string>();
    for (const f of spec.fields) {
      assert.ok(f.doc.length > 10, `${spec.kind}.${f.name} has no docs`);
      for (const n of [f.name, ...(f.aliases ?? [])]) {
        assert.ok(!seen.has(n), `${spec.kind}: '${n}' declared twice`);
        seen.add(n);
      }
      if (f.default !== undefined)
        assert.ok(satisfies(f, f.default), `${spec.kind}.${f.name} default violates its type`);
      if (f.type.kind === 'enum' && f.default !== undefined) assert.ok(f.type.values.includes(f.default as string));
    }
  }
  const codes = allCodes.map((c) => c.code);
  assert.equal(new Set(codes).size, codes.length, 'diagnostic codes are unique');
});

test('derived defaults follow the algorithm presets', () => {
  const grpo = resolveDefaults(rlSpec, {});
  assert.equal(grpo.batch_size, 8, 'one group of the default 8 samples');
  assert.equal(grpo.loss_agg, 'grpo');
  assert.equal(grpo.scale_rewards, true);
  assert.equal(grpo.epsilon_high, 0.2);
  const dapo = resolveDefaults(rlSpec, { algorithm: 'dapo', prompts_per_step: 4, group: 4 });
  assert.equal(dapo.epsilon_high, 0.28);
  assert.equal(dapo.loss_agg, 'dapo');
  assert.equal(dapo.batch_size, 4);
  assert.equal(resolveDefaults(rlSpec, { prompts_per_step: 3, group: 6 }).batch_size, 6, 'group, not 3 × 6');
  assert.equal(resolveDefaults(rlSpec, { prompts_per_step: 3, group: 6, batch_size: 0 }).batch_size, 6);
  assert.equal(resolveDefaults(rlSpec, { prompts_per_step: 3, group: 6, batch_size: 9 }).batch_size, 9);
  const dr = resolveDefaults(rlSpec, { algorithm: 'dr_grpo', batch_size: 8 });
  assert.equal(dr.scale_rewards, false);
  assert.equal(dr.batch_size, 8);
  assert.deepEqual(resolveDefaults(blockSpec('kd')!, {}).loss, { name: 'reverse_kl' });
});

test('fieldsFor picks fields by stage kind', () => {
  const names = (k: string) => fieldsFor('stage', k).map((f) => f.name);
  assert.ok(names('kd').includes('teacher'));
  assert.ok(!names('sft').includes('teacher'));
  assert.ok(names('rl').includes('group'));
  assert.ok(!names('rl').includes('packing'));
  assert.deepEqual(fieldsFor('stage', 'nope'), []);
});

test('checked values come out in plan form', () => {
  const doc = analyze(
    'pipeline p { model m { source = "x" } dataset d { builtin = arithmetic }\n' +
      'stage kd k { init = m teacher = m data = d loss = jsd(beta = 0.25) }\n' +
      'stage rl r { init = k data = d reward = accuracy + 0.2 * format - 0.5 * length_penalty kd { teacher = m } }\n' +
      'eval e { data = d metrics = [accuracy, maj@16] stages = [r] } }',
  );
  const byName = new Map([...doc.configs].map(([s, c]) => [s.name, c]));
  assert.deepEqual(byName.get('k')!.values.loss, { name: 'jsd', beta: 0.25 });
  assert.deepEqual(byName.get('r')!.values.reward, [
    { fn: 'accuracy', weight: 1 },
    { fn: 'format', weight: 0.2 },
    { fn: 'length_penalty', weight: -0.5 },
  ]);
  assert.deepEqual(byName.get('r')!.nested.get('kd')!.values, { teacher: 'm' });
  assert.deepEqual(byName.get('e')!.values, { data: 'd', metrics: ['accuracy', 'maj@16'], stages: ['r'] });
});

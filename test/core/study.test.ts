// Studies in the core: a study parses in the ordinary grammar (no new syntax), the checker collects its
// variants, the formatter keeps it, and `layoutVariant` chains and orders a variant's stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, format, layoutVariant, type DocumentModel } from '../../server/src/core';

const TEXT = `pipeline p {
  model student { source = "Qwen/Qwen2.5-0.5B-Instruct" }
  model big { source = "Qwen/Qwen2.5-1.5B-Instruct" }
  dataset train { builtin = arithmetic }
  stage sft teacher { init = big  data = train }
  stage sft warm { init = student  data = train }
  stage kd distill { init = student  teacher = teacher  data = train }
  stage rl polish { init = student  data = train  lr = 1e-6 }
  study seed {
    variant all { }
    variant direct_rl { stages = [polish] }
    variant kd_rl { stages = [distill, polish]  polish { lr = 1e-5  lora { rank = 8 } } }
    variant reverse { stages = [distill]  distill { loss = reverse_kl } }
    variant from_warm { init = warm  stages = [polish] }
    variant untrained { stages = []  init = student }
  }
}
`;

function variant(m: DocumentModel, name: string) {
  const v = m.study!.variants.find((x) => x.name === name);
  assert.ok(v, `variant ${name}`);
  return v;
}

function layout(m: DocumentModel, name: string) {
  const l = layoutVariant(variant(m, name), m.bindings, m.configs);
  assert.ok(l.ok, l.ok ? '' : l.message);
  return l;
}

test('a study parses and checks cleanly; its variants hold stages, init and settings as written', () => {
  const m = analyze(TEXT);
  assert.deepEqual(
    m.diagnostics.filter((d) => d.severity !== 'hint'),
    [],
  );
  assert.equal(m.study?.name, 'seed');
  assert.deepEqual(
    m.study!.variants.map((v) => [v.name, v.stages, v.init, [...v.settings.keys()]]),
    [
      ['all', undefined, undefined, []],
      ['direct_rl', ['polish'], undefined, []],
      ['kd_rl', ['distill', 'polish'], undefined, ['polish']],
      ['reverse', ['distill'], undefined, ['distill']],
      ['from_warm', ['polish'], 'warm', []],
      ['untrained', [], 'student', []],
    ],
  );
  const polish = variant(m, 'kd_rl').settings.get('polish')!;
  assert.deepEqual(polish.values, { lr: 1e-5 });
  assert.deepEqual(polish.nested.get('lora')!.values, { rank: 8 });
  assert.deepEqual(variant(m, 'reverse').settings.get('distill')!.values, { loss: { name: 'reverse_kl' } });
});

test('the formatter keeps a study as it is (idempotent, nothing lost)', () => {
  const once = format(TEXT).text;
  assert.ok(once !== undefined);
  assert.equal(format(once).text, once);
  for (const w of ['study seed', 'variant kd_rl', 'stages = [distill, polish]', 'polish {', 'rank = 8'])
    assert.ok(once.includes(w), `${w} in\n${once}`);
  assert.equal(analyze(once).study!.variants.length, 6);
});

test('layout: listed stages chain in order; stages they learn from run first, as declared', () => {
  const m = analyze(TEXT);
  const kd = layout(m, 'kd_rl');
  assert.deepEqual(
    kd.stages.map((s) => [s.sym.name, s.config.values.init]),
    [
      ['teacher', 'big'],
      ['distill', 'student'],
      ['polish', 'distill'],
    ],
  );
  assert.equal(kd.stages[2]!.config.values.lr, 1e-5, 'settings apply');
  assert.deepEqual(kd.stages[2]!.config.nested.get('lora')!.values, { rank: 8 });
  assert.deepEqual(
    layout(m, 'direct_rl').stages.map((s) => [s.sym.name, s.config.values.init, s.config.values.lr]),
    [['polish', 'student', 1e-6]],
  );
  // The variant's init replaces the first stage's: it pulls that stage in before it.
  assert.deepEqual(
    layout(m, 'from_warm').stages.map((s) => [s.sym.name, s.config.values.init]),
    [
      ['warm', 'student'],
      ['polish', 'warm'],
    ],
  );
  // Without `stages`: every stage, declared inits.
  assert.deepEqual(
    layout(m, 'all').stages.map((s) => s.sym.name),
    ['teacher', 'warm', 'distill', 'polish'],
  );
  const base = layout(m, 'untrained');
  assert.equal(base.baseline, 'student');
  assert.deepEqual(base.stages, []);
});

test('the pipeline itself is unchanged by its variants (settings apply to copies)', () => {
  const m = analyze(TEXT);
  layout(m, 'kd_rl');
  const polish = m.symbols.find((s) => s.name === 'polish')!;
  assert.equal(m.configs.get(polish)!.values.lr, 1e-6);
  assert.equal(m.configs.get(polish)!.values.init, 'student');
  assert.equal(m.configs.get(polish)!.nested.get('lora'), undefined);
});

test('a variant whose order loops is reported; a 20,000-stage chain lays out without deep recursion', () => {
  const loop = analyze(`pipeline p {
  model m { source = "x" }
  dataset d { builtin = arithmetic }
  stage sft a { init = m  data = d }
  stage kd b { init = m  teacher = a  data = d }
  study s { variant v { stages = [b, a] } }
}
`);
  const d = loop.diagnostics.find((x) => x.code === 'SRLM049');
  assert.match(d?.message ?? '', /variant v orders its stages in a cycle: b → a → b/);

  const n = 20_000;
  const stages = Array.from(
    { length: n },
    (_, i) => `  stage sft s${i} { init = ${i === 0 ? 'm' : `s${i - 1}`}  data = d }`,
  );
  const text = `pipeline p {\n  model m { source = "x" }\n  dataset d { builtin = arithmetic }\n${stages.join('\n')}\n  study s {\n    variant all { }\n    variant last { stages = [s${n - 1}]  s${n - 1} { lr = 1e-3 } }\n  }\n}\n`;
  const started = Date.now();
  const m = analyze(text);
  assert.deepEqual(
    m.diagnostics.filter((x) => x.severity === 'error'),
    [],
  );
  const all = layoutVariant(m.study!.variants[0]!, m.bindings, m.configs);
  const last = layoutVariant(m.study!.variants[1]!, m.bindings, m.configs);
  assert.ok(all.ok && last.ok);
  assert.equal(all.stages.length, n);
  assert.equal(last.stages.length, n, 'the last stage needs every stage before it');
  assert.equal(last.stages[0]!.sym.name, 's0');
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});

// The environment checks added for real data and models: dataset columns in every format a dataset can come in
// (parquet footers, save_to_disk folders, arrow files, folders and hub-cache snapshots laid out as hub dataset
// repos) and sequence lengths against the model's max_position_embeddings. Fixtures are written by pyarrow and
// datasets themselves (test/fixtures/datasets/make.py, test/fixtures/hubcache/make.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IdeEnv, analyzeDocument, slowDiagnostics } from '../../server/src/ide';
import { locateDataset, schemaColumns } from '../../server/src/ide/datasetSources';
import { datasetSampleOf } from '../../server/src/ide/workspaceFiles';
import { writeSmallModel } from '../helpers/smallModel';
import { env, fixture } from './helpers';

const DATA = '../../datasets';
const HUB = resolve(__dirname, '../fixtures/hubcache');

async function diagnose(src: string) {
  const f = fixture(src);
  const d = await slowDiagnostics(f.doc, env());
  return { d, spanText: (x: { span: { start: number; end: number } }) => f.text.slice(x.span.start, x.span.end) };
}

const pipeline = (dataset: string) =>
  `pipeline p {\n  model m { source = "./models/student" }\n  ${dataset}\n  stage sft s { init = m  data = d }\n}\n`;

for (const [what, path] of [
  ['a parquet file (footer schema)', `${DATA}/gsm8k.parquet`],
  ['a save_to_disk Dataset folder', `${DATA}/saved`],
  ['a save_to_disk DatasetDict folder (split train)', `${DATA}/saved_dict`],
  ['an arrow file written by datasets', `${DATA}/gsm8k.arrow`],
  ['a folder laid out as a hub dataset repo (main/train-*.parquet)', `${DATA}/repo`],
]) {
  test(`dataset columns: ${what}`, async () => {
    const good = await diagnose(pipeline(`dataset d { path = "${path}"  prompt = "question"  completion = "answer" }`));
    assert.deepEqual(
      good.d.filter((x) => /^SRLM05[0-2]$/.test(x.code)),
      [],
      JSON.stringify(good.d.map((x) => x.message)),
    );
    const bad = await diagnose(
      pipeline(`dataset d { path = "${path}"  prompt = "question"  completion = "solution" }`),
    );
    const e = bad.d.filter((x) => x.code === 'SRLM052');
    assert.equal(e.length, 1, JSON.stringify(bad.d.map((x) => x.message)));
    assert.equal(e[0]!.severity, 'error');
    assert.match(
      e[0]!.message,
      /column 'solution' is not in .*; (it|rows) ha(s|ve): (question, answer|answer, question)$/,
    );
    assert.equal(bad.spanText(e[0]!), '"solution"');
  });
}

test('dataset: a file that is not parquet, a missing split and an unknown subset are errors naming what exists', async () => {
  const notParquet = await diagnose(pipeline(`dataset d { path = "${DATA}/not-parquet.parquet"  prompt = "q" }`));
  assert.match(notParquet.d.find((x) => x.code === 'SRLM051')!.message, /not-parquet\.parquet is not a parquet file/);
  const e = env();
  const ws = resolve(__dirname, '../fixtures/lsp/ws');
  const noSplit = locateDataset(e, { source: `${DATA}/saved_dict`, split: 'validation' }, ws);
  assert.deepEqual(noSplit, {
    kind: 'problem',
    message: `'${DATA}/saved_dict' has no split 'validation' (splits: train, test)`,
  });
  const noSubset = locateDataset(e, { source: `${DATA}/repo`, subset: 'socratic' }, ws);
  assert.equal(noSubset.kind, 'problem');
  assert.match((noSubset as { message: string }).message, /has no subset 'socratic' \(subsets: main\)/);
});

test('hub datasets: read from the hub cache snapshot (config folder, split shards); absent ones are named', async () => {
  const e = new IdeEnv(Date.now, { HF_HUB_CACHE: HUB });
  const test_ = locateDataset(e, { source: 'openai/gsm8k', subset: 'main', split: 'test' }, undefined);
  assert.equal(test_.kind, 'files');
  const files = test_ as Extract<typeof test_, { kind: 'files' }>;
  assert.equal(files.where, 'hub-cache');
  assert.match(
    files.files[0]!,
    /datasets--openai--gsm8k\/snapshots\/0123456789abcdef0123456789abcdef01234567\/main\/test-00000-of-00001\.parquet$/,
  );
  assert.deepEqual(await schemaColumns(e, files), { columns: ['question', 'answer'], rows: 2 });
  const ambiguous = locateDataset(e, { source: 'openai/gsm8k' }, undefined);
  assert.match(
    (ambiguous as { message: string }).message,
    /several subsets \(main, socratic\); choose one with subset = "main"/,
  );
  assert.deepEqual(locateDataset(e, { source: 'openai/absent' }, undefined), {
    kind: 'hub-missing',
    id: 'openai/absent',
    cache: HUB,
  });
});

test('max_len and generation lengths beyond max_position_embeddings are errors on the value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'srlm-len-'));
  writeSmallModel(join(dir, 'small'));
  const text = `pipeline p {
  model m { source = "./small" }
  dataset d { builtin = arithmetic }
  stage sft a { init = m  data = d  max_len = 8192 }
  stage sft b { init = m  data = d  max_len = 512 }
  stage rl c { init = b  data = d  max_new_tokens = 1024 }
  eval e { data = d  max_new_tokens = 600 }
}
`;
  const doc = analyzeDocument(pathToFileURL(join(dir, 'p.srlm')).toString(), text);
  const d = (await slowDiagnostics(doc, new IdeEnv(Date.now, {}))).filter((x) => x.code === 'SRLM061');
  const at = (x: (typeof d)[number]) =>
    text.slice(doc.lineIndex.offsetAt(x.range.start), doc.lineIndex.offsetAt(x.range.end));
  assert.deepEqual(
    d.map((x) => [x.severity, at(x)]),
    [
      ['error', '8192'],
      ['error', '1024'],
      ['error', '600'],
    ],
  );
  assert.match(
    d[0]!.message,
    /^max_len = 8192 tokens per row exceeds the 512 positions of model 'm' \(max_position_embeddings in its config.json\); set max_len to at most 512$/,
  );
});

test('parquet rows decoded by the check feed the estimates: sampled rows and the exact row count', async () => {
  const f = fixture(
    pipeline(`dataset d { path = "${DATA}/gsm8k.parquet"  prompt = "question"  completion = "answer" }`),
  );
  const e = env();
  const d = f.doc.model.symbolsByName.get('d')!;
  assert.equal(datasetSampleOf(f.doc, d, e), undefined, 'not decoded before a check ran');
  await slowDiagnostics(f.doc, e);
  const sample = datasetSampleOf(f.doc, d, e)!;
  assert.equal(sample.format, 'parquet');
  assert.equal(sample.rowCount, 2);
  assert.deepEqual(sample.columns, ['question', 'answer']);
  assert.match(String(sample.rows[0]!.value.answer), /#### 72$/);
});

// The data preflight of `srlm run`: the editor and `srlm check` sample the first rows of a dataset; a launch reads
// every row through the engine first. A file whose row 1500 has a null answer passes the sample, and `srlm run`
// stops with the file, line and column before any run folder exists — the engine would otherwise meet it only
// when the stage reads the file, after its model is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeIssue, refusalMessage } from '../../runtime/src/supervisor/dataCheck';
import { srlm } from './cliHelpers';
import { root, tmpDir } from './helpers';

const python = path.join(root, '.venv', 'bin', 'python');

function workspace(badLine: number | undefined): { dir: string; file: string } {
  const dir = tmpDir('srlm-data-preflight-');
  const rows: string[] = [];
  for (let i = 1; i <= 2000; i++) {
    const answer = i === badLine ? null : String(i * 2);
    rows.push(JSON.stringify({ question: `What is ${i} + ${i}?`, answer }));
  }
  fs.writeFileSync(path.join(dir, 'train.jsonl'), rows.join('\n') + '\n');
  const file = path.join(dir, 'p.srlm');
  fs.writeFileSync(
    file,
    `pipeline p {
  device = cpu
  model m { source = "${path.join(root, 'runtime/python/srlm_engine/assets/models/tiny-student')}"  weights = random }
  dataset train { source = "train.jsonl"  prompt = "question"  answer = "answer" }
  stage rl r { init = m  data = train  steps = 1  prompts_per_step = 2  group = 2  max_new_tokens = 8 }
}
`,
  );
  return { dir, file };
}

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  SRLM_PYTHON: python,
  SRLM_MIN_FREE_MB: '0',
  SRLM_DETECT_GPU: '0',
  PYTHONPATH: path.join(root, 'runtime', 'python'),
});

test(
  'srlm run refuses a dataset with a bad row past the sampled ones, naming file, line and column',
  { skip: !fs.existsSync(python) && 'no .venv python', timeout: 120_000 },
  async () => {
    const { dir, file } = workspace(1500);
    const checked = await srlm(['check', file], dir, env());
    assert.equal(checked.code, 0, `the sampled check passes: ${checked.stdout}${checked.stderr}`);
    const r = await srlm(['run', file], dir, env());
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /1 bad row in the pipeline's datasets; nothing was launched/);
    assert.match(r.stderr, /train\.jsonl:1500: dataset train, column answer: .*null/);
    assert.ok(
      !fs.existsSync(path.join(dir, '.srlm', 'runs')) ||
        fs.readdirSync(path.join(dir, '.srlm', 'runs')).every((f) => !/^\d/.test(f)),
      'a run folder was created',
    );
  },
);

test('the refusal lists at most ten rows and counts the rest', () => {
  const issue = { dataset: 'd', file: '/x/a.jsonl', line: 3, column: 'answer', message: 'answer is empty' };
  assert.equal(describeIssue(issue), '/x/a.jsonl:3: dataset d, column answer: answer is empty');
  assert.equal(
    describeIssue({ dataset: 'd', file: '/x/a.parquet', row: 9, message: 'm' }),
    '/x/a.parquet (row 9): dataset d: m',
  );
  const many = Array.from({ length: 10 }, (_, i) => ({ ...issue, line: i + 1 }));
  const text = refusalMessage({ ok: false, errors: 25, datasets: [], diagnostics: many });
  assert.equal(text.split('\n').length, 12);
  assert.match(text, /… and 15 more$/);
});

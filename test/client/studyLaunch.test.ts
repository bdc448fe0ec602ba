// What the editor shows while "Run Pipeline" runs a study: the variant choice, the CLI arguments, the events of
// `srlm run STUDY --json` it follows, the progress line and the message at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  firstCheckError,
  notStartedText,
  parseStudyEvent,
  progressText,
  studyArgs,
  studyOutcome,
  variantChoices,
  type StudyEndEvent,
  type VariantEvent,
} from '../../client/src/study/studyLaunch';

const variant: VariantEvent = {
  event: 'variant',
  variant: 'kd_rl',
  index: 3,
  runs: 7,
  line: 97,
  id: '20261202-150000-study.kd_rl-ab12',
  dir: '/ws/.srlm/runs/20261202-150000-study.kd_rl-ab12',
};
const end: StudyEndEvent = {
  event: 'study',
  study: 'seed',
  id: 'seed-20261202-151000',
  path: '/ws/.srlm/studies/seed-20261202-151000.json',
  runsDir: '/ws/.srlm/runs',
  code: 0,
  skipped: [],
};

test('every variant is the first (default) choice, then each variant alone', () => {
  const choices = variantChoices(['direct_rl', 'kd_rl']);
  assert.deepEqual(
    choices.map((c) => [c.label, c.variant]),
    [
      ['All 2 variants', undefined],
      ['direct_rl', 'direct_rl'],
      ['kd_rl', 'kd_rl'],
    ],
  );
  assert.deepEqual(studyArgs('/ws/s.srlm', undefined, undefined), ['run', '/ws/s.srlm', '--json']);
  assert.deepEqual(studyArgs('/ws/s.srlm', 'kd_rl', '/py'), [
    'run',
    '/ws/s.srlm',
    '--json',
    '--variant',
    'kd_rl',
    '--python',
    '/py',
  ]);
});

test('the events of srlm run --json are read; any other line is not an event', () => {
  assert.deepEqual(parseStudyEvent(JSON.stringify(variant)), variant);
  assert.deepEqual(parseStudyEvent(JSON.stringify(end)), end);
  assert.equal(parseStudyEvent('study seed: 8 variants, 7 runs'), undefined);
  assert.equal(parseStudyEvent('null'), undefined);
  assert.equal(parseStudyEvent('{"event":"variant","variant":"x"}'), undefined, 'a variant event without its run');
  assert.equal(parseStudyEvent('{"event":"study","id":"x"}'), undefined, 'a study event without its folder and code');
});

test('the progress line names the variant and its place among the runs, then the latest progress', () => {
  assert.equal(progressText(undefined, undefined), 'checking the file…');
  assert.equal(progressText(undefined, 'fetching q: 10%'), 'fetching q: 10%');
  assert.equal(progressText(variant, undefined), 'variant 3/7: kd_rl');
  assert.equal(progressText(variant, 'polish step 12/200'), 'variant 3/7: kd_rl — polish step 12/200');
});

test('the message at the end: none when all completed; the variant, file and line otherwise', () => {
  assert.equal(studyOutcome(end, 'examples/study.srlm'), undefined);
  const failed = studyOutcome(
    { ...end, code: 1, failed: { variant: 'kd_rl', line: 97, status: 'failed' }, skipped: ['rl_kd_reg'] },
    'examples/study.srlm',
  );
  assert.deepEqual(failed, {
    level: 'error',
    text: 'SRLM: study seed: variant kd_rl (examples/study.srlm:97) failed. Not run: rl_kd_reg. The Study view shows what ran.',
  });
  const stopped = studyOutcome(
    { ...end, code: 1, failed: { variant: 'kd_rl', line: 97, status: 'stopped' }, skipped: ['rl_kd_reg'] },
    'study.srlm',
  );
  assert.equal(stopped?.level, 'info');
  assert.match(stopped!.text, /^SRLM: study seed stopped at variant kd_rl \(study\.srlm:97\)\. Not run: rl_kd_reg\./);
  const notStarted = studyOutcome(
    { ...end, code: 1, failed: { variant: 'kd_rl', line: 97 }, skipped: ['kd_rl', 'rl_kd_reg'] },
    'study.srlm',
  );
  assert.match(notStarted!.text, /variant kd_rl \(study\.srlm:97\) could not start\. Not run: rl_kd_reg\./);
});

test('a study that did not run: its first check error with the line and the variant, or the last lines', () => {
  // What `srlm run` writes to stderr when it refuses the file (runtime/src/cli/startReport.ts).
  const refused = [
    "/ws/two.srlm:34:38: error SRLM030: no stage named 'nosuch'; defined: warm, polish",
    ' 34 |     variant sft_rl { stages = [warm, nosuch] }',
    '    |                                      ^^^^^^',
    '',
    'srlm run: 1 error in /ws/two.srlm (first: …); fix them before running',
  ].join('\n');
  assert.deepEqual(firstCheckError(refused), {
    line: 34,
    column: 38,
    message: "no stage named 'nosuch'; defined: warm, polish",
  });
  assert.equal(
    notStartedText('two.srlm', refused, (line, column) => (line === 34 && column === 38 ? 'sft_rl' : undefined)),
    "SRLM: the study in two.srlm did not run: two.srlm:34 (variant sft_rl): no stage named 'nosuch'; defined: warm, polish",
  );
  assert.equal(
    notStartedText('two.srlm', refused),
    "SRLM: the study in two.srlm did not run: two.srlm:34: no stage named 'nosuch'; defined: warm, polish",
  );
  const setUp = 'a\nb\nc\nd\ne\nf\nsrlm run: no Python with the engine; run srlm setup\n';
  assert.equal(
    notStartedText('two.srlm', setUp),
    'SRLM: the study in two.srlm did not run.\nb\nc\nd\ne\nf\nsrlm run: no Python with the engine; run srlm setup',
  );
});

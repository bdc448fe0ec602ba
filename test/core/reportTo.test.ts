// The pipeline's metric back-end fields: `report_to` takes only known back-ends (with a did-you-mean fix) and
// means each once; `tags` takes any names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/core';

test('report_to: an unknown back-end is SRLM022 with a fix; duplicates collapse; tags are free', () => {
  const text = 'pipeline p {\n  report_to = [wandb, tensorbord]\n  tags = [gsm8k, "run 2"]\n}\n';
  // Only the field diagnostics matter here (a pipeline without stages is SRLM045 as well).
  const diags = (t: string) => analyze(t).diagnostics.filter((x) => x.code !== 'SRLM045');
  const [d, ...rest] = diags(text);
  assert.equal(rest.length, 0);
  assert.equal(d!.code, 'SRLM022');
  assert.match(
    d!.message,
    /'tensorbord' is not a valid report_to: expected one of tensorboard, wandb, mlflow \(did you mean 'tensorboard'\?\)/,
  );
  assert.equal(text.slice(d!.span.start, d!.span.end), 'tensorbord');
  assert.equal(d!.fixes?.[0]?.edits[0]?.newText, 'tensorboard');

  const ok = analyze('pipeline p {\n  report_to = [mlflow, "mlflow", tensorboard]\n  tags = [gsm8k, "run 2"]\n}\n');
  assert.deepEqual(
    ok.diagnostics.filter((x) => x.code !== 'SRLM045'),
    [],
  );
  assert.deepEqual(ok.pipeline?.values.report_to, ['mlflow', 'tensorboard']);
  assert.deepEqual(ok.pipeline?.values.tags, ['gsm8k', 'run 2']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRunId } from '../../client/src/cli';

test('finds the run id in what srlm run prints', () => {
  const out =
    'run 20261126-044027-short_demo-88ab (.srlm/runs/20261126-044027-short_demo-88ab)\n  teacher: will train\n';
  assert.equal(findRunId(out), '20261126-044027-short_demo-88ab');
  // Pipeline names may contain dashes and dots; the 4-hex suffix ends the id.
  assert.equal(findRunId('started 20260101-000000-my-pipe.v2-0a9f, follow it'), '20260101-000000-my-pipe.v2-0a9f');
  assert.equal(findRunId('srlm run: errors in the file'), undefined);
});

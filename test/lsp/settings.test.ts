// Settings from initializationOptions or the `srlm` configuration section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, readSettings } from '../../server/src/lsp/settings';

test('settings: values are validated, 0 GiB means none, unknown keys are ignored', () => {
  const s = readSettings(
    { diagnosticsDelayMs: 0, gpuMemoryGiB: 24, detectGpu: false, pythonPath: 'x' },
    DEFAULT_SETTINGS,
  );
  assert.deepEqual(s, { diagnosticsDelayMs: 0, gpuMemoryGiB: 24, detectGpu: false });
  assert.equal(readSettings({ gpuMemoryGiB: 0 }, s).gpuMemoryGiB, undefined);
  assert.equal(readSettings({ diagnosticsDelayMs: -5 }, s).diagnosticsDelayMs, 0);
  assert.equal(readSettings(undefined, s), s);
});

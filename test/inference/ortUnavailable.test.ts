// A package without onnxruntime-node (universal, darwin-x64) or with one that cannot load says so once, in words,
// naming the platform and what to install; the loader's own error is kept at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOrt, OrtUnavailableError } from '../../runtime/src/inference/ort';
import { generationTargets, ortUnavailableMessage } from '../../runtime/src/inference/ortTargets';

test('a failing onnxruntime-node load becomes one OrtUnavailableError naming this platform', () => {
  const missing = () => {
    throw Object.assign(new Error("Cannot find module 'onnxruntime-node'\nRequire stack:\n- /x/dist/srlm.js"), {
      code: 'MODULE_NOT_FOUND',
    });
  };
  assert.throws(
    () => loadOrt(missing),
    (err: unknown) =>
      err instanceof OrtUnavailableError &&
      err.message.startsWith('In-editor generation is not available in this build of SRLM Studio') &&
      err.message.includes(`${process.platform}-${process.arch}`) &&
      err.message.endsWith("(Cannot find module 'onnxruntime-node')"),
  );
});

test('the message says what to install on each kind of platform', () => {
  assert.deepEqual(generationTargets(), ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64']);
  assert.match(ortUnavailableMessage('linux', 'x64'), /Install the linux-x64 package of SRLM Studio \(the universal/);
  assert.match(ortUnavailableMessage('win32', 'x64'), /Install the win32-x64 package/);
  assert.match(ortUnavailableMessage('darwin', 'x64'), /no build for macOS on Intel/);
  assert.match(
    ortUnavailableMessage('linux', 'arm', 'dlopen failed'),
    /for linux-arm\. ONNX Runtime packages exist for linux-x64, linux-arm64, darwin-arm64, win32-x64\. .*\(dlopen failed\)$/,
  );
  for (const m of [ortUnavailableMessage('darwin', 'x64'), ortUnavailableMessage('freebsd', 'x64')])
    assert.match(m, /Checking, training, the dashboard and Python-side evaluation work without it\.$/);
});

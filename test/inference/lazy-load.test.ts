// Activation must stay fast: importing the inference API and the inspector's host modules must not load
// onnxruntime-node's native binding; only opening a model does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const ortLoaded = () => Object.keys(require.cache).some((k) => k.includes('onnxruntime-node'));

describe('lazy onnxruntime-node', () => {
  it('is not loaded by importing the inference API or the inspector controller', async () => {
    const api = await import('../../runtime/src/inference');
    await import('../../client/src/inspector/controller');
    await import('../../runtime/src/cli/registry');
    assert.equal(typeof api.CheckpointGenerator.open, 'function');
    assert.equal(ortLoaded(), false);
    const ort = await import('../../runtime/src/inference/ort');
    assert.equal(ort.isOrtLoaded(), false);
    ort.loadOrt();
    assert.equal(ort.isOrtLoaded(), true);
    assert.equal(ortLoaded(), true);
  });
});

// Activation must stay fast: importing the inference API, the inspector's host modules and the CLI registry must
// not load onnxruntime-node's native binding; only opening a model does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../../runtime/src/inference';
import * as ort from '../../runtime/src/inference/ort';
import { InspectorController } from '../../client/src/inspector/controller';
import { commands } from '../../runtime/src/cli/registry';

const ortLoaded = () => Object.keys(require.cache).some((k) => k.includes('onnxruntime-node'));

describe('lazy onnxruntime-node', () => {
  it('is not loaded by importing the inference API, the inspector controller or the CLI', () => {
    assert.equal(typeof api.CheckpointGenerator.open, 'function');
    assert.equal(typeof InspectorController, 'function');
    assert.ok(commands.some((c) => c.name === 'generate'));
    assert.equal(ortLoaded(), false);
    assert.equal(ort.isOrtLoaded(), false);
    ort.loadOrt();
    assert.equal(ort.isOrtLoaded(), true);
    assert.equal(ortLoaded(), true);
  });
});

// What a `source` names from its text, and `~`: one rule (core/semantics/sources.ts) for the checker, the IDE,
// the compiler and the CLI's file host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandHome, isLocalSource } from '../../server/src/core';
import { expandPath } from '../../server/src/ide/modelFacts';
import { NodeFileSystemHost } from '../../runtime/src/cli/host/nodeHost';

test('a source is local when it looks like a path, `~x` included; otherwise a hub id', () => {
  for (const local of ['.', '..', './m', '../m', '/abs/m', 'C:\\m', '~', '~/m', '~\\m', '~x', '~x/m'])
    assert.equal(isLocalSource(local), true, local);
  for (const hub of ['gpt2', 'Qwen/Qwen2.5-0.5B', 'openai/gsm8k', 'x~']) assert.equal(isLocalSource(hub), false, hub);
});

test('`~` and `~/…` are the home folder; `~x` and other text are left for the caller to resolve', () => {
  assert.equal(expandHome('~', '/home/u'), '/home/u');
  assert.equal(expandHome('~/m/x', '/home/u'), '/home/u/m/x');
  assert.equal(expandHome('~x/m', '/home/u'), '~x/m');
  assert.equal(expandHome('./m', '/home/u'), './m');
});

test('the IDE and the CLI file host resolve `~`, `~x` and relative paths alike', () => {
  const host = new NodeFileSystemHost('/base');
  for (const [p, want] of [
    ['~/m', path.join(os.homedir(), 'm')],
    ['~', os.homedir()],
    ['~x', '/base/~x'],
    ['m/x', '/base/m/x'],
    ['/abs', '/abs'],
  ]) {
    assert.equal(expandPath(p, '/base'), want, `ide: ${p}`);
    assert.equal(host.resolve(p), want, `cli: ${p}`);
  }
});

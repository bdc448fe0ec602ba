// The layer rules of eslint.config.mjs, shown to fail: each deliberate violation below, linted as if it were a
// file of that layer, must be reported by `no-restricted-imports` with the layer's message; the same import from
// a layer allowed to make it must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { root } from '../runtime/helpers';

const eslint = new ESLint({ cwd: root });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const violations: [file: string, source: string, message: RegExp][] = [
  ['server/src/core/semantics/x.ts', "import { hover } from '../../ide/hover';", /core may not import the IDE/],
  ['server/src/core/x.ts', "import { startServer } from '../lsp/server';", /core may not import the IDE or LSP/],
  ['server/src/core/x.ts', "import * as fs from 'node:fs';", /no editor, LSP or Node APIs/],
  ['server/src/core/x.ts', "import type { Range } from 'vscode-languageserver';", /no editor, LSP or Node APIs/],
  ['server/src/ide/x.ts', "import { documents } from '../lsp/documents';", /IDE layer may not import the LSP/],
  ['server/src/ide/x.ts', "import * as vscode from 'vscode';", /IDE layer is plain data/],
  ['server/src/lsp/x.ts', "import * as vscode from 'vscode';", /does not use the VS Code extension API/],
  ['runtime/src/plan/x.ts', "import { main } from '../cli/main';", /plan compiler may not import the CLI/],
  ['runtime/src/plan/x.ts', "import { startRun } from '../supervisor/start';", /plan compiler may not import/],
  ['runtime/src/store/x.ts', "import * as vscode from 'vscode';", /runtime serves the CLI too/],
  ['runtime/src/cli/x.ts', "import { hover } from '../../../server/src/ide/hover';", /runtime serves the CLI too/],
  ['client/webview/x.ts', "import * as fs from 'node:fs';", /webview scripts run in the browser/],
];

for (const [file, source, message] of violations) {
  test(`layer rule: ${file} may not say ${source}`, async () => {
    const found = await restricted(file, source);
    assert.ok(
      found.some((m) => message.test(m)),
      `expected a violation matching ${message}, got ${JSON.stringify(found)}`,
    );
  });
}

test('the same imports pass where the layers allow them', async () => {
  assert.deepEqual(await restricted('server/src/lsp/x.ts', "import { hover } from '../ide/hover';"), []);
  assert.deepEqual(await restricted('server/src/ide/x.ts', "import { parse } from '../core';"), []);
  assert.deepEqual(await restricted('server/src/ide/x.ts', "import * as fs from 'node:fs';"), []);
  assert.deepEqual(
    await restricted('runtime/src/supervisor/x.ts', "import { compilePlan } from '../plan/compile';"),
    [],
  );
  assert.deepEqual(await restricted('client/src/x.ts', "import * as vscode from 'vscode';"), []);
  // The environment checks' entry is the IDE layer's one module the runtime shares (srlm check, srlm run).
  assert.deepEqual(
    await restricted('runtime/src/plan/x.ts', "import { checkDocument } from '../../../server/src/ide/checks';"),
    [],
  );
});

test('the tree itself has no layer violations', async () => {
  const results = await eslint.lintFiles(['server/src', 'runtime/src', 'client']);
  const found = results.flatMap((r) =>
    r.messages
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => `${path.relative(root, r.filePath)}:${m.line}: ${m.message}`),
  );
  assert.deepEqual(found, []);
});

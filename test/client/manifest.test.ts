// Manifest contributions that must agree with code: the $srlm problem matcher reads what `srlm check` prints,
// the language client and server share an LSP library major, and the files the manifest names exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { check } from '../../server/src/core';
import { renderHuman } from '../../runtime/src/cli/commands/check';

const root = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

test('the $srlm problem matcher parses the lines srlm check prints', async () => {
  const matcher = manifest.contributes.problemMatchers.find((m: { name: string }) => m.name === 'srlm');
  const re = new RegExp(matcher.pattern.regexp);
  const { document, diagnostics } = await check('pipeline p {\n  seed = "x"\n  bogus = 1\n}\n');
  assert.ok(diagnostics.length >= 2);
  for (const d of diagnostics.filter((x) => x.severity !== 'hint')) {
    const first = renderHuman('dir with space/p.srlm', document.lineIndex, d, false).split('\n')[0];
    const m = re.exec(first);
    assert.ok(m, first);
    const p = matcher.pattern;
    assert.equal(m[p.file], 'dir with space/p.srlm');
    assert.equal(Number(m[p.line]), d.range.start.line + 1);
    assert.equal(Number(m[p.column]), d.range.start.character + 1);
    assert.equal(m[p.severity], d.severity);
    assert.equal(m[p.code], d.code);
    assert.equal(m[p.message], d.message);
  }
});

test('vscode-languageclient and vscode-languageserver have the same major', () => {
  const major = (name: string) => /\d+/.exec(manifest.dependencies[name])?.[0];
  assert.equal(major('vscode-languageclient'), major('vscode-languageserver'));
});

test('icon, walkthrough media, license and changelog exist', () => {
  assert.ok(existsSync(path.join(root, manifest.icon)));
  assert.match(readFileSync(path.join(root, 'LICENSE'), 'utf8'), new RegExp(`^${manifest.license} License`));
  assert.ok(existsSync(path.join(root, 'CHANGELOG.md')));
  for (const w of manifest.contributes.walkthroughs)
    for (const s of w.steps) assert.ok(existsSync(path.join(root, s.media.markdown)), s.media.markdown);
  assert.deepEqual(manifest.extensionKind, ['workspace']);
  assert.equal(manifest.capabilities.virtualWorkspaces, false);
  assert.equal(manifest.contributes.configuration.properties['srlm.trace.server'].default, 'off');
});

test('walkthrough steps link to commands the extension contributes, and complete on them', () => {
  const contributed = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));
  // View focus commands (`<view id>.focus`) are made by VS Code for every contributed view.
  for (const v of manifest.contributes.views.srlm) contributed.add(`${v.id}.focus`);
  for (const w of manifest.contributes.walkthroughs)
    for (const s of w.steps) {
      const links = [...(s.description as string).matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, s.id);
      for (const id of links) assert.ok(contributed.has(id), `${s.id} links to ${id}`);
      for (const e of s.completionEvents as string[]) {
        const cmd = /^onCommand:(.+)$/.exec(e)?.[1];
        if (cmd) assert.ok(contributed.has(cmd), `${s.id} completes on ${cmd}`);
      }
    }
});

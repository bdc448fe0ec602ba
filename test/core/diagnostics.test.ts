// Diagnostic fixtures: each file under test/fixtures/core/diagnostics states its expected diagnostics inline.
// A marker is a comment line whose carets sit under the range on the nearest line above that is not itself
// a marker:   `#     ^^^ SRLM012 unknown field`   (code, then an optional message substring). A marker with
// `@L:C` instead of carets (`# @1:1 SRLM010 …`) names a 1-based position, for ranges a caret cannot reach.
// Every diagnostic except hints must be marked, and every marker must match one diagnostic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyze, type Diagnostic } from '../../server/src/core';
import { fixtures, srlmFiles } from './helpers';

interface Expected {
  line: number;
  character: number;
  width: number | undefined;
  code: string;
  text: string;
  markerLine: number;
}

const CARET = /^(\s*)#(\s*)(\^+)\s+(SRLM\d{3})\s*(.*)$/;
const AT = /^\s*#\s*@(\d+):(\d+)\s+(SRLM\d{3})\s*(.*)$/;

export function parseMarkers(text: string): Expected[] {
  const lines = text.split('\n');
  const out: Expected[] = [];
  let target = -1;
  lines.forEach((l, i) => {
    const m = CARET.exec(l);
    const a = AT.exec(l);
    if (m) {
      const col = m[1].length + 1 + m[2].length;
      out.push({ line: target, character: col, width: m[3].length, code: m[4], text: m[5].trim(), markerLine: i + 1 });
    } else if (a) {
      out.push({
        line: Number(a[1]) - 1,
        character: Number(a[2]) - 1,
        width: undefined,
        code: a[3],
        text: a[4].trim(),
        markerLine: i + 1,
      });
    } else target = i;
  });
  return out;
}

function matches(d: Diagnostic, e: Expected): boolean {
  if (d.code !== e.code || d.range.start.line !== e.line || d.range.start.character !== e.character) return false;
  if (e.width !== undefined) {
    const w = d.range.end.line === d.range.start.line ? d.range.end.character - d.range.start.character : -1;
    if (Math.max(1, w) !== e.width) return false;
  }
  return e.text === '' || d.message.includes(e.text);
}

for (const file of srlmFiles(path.join(fixtures, 'diagnostics'))) {
  test(`diagnostics: ${path.basename(file)}`, () => {
    const text = readFileSync(file, 'utf8');
    const expected = parseMarkers(text);
    assert.ok(expected.length > 0, 'fixture has no markers');
    const actual = analyze(text).diagnostics.filter((d) => d.severity !== 'hint');
    const unmatched = [...actual];
    const problems: string[] = [];
    for (const e of expected) {
      const i = unmatched.findIndex((d) => matches(d, e));
      if (i < 0)
        problems.push(
          `marker on line ${e.markerLine} (${e.code} at ${e.line + 1}:${e.character + 1} "${e.text}") matched nothing`,
        );
      else unmatched.splice(i, 1);
    }
    for (const d of unmatched) {
      problems.push(
        `unexpected ${d.code} at ${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.character + 1}: ${d.message}`,
      );
    }
    assert.deepEqual(problems, []);
  });
}

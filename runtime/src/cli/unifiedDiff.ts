// Unified diffs (`diff -u` / `git diff` format) of two versions of a text, for `srlm fmt --diff`.
import { lineHunks } from '../../../server/src/core/format/lineDiff';

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Every line of `a` and `b` as kept, deleted or added, from the language server's line diff. */
function editScript(a: string[], b: string[]): Op[] {
  const ops: Op[] = [];
  let i = 0;
  for (const h of lineHunks(a, b)) {
    for (; i < h.a0; i++) ops.push({ kind: ' ', line: a[i] });
    for (let k = h.a0; k < h.a1; k++) ops.push({ kind: '-', line: a[k] });
    for (let k = h.b0; k < h.b1; k++) ops.push({ kind: '+', line: b[k] });
    i = h.a1;
  }
  for (; i < a.length; i++) ops.push({ kind: ' ', line: a[i] });
  return ops;
}

const NO_EOL = '\n\\ No newline at end of file';

/** Lines without their ends; a last line with no newline keeps diff(1)'s marker, so it differs from one with. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += NO_EOL;
  return lines;
}

const range = (start: number, count: number) =>
  count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;

/** `--- a/NAME` / `+++ b/NAME` and hunks with `context` lines around each change; '' when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, name: string, context = 3): string {
  if (oldText === newText) return '';
  const ops = editScript(splitLines(oldText), splitLines(newText));
  const out = [`--- a/${name}`, `+++ b/${name}`];
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k].kind === ' ') k++;
    if (k === ops.length) break;
    // A hunk: from `context` lines before this change to `context` after the last change closer than 2·context.
    const start = Math.max(0, k - context);
    let end = k;
    let last = k;
    while (end < ops.length) {
      if (ops[end].kind !== ' ') last = end;
      else if (end - last > 2 * context) break;
      end++;
    }
    end = Math.min(ops.length, last + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (let x = 0; x < start; x++) {
      if (ops[x].kind !== '+') oldStart++;
      if (ops[x].kind !== '-') newStart++;
    }
    const body = ops.slice(start, end);
    const oldCount = body.filter((o) => o.kind !== '+').length;
    const newCount = body.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const o of body) out.push(`${o.kind}${o.line}`);
    k = end;
  }
  return out.join('\n') + '\n';
}

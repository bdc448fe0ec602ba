// A minimal line diff: the editor's formatting edits and `srlm fmt --diff` both show the formatter's change as
// hunks of whole lines.

export interface Hunk {
  /** Line range [a0, a1) in the old text replaced by lines [b0, b1) of the new text. */
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

const MAX_DP_CELLS = 4_000_000;

/** Line hunks turning `a` into `b`: common prefix/suffix, then an LCS over the middle when small enough. */
export function lineHunks(a: string[], b: string[]): Hunk[] {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const A = a.slice(p, a.length - s);
  const B = b.slice(p, b.length - s);
  if (A.length === 0 && B.length === 0) return [];
  if (A.length * B.length > MAX_DP_CELLS || A.length === 0 || B.length === 0) {
    return [{ a0: p, a1: a.length - s, b0: p, b1: b.length - s }];
  }
  // lcs[i][j] = LCS length of A[i:] and B[j:], in one flat array.
  const n = A.length;
  const m = B.length;
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        A[i] === B[j]
          ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let open: Hunk | undefined;
  const flush = (): void => {
    if (open) hunks.push(open);
    open = undefined;
  };
  while (i < n || j < m) {
    if (i < n && j < m && A[i] === B[j]) {
      flush();
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
      open ??= { a0: p + i, a1: p + i, b0: p + j, b1: p + j };
      j++;
      open.b1 = p + j;
    } else {
      open ??= { a0: p + i, a1: p + i, b0: p + j, b1: p + j };
      i++;
      open.a1 = p + i;
    }
  }
  flush();
  return hunks;
}

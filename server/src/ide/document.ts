// One analysed .srlm document: the core's model plus what the IDE features need around it (its folder on
// disk for relative paths, and a flat list of significant tokens for cursor-context questions).
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { analyze as analyzeText, type DocumentModel } from '../core';
import { SyntaxKind, isTrivia } from '../core/syntax/kinds';
import { forEachToken, type SyntaxToken } from '../core/syntax/tree';
import type { LineIndex } from '../core/text/lineIndex';

export class IdeDocument {
  readonly path: string | undefined;
  readonly dir: string | undefined;
  private tokensCache: SyntaxToken[] | undefined;
  /** File-check diagnostics of this version, once computed (code actions offer their fixes too). */
  slowDiagnostics: import('../core').Diagnostic[] = [];

  constructor(
    readonly uri: string,
    readonly model: DocumentModel,
  ) {
    let path: string | undefined;
    if (uri.startsWith('file:')) {
      try {
        path = fileURLToPath(uri);
      } catch {
        path = undefined;
      }
    }
    this.path = path;
    this.dir = path ? dirname(path) : undefined;
  }

  get text(): string {
    return this.model.text;
  }

  get lineIndex(): LineIndex {
    return this.model.lineIndex;
  }

  /** Significant (non-trivia) tokens in source order. */
  get tokens(): SyntaxToken[] {
    if (!this.tokensCache) {
      const out: SyntaxToken[] = [];
      forEachToken(this.model.tree, (t) => {
        if (!isTrivia(t.kind)) out.push(t);
      });
      this.tokensCache = out;
    }
    return this.tokensCache;
  }

  textOf(s: { start: number; end: number }): string {
    return this.model.text.slice(s.start, s.end);
  }

  /** Index of the last significant token that ends at or before `offset` (−1 when none). */
  tokenIndexBefore(offset: number): number {
    const toks = this.tokens;
    let lo = 0;
    let hi = toks.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (toks[mid]!.end <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The significant token containing `offset` or ending right at it (a cursor at the end of a word). */
  tokenAt(offset: number): SyntaxToken | undefined {
    const toks = this.tokens;
    const i = this.tokenIndexBefore(offset);
    const next = toks[i + 1];
    if (next && next.start <= offset && offset < next.end) return next;
    const prev = toks[i];
    if (
      prev &&
      prev.end === offset &&
      (prev.kind === SyntaxKind.Ident || prev.kind === SyntaxKind.String || prev.kind === SyntaxKind.Number)
    ) {
      return prev;
    }
    return undefined;
  }
}

export function analyzeDocument(uri: string, text: string): IdeDocument {
  return new IdeDocument(uri, analyzeText(text));
}

// The stages of a .srlm file, as the language server sees them (its document symbols): "Run From Stage…" offers
// them and "reveal this stage" selects a stage's name; "Run Pipeline" on a study offers its variants. The server is the one parser of the language; the client
// keeps none of its own. (Plain data here, so the walk is tested without VS Code; commands.ts asks the server.)
/** The part of a document symbol this module reads (vscode.DocumentSymbol has it). */
export interface SymbolLike<R> {
  readonly name: string;
  readonly detail?: string;
  readonly selectionRange: R;
  /** The whole block (vscode.DocumentSymbol's `range`). */
  readonly range?: R;
  readonly children: readonly SymbolLike<R>[];
}

export interface StageSymbol<R> {
  readonly name: string;
  /** sft, kd or rl. */
  readonly kind: string;
  /** The stage's name in the file. */
  readonly nameRange: R;
}

/** Stage blocks among the symbols: the server details a stage as `<kind> stage` (server/src/ide/symbols.ts). */
export function stagesIn<R>(symbols: readonly SymbolLike<R>[]): StageSymbol<R>[] {
  const out: StageSymbol<R>[] = [];
  for (const s of symbols) {
    const m = /^(\w+) stage$/.exec(s.detail ?? '');
    if (m) out.push({ name: s.name, kind: m[1]!, nameRange: s.selectionRange });
    else out.push(...stagesIn(s.children));
  }
  return out;
}

export interface StudySymbol<R> {
  readonly name: string;
  /** Variants in file order, with their blocks' ranges. */
  readonly variants: readonly { readonly name: string; readonly range: R | undefined }[];
}

/**
 * The study block among the symbols (detailed `study`, its variants `variant`), when the file declares one. A
 * field whose value reads `study` is detailed so too, but has no children.
 */
export function studyIn<R>(symbols: readonly SymbolLike<R>[]): StudySymbol<R> | undefined {
  for (const s of symbols) {
    if (s.detail === 'study' && s.children.length > 0) {
      const variants = s.children.filter((c) => c.detail === 'variant');
      return { name: s.name, variants: variants.map((c) => ({ name: c.name, range: c.range })) };
    }
    const inner = studyIn(s.children);
    if (inner) return inner;
  }
  return undefined;
}

// Snippets for new blocks: a stage of each kind with its required fields (references offered as choices
// from the blocks already defined), and the other block kinds with theirs.
import { blockSpec, stageKindSpec } from '../core/schema/lookup';
import type { FieldSpec } from '../core/schema/types';
import type { IdeDocument } from './document';
import type { IdeCompletion, Span } from './types';

function escapeChoice(s: string): string {
  return s.replace(/[,|\\$}]/g, (c) => `\\${c}`);
}

function placeholder(f: FieldSpec, n: number, doc: IdeDocument | undefined): string {
  const t = f.type;
  if (t.kind === 'ref' && doc) {
    const names = doc.model.symbols.filter((s) => t.targets.includes(s.kind)).map((s) => escapeChoice(s.name));
    if (names.length > 0) return `\${${n}|${names.join(',')}|}`;
  }
  if (t.kind === 'enum') return `\${${n}|${t.values.map(escapeChoice).join(',')}|}`;
  if (t.kind === 'refList') return `[\${${n}}]`;
  if (t.kind === 'string' || t.kind === 'path') return `"\${${n}}"`;
  return `\${${n}:${f.name}}`;
}

const EXTRA: Record<string, string[]> = {
  // A useful stage states its learning signal too, not only what is required.
  sft: ['epochs', 'lr'],
  kd: ['loss', 'temperature'],
  rl: ['reward', 'group', 'steps'],
  eval: ['metrics'],
  dataset: ['prompt'],
  variant: ['stages'],
};

function body(fields: readonly FieldSpec[], extra: string[], doc: IdeDocument | undefined, first: number): string[] {
  const lines: string[] = [];
  let n = first;
  for (const f of fields) {
    if (!f.required && !extra.includes(f.name)) continue;
    if (f.name === 'source' || f.required || f.default === undefined)
      lines.push(`  ${f.name} = ${placeholder(f, n++, doc)}`);
    else
      lines.push(`  ${f.name} = \${${n++}:${typeof f.default === 'string' ? f.default : JSON.stringify(f.default)}}`);
  }
  return lines;
}

export function stageSnippet(kind: string, doc: IdeDocument, replace: Span): IdeCompletion {
  const spec = stageKindSpec(kind);
  const lines = [`stage ${kind} \${1:name} {`, ...body(spec?.fields ?? [], EXTRA[kind] ?? [], doc, 2), '  $0', '}'];
  return {
    label: `stage ${kind}`,
    kind: 'snippet',
    detail: `new ${kind} stage`,
    documentation: spec?.doc,
    insertText: lines.join('\n'),
    snippet: true,
    replace,
    filterText: `stage ${kind}`,
    sortText: `2stage ${kind}`,
  };
}

export function blockSnippet(kind: string, replace: Span): IdeCompletion {
  const spec = blockSpec(kind);
  const named = (spec?.labels.length ?? 0) > 0;
  const first = named ? 2 : 1;
  let fields = spec?.fields ?? [];
  // A dataset needs a source or a builtin; offer the common case.
  if (kind === 'dataset') fields = fields.filter((f) => f.name !== 'builtin');
  const inner = body(
    fields,
    kind === 'dataset' ? ['source', ...(EXTRA.dataset ?? [])] : (EXTRA[kind] ?? []),
    undefined,
    first,
  );
  const head = named ? `${kind} \${1:name} {` : `${kind} {`;
  return {
    label: kind,
    kind: 'block',
    detail: `${kind} block`,
    documentation: spec?.doc,
    insertText: [head, ...inner, '  $0', '}'].join('\n'),
    snippet: true,
    replace,
    sortText: `2${kind}`,
  };
}

/** A study variant's settings block for a stage: `polish { … }` with that stage's fields inside. */
export function settingsSnippet(stage: string, stageKind: string | undefined, replace: Span): IdeCompletion {
  return {
    label: stage,
    kind: 'block',
    detail: `settings of ${stageKind ?? ''} stage ${stage} in this variant`.replace('  ', ' '),
    documentation: `Changes settings of stage \`${stage}\` in this variant only, with the fields of its kind (\`lr = 1e-4\`, \`lora { rank = 8 }\`).`,
    insertText: `${stage} {\n  $0\n}`,
    snippet: true,
    replace,
    sortText: `3${stage}`,
  };
}

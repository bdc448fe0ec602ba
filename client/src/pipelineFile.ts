// Finds the pipeline and stage blocks of a .srlm text by a light scan (comments and strings skipped, braces
// matched). Enough for "Run From Stage…" choices and "reveal this stage" when no plan.json range is at hand;
// the language server remains the authority on what the file means.
export interface BlockRange {
  kind: 'pipeline' | 'stage';
  /** Stage kind (sft, kd, rl) for stages. */
  stageKind?: string;
  name: string;
  /** Offsets of the block's header start and closing brace end. */
  start: number;
  end: number;
  /** Offsets of the name token, for selection. */
  nameStart: number;
  nameEnd: number;
}

const HEADER = /\b(pipeline)\s+([A-Za-z_][\w-]*)\s*\{|\b(stage)\s+([A-Za-z_][\w-]*)\s+([A-Za-z_][\w-]*)\s*\{/y;

export function findBlocks(text: string): BlockRange[] {
  const out: BlockRange[] = [];
  const open: { block?: BlockRange }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === 'p' || c === 's') {
      const prev = i > 0 ? text[i - 1] : ' ';
      if (!/[\w-]/.test(prev)) {
        HEADER.lastIndex = i;
        const m = HEADER.exec(text);
        if (m) {
          const isPipeline = m[1] === 'pipeline';
          const name = isPipeline ? m[2] : m[5];
          const nameStart = i + m[0].lastIndexOf(name, m[0].length - 1);
          const block: BlockRange = {
            kind: isPipeline ? 'pipeline' : 'stage',
            stageKind: isPipeline ? undefined : m[4],
            name,
            start: i,
            end: text.length,
            nameStart,
            nameEnd: nameStart + name.length,
          };
          out.push(block);
          open.push({ block });
          i += m[0].length;
          continue;
        }
      }
    }
    if (c === '{') open.push({});
    else if (c === '}') {
      const top = open.pop();
      if (top?.block) top.block.end = i + 1;
    }
    i++;
  }
  return out;
}

export function stageNames(text: string): { name: string; kind: string }[] {
  return findBlocks(text)
    .filter((b) => b.kind === 'stage')
    .map((b) => ({ name: b.name, kind: b.stageKind ?? '' }));
}

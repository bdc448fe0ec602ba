// The line `srlm setup` writes to stderr when a step starts, and its reader in the editor's progress
// notification: one format, both ends here.

export interface StepLine {
  readonly index: number;
  readonly total: number;
  readonly text: string;
}

export function formatStepLine(s: StepLine): string {
  return `[${s.index}/${s.total}] ${s.text}`;
}

/** A step line, or undefined for anything else (pip's own output, the final message). */
export function parseStepLine(line: string): StepLine | undefined {
  const m = /^\[(\d+)\/(\d+)\] (.+)$/.exec(line.trim());
  return m ? { index: Number(m[1]), total: Number(m[2]), text: m[3]! } : undefined;
}

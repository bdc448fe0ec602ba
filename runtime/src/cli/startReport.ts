// How `srlm run` reports a start: the stage cache's decision for each stage, and the check errors that refuse
// a file. Shared by the run of a pipeline and the run of a study's variants.
import type { CliIO } from './command';
import { renderHuman } from './commands/check';
import type { CacheDecision } from '../plan/cache';
import type { CompileError } from '../plan/compile';

export function describeDecision(d: CacheDecision): string {
  if (d.action === 'reused') return `${d.stage}: reusing the checkpoint of run ${d.run}`;
  if (d.action === 'forced') return `${d.stage}: will train (requested)`;
  return `${d.stage}: will train`;
}

/**
 * Nothing launches while the check (the same as `srlm check`'s and the editor's) has errors: each problem is
 * listed as `file:line:col: severity CODE: message` with its source line, then one summary line.
 */
export function refuseOnCheckErrors(io: CliIO, shownName: string, err: CompileError): number {
  if (err.lineIndex) {
    const color = io.stderr === process.stderr && process.stderr.isTTY === true && !io.env.NO_COLOR;
    for (const d of err.diagnostics.filter((x) => x.severity === 'error' || x.severity === 'warning')) {
      io.stderr.write(`${renderHuman(shownName, err.lineIndex, d, color)}\n\n`);
    }
  }
  io.stderr.write(`srlm run: ${err.message}\n`);
  return 1;
}

// Checks made before a run folder is created or an engine launched, so an unwritable or full disk is one
// clear message up front rather than a traceback minutes into training.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFsError } from '../store/fileIo';

/** One problem that prevents a run; the message says what and where. */
export class PreflightError extends Error {}

/** Default free space required on the runs folder's disk: checkpoints of even the tiny demo need some room. */
export const DEFAULT_MIN_FREE_MB = 1024;

export function minFreeBytes(env: NodeJS.ProcessEnv): number {
  const raw = env.SRLM_MIN_FREE_MB;
  const mb = raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : DEFAULT_MIN_FREE_MB;
  return Math.max(0, mb) * 1024 * 1024;
}

function formatMb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024)).toLocaleString('en-US')} MB`;
}

export function checkRunsFolder(root: string, needBytes: number): void {
  try {
    fs.mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new PreflightError(
      `${describeFsError(err, `cannot create the runs folder ${root}`)}. Set \`output\` in the pipeline block to a writable folder.`,
    );
  }
  const probe = path.join(root, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'ok');
  } catch (err) {
    throw new PreflightError(
      `${describeFsError(err, `cannot write to the runs folder ${root}`)}. Set \`output\` in the pipeline block to a writable folder.`,
    );
  } finally {
    fs.rmSync(probe, { force: true });
  }
  let free: number;
  try {
    const st = fs.statfsSync(root);
    free = Number(st.bavail) * Number(st.bsize);
  } catch {
    return; // no statfs here (or not permitted): the engine reports a full disk itself
  }
  if (free < needBytes) {
    throw new PreflightError(
      `the disk holding ${root} is full: ${formatMb(free)} free, a run needs at least ${formatMb(needBytes)} for checkpoints. Free some space (old runs live in ${root}), or set SRLM_MIN_FREE_MB to lower the limit.`,
    );
  }
}

// Runs the `srlm` CLI in-process with captured output, for the command tests; and builds small workspaces.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../runtime/src/cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `stdin`: what `-` reads (default: nothing). */
export async function srlm(argv: string[], cwd: string, env: NodeJS.ProcessEnv, stdin = ''): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await main(argv, { stdout: out, stderr: err, cwd, env, stdin: Readable.from([Buffer.from(stdin)]) });
  return { code, stdout, stderr };
}

/** A temporary folder holding `files` (relative path → text). */
export function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'srlm-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

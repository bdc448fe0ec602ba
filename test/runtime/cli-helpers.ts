// Runs the `srlm` CLI in-process with captured output, for the command tests.
import { PassThrough } from 'node:stream';
import { main } from '../../runtime/src/cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function srlm(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await main(argv, { stdout: out, stderr: err, cwd, env });
  return { code, stdout, stderr };
}

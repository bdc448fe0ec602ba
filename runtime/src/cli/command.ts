// The shape every `srlm` sub-command implements; commands live one per file in ./commands.
export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** What `-` reads (default: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream;
}

export interface CliCommand {
  readonly name: string;
  /** One line for `srlm --help`. */
  readonly summary: string;
  /** Full usage text for `srlm <name> --help` and usage errors. */
  readonly usage: string;
  /** Returns the exit code: 0 success, 1 failure (e.g. errors found), 2 bad usage. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Thrown by argument parsing; main prints the message with the command's usage and exits 2. */
export class UsageError extends Error {}

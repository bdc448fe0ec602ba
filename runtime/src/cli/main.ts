// Entry of the `srlm` command-line tool: dispatches to the commands in ./commands.
import { UsageError, type CliIO } from './command';
import { commands } from './registry';
import { DataFileError } from '../store/fs-util';

export const CLI_VERSION = '0.1.0';

function usage(): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  return [
    'usage: srlm <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'srlm <command> --help shows the options of a command; srlm --version prints the version.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    io.stdout.write(`srlm ${CLI_VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`srlm: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`srlm ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof DataFileError) {
      io.stderr.write(`srlm ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) {
  // `srlm runs | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `srlm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 70;
    },
  );
}

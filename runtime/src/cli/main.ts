// Entry of the `srlm` command-line tool: dispatches to the commands in ./commands.
import { UsageError, type CliIO } from './command';
import { commands } from './registry';
import { DataFileError } from '../store/fileIo';
import { similar } from '../../../server/src/core/semantics/similar';
import { CLI_VERSION } from './version';

export { CLI_VERSION };

function usage(): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  return [
    'usage: srlm <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'srlm help <command> (or srlm <command> --help) shows the options of a command; srlm --version prints the',
    'version; srlm completion bash|zsh|fish prints a shell completion script.',
  ].join('\n');
}

/** "unknown command 'chek'; did you mean 'check'?" — or the list of commands when nothing is close. */
function unknownCommand(name: string): string {
  const guess = similar(
    name,
    commands.map((c) => c.name),
    1,
  )[0];
  return guess ? `unknown command '${name}'; did you mean '${guess}'?` : `unknown command '${name}'\n\n${usage()}`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    io.stdout.write(`srlm ${CLI_VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === 'help') {
    // `srlm help CMD`, as git, cargo and gh have it.
    const topic = commands.find((c) => c.name === rest[0]);
    if (topic) {
      io.stdout.write(`${topic.usage}\n`);
      return 0;
    }
    io.stderr.write(`srlm help: ${unknownCommand(rest[0])}\n`);
    return 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`srlm: ${unknownCommand(name)}\n`);
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

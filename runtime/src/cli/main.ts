// Entry of the `srlm` command-line tool.
const VERSION = '0.1.0';

function usage(): string {
  return ['usage: srlm <command> [options]', '', 'commands:', '  --version   print the version'].join('\n');
}

export function main(argv: string[]): number {
  const [command] = argv;
  if (command === '--version' || command === 'version') {
    process.stdout.write(`srlm ${VERSION}\n`);
    return 0;
  }
  process.stderr.write(`${usage()}\n`);
  return command === undefined || command === '--help' ? 0 : 2;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}

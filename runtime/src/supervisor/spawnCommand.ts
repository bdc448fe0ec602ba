// Starting a program with arguments, never through a shell string, on every platform. One exception is forced
// on Windows: a batch file (`.bat`/`.cmd`: pyenv-win's and some conda `python` shims are such files) cannot be
// started directly (Node refuses with EINVAL since the 2024 "BatBadBut" fix), only through cmd.exe, which
// re-parses its command line. So for those, each argument is quoted as the C runtime expects and then every
// character cmd.exe treats specially is escaped with ^ (the rules cross-spawn uses).

export interface SpawnCommand {
  readonly file: string;
  readonly args: string[];
  /** Node must pass `args` to CreateProcess as they are (they are quoted here already). */
  readonly windowsVerbatimArguments?: boolean;
}

const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

export function isBatchFile(file: string, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'win32' && /\.(bat|cmd)$/i.test(file);
}

/** One argument for a batch file started by cmd.exe. */
export function quoteForCmd(arg: string): string {
  // C runtime quoting first (what the program behind the batch file parses): backslashes before a quote or the
  // closing quote are doubled, quotes escaped; then cmd.exe's metacharacters, the quotes included, get a ^.
  const crt = `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`;
  return crt.replace(CMD_META, '^$1');
}

/** How to start `file` with `args` on `platform` without a shell string built from user input. */
export function spawnCommand(
  file: string,
  args: readonly string[],
  platform: NodeJS.Platform = process.platform,
  comspec = process.env.ComSpec ?? 'cmd.exe',
): SpawnCommand {
  if (!isBatchFile(file, platform)) return { file, args: [...args] };
  const line = [file.replace(CMD_META, '^$1'), ...args.map(quoteForCmd)].join(' ');
  // /d: no AutoRun commands; /s /c "…": cmd strips exactly the outer quotes and runs the rest as is.
  return { file: comspec, args: ['/d', '/s', '/c', `"${line}"`], windowsVerbatimArguments: true };
}

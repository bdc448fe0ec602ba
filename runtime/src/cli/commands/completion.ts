// `srlm completion bash|zsh|fish`: a shell completion script, generated from the command registry (names,
// summaries, and the --options each command's usage text lists), so new commands complete without edits here.
import { UsageError, type CliCommand, type CliIO } from '../command';

const usage = `usage: srlm completion bash|zsh|fish

Prints a completion script for the shell: command names, their options, and .srlm files.

  bash:  echo 'source <(srlm completion bash)' >> ~/.bashrc
  zsh:   echo 'source <(srlm completion zsh)' >> ~/.zshrc       (after compinit)
  fish:  srlm completion fish > ~/.config/fish/completions/srlm.fish`;

interface CommandInfo {
  readonly name: string;
  readonly summary: string;
  readonly options: string[];
}

/** Long options a usage text lists (`--format`, `--no-files`…), plus the two every command takes. */
export function optionsOf(usageText: string): string[] {
  const found = new Set<string>();
  for (const m of usageText.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) found.add(m[0]);
  found.add('--help');
  return [...found];
}

const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(cmds: readonly CommandInfo[]): string {
  const cases = cmds.map((c) => `    ${c.name}) opts=${shellWord(c.options.join(' '))} ;;`).join('\n');
  return `# srlm completion for bash: source <(srlm completion bash)
_srlm() {
  local cur=\${COMP_WORDS[COMP_CWORD]} opts=''
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${shellWord(['help', ...cmds.map((c) => c.name), '--help', '--version'].join(' '))} -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
    help) COMPREPLY=($(compgen -W ${shellWord(cmds.map((c) => c.name).join(' '))} -- "$cur")); return ;;
    completion) COMPREPLY=($(compgen -W 'bash zsh fish' -- "$cur")); return ;;
${cases}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -o plusdirs -f -X '!*.srlm' -- "$cur"))
  fi
}
complete -o filenames -F _srlm srlm
`;
}

const zshWord = (s: string) => s.replace(/[:\\]/g, '\\$&');

function zsh(cmds: readonly CommandInfo[]): string {
  const described = cmds.map((c) => `    ${shellWord(`${zshWord(c.name)}:${zshWord(c.summary)}`)}`).join('\n');
  const cases = cmds.map((c) => `    ${c.name}) opts=(${c.options.join(' ')}) ;;`).join('\n');
  return `#compdef srlm
# srlm completion for zsh: source <(srlm completion zsh), after compinit
_srlm() {
  local -a cmds opts
  cmds=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'srlm command' cmds
    return
  fi
  case $words[2] in
    help) _describe 'srlm command' cmds; return ;;
    completion) compadd bash zsh fish; return ;;
${cases}
  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- $opts
  else
    _files -g '*.srlm'
  fi
}
compdef _srlm srlm
`;
}

function fish(cmds: readonly CommandInfo[]): string {
  const lines = [
    '# srlm completion for fish: srlm completion fish > ~/.config/fish/completions/srlm.fish',
    'complete -c srlm -f',
    `complete -c srlm -n __fish_use_subcommand -a help -d 'show the help of a command'`,
    `complete -c srlm -n '__fish_seen_subcommand_from help' -a ${shellWord(cmds.map((c) => c.name).join(' '))}`,
    `complete -c srlm -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'`,
  ];
  for (const c of cmds) {
    lines.push(`complete -c srlm -n __fish_use_subcommand -a ${c.name} -d ${shellWord(c.summary)}`);
    for (const o of c.options)
      lines.push(`complete -c srlm -n '__fish_seen_subcommand_from ${c.name}' -l ${o.slice(2)}`);
  }
  lines.push(
    `complete -c srlm -n 'not __fish_use_subcommand; and not __fish_seen_subcommand_from help completion' -k -a '(__fish_complete_suffix .srlm)'`,
  );
  return lines.join('\n') + '\n';
}

const SHELLS = { bash, zsh, fish } as const;

export const completionCommand: CliCommand = {
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh, fish)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const [shell, ...extra] = argv;
    if (!shell) throw new UsageError('name a shell: bash, zsh or fish');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (!(shell in SHELLS)) throw new UsageError(`unknown shell '${shell}'; expected bash, zsh or fish`);
    // The registry lists this command too; loaded here, not at the top, because it imports this module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { commands } = require('../registry') as typeof import('../registry');
    const infos = commands.map((c) => ({ name: c.name, summary: c.summary, options: optionsOf(c.usage) }));
    io.stdout.write(SHELLS[shell as keyof typeof SHELLS](infos));
    return 0;
  },
};

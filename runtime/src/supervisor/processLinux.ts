// Linux: everything from /proc, and POSIX process groups (the engine is launched as a session leader).
import type { EngineIdentity, OsFacts, ProcessInfo, ProcessPlatform } from './processPlatform';
import { posixStop, posixLeftovers } from './processPs';

/**
 * Fields of /proc/<pid>/stat after the command name, which is parenthesised and may hold spaces or ')': split
 * after the last ')'. [0] is field 3 (state), [2] field 5 (process group), [19] field 22 (start time in clock
 * ticks since boot).
 */
export function parseProcStat(stat: string): { state: string; group: number; start: string } | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const group = Number(rest[2]);
  if (rest.length < 20 || !Number.isSafeInteger(group) || !rest[19]) return undefined;
  return { state: rest[0]!, group, start: rest[19] };
}

export function linuxPlatform(facts: OsFacts): ProcessPlatform {
  const info = (pid: number | 'self'): ProcessInfo | undefined => {
    const stat = facts.readFile(`/proc/${pid}/stat`);
    const s = stat === undefined ? undefined : parseProcStat(stat);
    if (!s) return undefined;
    const cmdline = facts.readFile(`/proc/${pid}/cmdline`);
    return {
      start: s.start,
      zombie: s.state === 'Z',
      group: s.group,
      argv: cmdline === undefined ? undefined : cmdline.split('\0'),
    };
  };
  return {
    name: 'linux',
    info: (pid) => info(pid),
    ownGroup: () => info('self')?.group,
    stop: (e: EngineIdentity, kind) => posixStop(facts, info(e.pid), e, kind),
    killLeftovers: (e) => posixLeftovers(facts, e),
  };
}

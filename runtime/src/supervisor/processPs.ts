// macOS and the BSDs (and a Linux without /proc): `ps` for identity, POSIX process groups for stopping, as on
// Linux. `ps -o command` joins the arguments with spaces, so the engine check reads a string, not an argv.
import {
  sendSignal,
  type EngineIdentity,
  type OsFacts,
  type ProcessInfo,
  type ProcessPlatform,
  type StopKind,
} from './processPlatform';

/** `lstart` is always five words in the C locale: "Wed Dec  2 11:43:37 2026". */
const PS_LINE = /^\s*(\w{3}\s+\w{3}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s+(\S+)\s+(\d+)\s?(.*)$/;

/** The columns below, for one process; the start time is kept exactly as ps prints it (run.json holds it so). */
export const PS_ARGS = (pid: number) => [
  '-ww',
  '-o',
  'lstart=',
  '-o',
  'stat=',
  '-o',
  'pgid=',
  '-o',
  'command=',
  '-p',
  String(pid),
];

export function parsePsLine(out: string): ProcessInfo | undefined {
  const m = PS_LINE.exec(out.split('\n').find((l) => l.trim() !== '') ?? '');
  if (!m) return undefined;
  return { start: m[1]!, zombie: m[2]!.startsWith('Z'), group: Number(m[3]), command: m[4]! };
}

/** POSIX stop: the engine's group when it leads one (it is launched detached, so it does), else the engine alone. */
export function posixStop(facts: OsFacts, info: ProcessInfo | undefined, e: EngineIdentity, kind: StopKind): boolean {
  const signal = kind === 'force' ? 'SIGKILL' : 'SIGTERM';
  if (info !== undefined && info.group !== e.pid) return sendSignal(facts, e.pid, signal);
  return sendSignal(facts, -e.pid, signal);
}

/**
 * SIGKILL to what is left of the engine's group. The kernel does not reuse a pid while a group of that id
 * exists, so a surviving group is the engine's.
 */
export function posixLeftovers(facts: OsFacts, e: EngineIdentity): boolean {
  return sendSignal(facts, -e.pid, 'SIGKILL');
}

export function psPlatform(facts: OsFacts, name = 'darwin'): ProcessPlatform {
  const info = (pid: number): ProcessInfo | undefined => {
    const out = facts.run('ps', PS_ARGS(pid));
    return out === undefined ? undefined : parsePsLine(out);
  };
  return {
    name,
    info,
    ownGroup: () => info(facts.pid)?.group,
    stop: (e, kind) => posixStop(facts, info(e.pid), e, kind),
    killLeftovers: (e) => posixLeftovers(facts, e),
  };
}

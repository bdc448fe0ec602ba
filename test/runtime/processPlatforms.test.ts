// Issue 15, every desktop platform: each operating system's process code path with injected facts (the /proc
// files, `ps` and PowerShell output, signals), so Linux CI runs the macOS and Windows paths too: parsing, the
// stop command sequence, and the guarantee that an identity mismatch stops nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isProcessAlive,
  killEngineLeftovers,
  processPlatform,
  processStartTime,
  refuseSignal,
  runsEngineOf,
  signalEngine,
  UnsafeSignalError,
  type EngineIdentity,
} from '../../runtime/src/supervisor/process';
import { parseProcStat } from '../../runtime/src/supervisor/processLinux';
import type { OsFacts } from '../../runtime/src/supervisor/processPlatform';
import { parsePsLine } from '../../runtime/src/supervisor/processPs';
import { parseCimOutput, splitWindowsCommandLine } from '../../runtime/src/supervisor/processWin32';

interface Fake {
  facts: OsFacts;
  /** Every command run, signal sent and file written, in order. */
  calls: string[];
}

/** A system with the given live pids; `run` answers commands, `files` are readable files. */
function fakeSystem(o: {
  alive: number[];
  run?: (file: string, args: readonly string[]) => string | undefined;
  files?: Record<string, string>;
  pid?: number;
}): Fake {
  const calls: string[] = [];
  const facts: OsFacts = {
    pid: o.pid ?? 4242,
    readFile: (f) => o.files?.[f],
    run(file, args) {
      calls.push(`run ${file} ${args.join(' ')}`);
      return o.run?.(file, args);
    },
    kill(pid, signal) {
      if (signal !== 0) calls.push(`kill ${pid} ${signal}`);
      if (!o.alive.includes(Math.abs(pid))) throw Object.assign(new Error('ESRCH'), { code: 'ESRCH' });
    },
    writeFile: (file, text) => void calls.push(`write ${file} ${text.trim() ? '(request)' : ''}`),
  };
  return { facts, calls };
}

const stops = (calls: string[]) => calls.filter((c) => !c.startsWith('run ps') && !c.includes('powershell'));

describe('Linux: /proc', () => {
  const engineArgv = ['/venv/bin/python', '-m', 'srlm_engine', 'run', '--plan', '/w/runs/r1/plan.json', '--run-dir'];
  const stat = (state: string, group: number, start: string) =>
    `777 (py (th) x) ${state} 1 ${group} ${group} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${start} 0 0`;
  const linux = (files: Record<string, string>) => {
    const f = fakeSystem({ alive: [777], files: { '/proc/self/stat': stat('S', 100, '5'), ...files } });
    return { ...f, p: processPlatform('linux', f.facts, true) };
  };

  it('parses stat with a command name holding spaces and parentheses', () => {
    assert.deepEqual(parseProcStat(stat('Z', 777, '98765')), { state: 'Z', group: 777, start: '98765' });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  it('stops the engine’s group; a forged start time or another program stops nothing', () => {
    const e: EngineIdentity = { pid: 777, pidStart: '98765', runDir: '/w/runs/r1' };
    const ok = linux({
      '/proc/777/stat': stat('S', 777, '98765'),
      '/proc/777/cmdline': [...engineArgv, '/w/runs/r1'].join('\0'),
    });
    assert.equal(processStartTime(777, ok.p), '98765');
    assert.equal(refuseSignal(e, ok.p, ok.facts), undefined);
    assert.equal(signalEngine(e, 'SIGTERM', ok.p, ok.facts), true);
    assert.equal(signalEngine(e, 'SIGKILL', ok.p, ok.facts), true);
    assert.deepEqual(ok.calls, ['kill -777 SIGTERM', 'kill -777 SIGKILL']);

    const reused = linux({
      '/proc/777/stat': stat('S', 777, '11111'),
      '/proc/777/cmdline': [...engineArgv, '/w/runs/r1'].join('\0'),
    });
    assert.throws(() => signalEngine(e, 'SIGTERM', reused.p, reused.facts), UnsafeSignalError);
    const other = linux({ '/proc/777/stat': stat('S', 777, '98765'), '/proc/777/cmdline': 'sleep\u0000120' });
    assert.match(refuseSignal(e, other.p, other.facts)!, /is not the engine of r1 \(command: sleep 120\)/);
    assert.deepEqual([...reused.calls, ...other.calls], []);
  });

  it('an engine that does not lead its group is signalled alone; a zombie is dead', () => {
    const e: EngineIdentity = { pid: 777, pidStart: '1', runDir: '/w/runs/r1' };
    const f = linux({
      '/proc/777/stat': stat('S', 500, '1'),
      '/proc/777/cmdline': [...engineArgv, '/w/runs/r1'].join('\0'),
    });
    assert.equal(signalEngine(e, 'SIGTERM', f.p, f.facts), true);
    assert.deepEqual(f.calls, ['kill 777 SIGTERM']);
    const z = linux({ '/proc/777/stat': stat('Z', 777, '1') });
    assert.equal(isProcessAlive(777, '1', z.p, z.facts), false);
  });
});

describe('macOS: ps and POSIX process groups', () => {
  const lstart = 'Wed Dec  2 11:43:37 2026';
  const engineLine = (runDir: string, start = lstart) =>
    `${start}     Ss     777 /Library/Frameworks/Python.framework/Versions/3.12/bin/python3 -m srlm_engine run --plan ${runDir}/plan.json --run-dir ${runDir} --resume\n`;
  const mac = (psOut: (pid: number) => string | undefined, alive = [777]) => {
    const f = fakeSystem({
      alive,
      run: (file, args) => (file === 'ps' ? psOut(Number(args[args.length - 1])) : undefined),
    });
    return { ...f, p: processPlatform('darwin', f.facts) };
  };

  it('parses `ps -o lstart=,stat=,pgid=,command=` and keeps the start time as ps prints it', () => {
    const info = parsePsLine(engineLine('/Users/a b/runs/r1'))!;
    assert.equal(info.start, lstart);
    assert.equal(info.zombie, false);
    assert.equal(info.group, 777);
    assert.match(info.command!, /^\/Library\/.* --run-dir \/Users\/a b\/runs\/r1 --resume$/);
    assert.equal(parsePsLine(`${lstart}  Z+  12 (python3)`)!.zombie, true);
    assert.equal(parsePsLine(''), undefined);
  });

  it('asks ps for exactly one pid, without a shell, and stops the group with SIGTERM then SIGKILL', () => {
    const runDir = '/Users/a b/.srlm/runs/demo-20261202-1';
    const f = mac((pid) => (pid === 777 ? engineLine(runDir) : `${lstart}  Ss  4242 node srlm.js\n`));
    const e: EngineIdentity = { pid: 777, pidStart: lstart, runDir };
    assert.equal(signalEngine(e, 'SIGTERM', f.p, f.facts), true);
    assert.equal(signalEngine(e, 'SIGKILL', f.p, f.facts), true);
    assert.ok(f.calls.includes('run ps -ww -o lstart= -o stat= -o pgid= -o command= -p 777'), f.calls.join('\n'));
    assert.deepEqual(stops(f.calls), ['kill -777 SIGTERM', 'kill -777 SIGKILL']);
  });

  it('refuses a recycled pid, another program, another run’s folder, and its own group', () => {
    const runDir = '/Users/a b/runs/r1';
    const e: EngineIdentity = { pid: 777, pidStart: lstart, runDir };
    const cases: [string, string, RegExp][] = [
      ['recycled', engineLine(runDir, 'Thu Dec  3 09:00:00 2026'), /now a different process/],
      ['other program', `${lstart}  S  777 /bin/sleep 120\n`, /not the engine of r1 \(command: \/bin\/sleep 120\)/],
      ['other run', engineLine('/Users/a b/runs/r1-evil'), /not the engine of r1/],
    ];
    for (const [what, out, re] of cases) {
      const f = mac((pid) => (pid === 777 ? out : `${lstart}  Ss  4242 node srlm.js\n`));
      assert.match(refuseSignal(e, f.p, f.facts) ?? '', re, what);
      assert.throws(() => signalEngine(e, 'SIGTERM', f.p, f.facts), UnsafeSignalError, what);
      assert.deepEqual(stops(f.calls), [], `${what}: nothing signalled`);
    }
    const own = mac(() => `${lstart}  Ss  777 node srlm.js\n`);
    assert.match(refuseSignal(e, own.p, own.facts) ?? '', /this process or its group/);
    const unreadable = mac(() => undefined);
    assert.match(refuseSignal(e, unreadable.p, unreadable.facts) ?? '', /cannot be read/);
    const gone = mac(() => undefined, []);
    assert.equal(refuseSignal(e, gone.p, gone.facts), undefined, 'gone: nothing to refuse, nothing to stop');
  });

  it('sweeps the dead engine’s group, never a live pid', () => {
    const e: EngineIdentity = { pid: 777, pidStart: lstart, runDir: '/r/r1' };
    const dead = fakeSystem({ alive: [], run: () => undefined });
    assert.equal(killEngineLeftovers(e, processPlatform('darwin', dead.facts), dead.facts), false);
    assert.deepEqual(
      dead.calls.filter((c) => c.startsWith('kill')),
      ['kill -777 SIGKILL'],
    );
    const live = mac(() => engineLine('/r/r1'));
    assert.equal(killEngineLeftovers(e, live.p, live.facts), false);
    assert.deepEqual(stops(live.calls), []);
  });
});

describe('Windows: CIM through PowerShell, a stop request, taskkill', () => {
  const created = '2026-12-02T11:43:37.1234560Z';
  const runDir = 'C:\\Users\\A B\\.srlm\\runs\\demo-20261202-1';
  const engineCmd = `"C:\\Program Files\\Python312\\python.exe" -m srlm_engine run --plan "${runDir}\\plan.json" --run-dir "${runDir}"`;
  const win = (out: string | undefined, alive = [777]) => {
    const f = fakeSystem({ alive, run: (file) => (file === 'powershell.exe' ? out : '') });
    return { ...f, p: processPlatform('win32', f.facts) };
  };

  it('splits command lines as the C runtime does: quotes, spaces, drive letters, backslashes', () => {
    assert.deepEqual(splitWindowsCommandLine(engineCmd), [
      'C:\\Program Files\\Python312\\python.exe',
      '-m',
      'srlm_engine',
      'run',
      '--plan',
      `${runDir}\\plan.json`,
      '--run-dir',
      runDir,
    ]);
    assert.deepEqual(splitWindowsCommandLine('a\\\\\\"b "c d\\\\" C:\\dir\\ e'), ['a\\"b', 'c d\\', 'C:\\dir\\', 'e']);
    assert.deepEqual(splitWindowsCommandLine('"say ""hi""" x'), ['say "hi"', 'x']);
    assert.deepEqual(splitWindowsCommandLine('  '), []);
  });

  it('parses the creation date and command line PowerShell prints (CRLF)', () => {
    const info = parseCimOutput(`${created}\r\n${engineCmd}\r\n`)!;
    assert.equal(info.start, created);
    assert.equal(info.group, undefined);
    assert.equal(info.argv![info.argv!.length - 1], runDir);
    assert.deepEqual(parseCimOutput(`${created}\r\n\r\n`)!.argv, [], 'another user’s process: no command line');
    assert.equal(parseCimOutput(''), undefined);
  });

  it('a clean stop writes the stop request; a forced one is taskkill /T /F; PowerShell is asked for one pid', () => {
    const f = win(`${created}\r\n${engineCmd}\r\n`);
    const e: EngineIdentity = { pid: 777, pidStart: created, runDir };
    assert.equal(signalEngine(e, 'SIGTERM', f.p, f.facts), true);
    assert.equal(signalEngine(e, 'SIGKILL', f.p, f.facts), true);
    assert.deepEqual(stops(f.calls), [`write ${runDir}\\stop.request (request)`, 'run taskkill.exe /PID 777 /T /F']);
    const ps = f.calls.find((c) => c.includes('powershell'))!;
    assert.match(ps, /^run powershell\.exe -NoProfile -NonInteractive -Command .*ProcessId=777/);
    assert.doesNotMatch(ps.slice(ps.indexOf('-Command')), /"/, 'no double quotes inside the one argument');
    assert.equal(killEngineLeftovers(e, f.p, f.facts), false);
  });

  it('a recycled pid, another program, no recorded start time or an unreadable one: nothing is stopped', () => {
    const cases: [string, string | undefined, EngineIdentity, RegExp][] = [
      [
        'recycled',
        `2026-12-03T08:00:00.0000000Z\r\n${engineCmd}`,
        { pid: 777, pidStart: created, runDir },
        /different process/,
      ],
      [
        'other program',
        `${created}\r\nC:\\Windows\\notepad.exe`,
        { pid: 777, pidStart: created, runDir },
        /not the engine/,
      ],
      ['other user', `${created}\r\n`, { pid: 777, pidStart: created, runDir }, /not the engine/],
      [
        'no start recorded',
        `${created}\r\n${engineCmd}`,
        { pid: 777, pidStart: undefined, runDir },
        /records no start time/,
      ],
      ['PowerShell missing', undefined, { pid: 777, pidStart: created, runDir }, /cannot be read/],
    ];
    for (const [what, out, e, re] of cases) {
      const f = win(out);
      assert.throws(
        () => signalEngine(e, 'SIGKILL', f.p, f.facts),
        (err: Error) => err instanceof UnsafeSignalError && re.test(err.message),
        what,
      );
      assert.deepEqual(stops(f.calls), [], `${what}: nothing stopped`);
    }
  });

  it('liveness reuses a recent answer; a stop asks again', () => {
    const f = win(`${created}\r\n${engineCmd}\r\n`);
    assert.equal(isProcessAlive(777, created, f.p, f.facts), true);
    assert.equal(isProcessAlive(777, created, f.p, f.facts), true);
    assert.equal(f.calls.length, 1);
    refuseSignal({ pid: 777, pidStart: created, runDir }, f.p, f.facts);
    assert.equal(f.calls.length, 2);
    const gone = win(undefined, []);
    assert.equal(isProcessAlive(777, created, gone.p, gone.facts), false);
  });
});

describe('choosing the implementation', () => {
  it('follows process.platform, with ps where Linux has no /proc', () => {
    const { facts } = fakeSystem({ alive: [] });
    assert.equal(processPlatform('win32', facts).name, 'win32');
    assert.equal(processPlatform('darwin', facts).name, 'darwin');
    assert.equal(processPlatform('linux', facts, true).name, 'linux');
    assert.equal(processPlatform('linux', facts, false).name, 'linux-ps');
    assert.equal(processPlatform('freebsd', facts).name, 'freebsd');
  });

  it('reads argv and joined command lines alike, with folders holding spaces', () => {
    const argv = ['py', '-m', 'srlm_engine', 'run', '--run-dir', 'D:\\runs x\\r1'];
    assert.ok(runsEngineOf({ start: '1', zombie: false, argv }, 'D:\\runs x\\r1'));
    assert.ok(
      runsEngineOf({ start: '1', zombie: false, command: 'py -m srlm_engine run --run-dir /a b/r1' }, '/a b/r1'),
    );
    assert.ok(
      !runsEngineOf({ start: '1', zombie: false, command: 'py -m srlm_engine_x run --run-dir /a/r1' }, '/a/r1'),
    );
    assert.ok(
      !runsEngineOf({ start: '1', zombie: false, command: 'py -m srlm_engine run --run-dir /a/r1 x' }, '/a/r1'),
    );
  });
});

// The Python a new environment is created from: the one the user named, else the newest python3.x on PATH that
// is 3.10 or newer and can create virtual environments. Pure choice over probes the caller ran.
import * as path from 'node:path';
import { MIN_PYTHON } from '../supervisor/python';

/** Prints {"version": "3.11.7", "venv": true, "ensurepip": true}. Runs on any Python 3 (no f-strings). */
export const BASE_PYTHON_PROBE = [
  'import json, sys, importlib.util as u',
  'def has(m):',
  '    try:',
  '        return u.find_spec(m) is not None',
  '    except Exception:',
  '        return False',
  'print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "venv": has("venv"), "ensurepip": has("ensurepip")}))',
].join('\n');

export interface BasePythonProbe {
  readonly python: string;
  /** Undefined when the probe did not run (not a Python, crashed). */
  readonly version?: string;
  readonly venv?: boolean;
  readonly ensurepip?: boolean;
}

export function parseBaseProbe(python: string, stdout: string): BasePythonProbe {
  try {
    const o = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
    return { python, version: String(o.version), venv: o.venv === true, ensurepip: o.ensurepip === true };
  } catch {
    return { python };
  }
}

/** Interpreter names looked for on PATH, newest first. */
export function basePythonNames(platform: NodeJS.Platform = process.platform): string[] {
  const minors = [14, 13, 12, 11, 10].map((m) => `python3.${m}`);
  return platform === 'win32' ? ['python.exe', 'python3.exe'] : [...minors, 'python3', 'python'];
}

export function versionAtLeast(version: string, min: readonly number[] = MIN_PYTHON): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > min[0]! || (a === min[0] && b >= min[1]!);
}

export type BasePythonPick = { python: string; version: string } | { error: string };

/** The first probe that fits, or one message saying why none does (the best near miss named). */
export function pickBasePython(probes: readonly BasePythonProbe[], explicit: boolean): BasePythonPick {
  const need = MIN_PYTHON.join('.');
  for (const p of probes) {
    if (p.version && versionAtLeast(p.version) && p.venv && p.ensurepip)
      return { python: p.python, version: p.version };
  }
  const noVenv = probes.find((p) => p.version && versionAtLeast(p.version));
  if (noVenv) {
    const mm = noVenv.version!.split('.').slice(0, 2).join('.');
    return {
      error: `${noVenv.python} (Python ${noVenv.version}) cannot create virtual environments: its venv/ensurepip module is missing. On Debian or Ubuntu: sudo apt install python${mm}-venv; then run the set-up again.`,
    };
  }
  const old = probes.find((p) => p.version);
  if (old)
    return {
      error: `the training engine needs Python ${need} or newer; ${explicit ? 'the chosen' : 'the only'} Python found is ${old.version} (${old.python}). Install Python ${need}+ (python.org, or your package manager) and run the set-up again${explicit ? '' : ', or pick an interpreter'}.`,
    };
  if (probes.length > 0)
    return {
      error: `${probes.map((p) => path.basename(p.python)).join(', ')} did not run as Python (${probes[0]!.python}).`,
    };
  return {
    error: `no Python ${need} or newer found on PATH. Install Python ${need}+ (python.org, or your package manager) and run the set-up again, or pick an interpreter with the Python extension.`,
  };
}

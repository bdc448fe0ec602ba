// The set-up marker: what `srlm setup` installed, and where. A second run compares it with what this installation
// wants and does only the missing steps: nothing when all is there, only the engine after an extension update
// that brings a new engine wheel. Written last, so an interrupted set-up is redone, never trusted.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MARKER_FILE = 'setup.json';
export const MARKER_VERSION = 1;

export interface TorchWant {
  /** `cpu` or a CUDA tag (torchBuild.ts). */
  readonly tag: string;
  /** pip requirement, e.g. `torch>=2.6,<3` or `torch==2.13.0`. */
  readonly requirement: string;
  readonly indexUrl: string | null;
}

export interface SetupMarker {
  readonly version: typeof MARKER_VERSION;
  /** The interpreter runs use. */
  readonly python: string;
  /** true: a virtual environment that srlm setup created (and may recreate); false: the user's interpreter. */
  readonly managed: boolean;
  readonly pythonVersion: string;
  readonly torch: TorchWant & { readonly installed: string; readonly cuda: string | null };
  readonly engine: { readonly wheel: string; readonly sha256: string; readonly version: string };
  readonly finished: string;
}

export interface SetupWant {
  readonly python: string;
  readonly managed: boolean;
  readonly torch: TorchWant;
  readonly engine: { readonly wheel: string; readonly sha256: string };
}

export type SetupStep = 'create-env' | 'install-torch' | 'install-engine' | 'verify';

export interface SetupPlan {
  readonly steps: readonly SetupStep[];
  /** Why each install step is there, for the progress messages. */
  readonly why: Partial<Record<SetupStep, string>>;
  /** The torch install must replace an installed build (CPU ↔ CUDA keep the same version number). */
  readonly replaceTorch: boolean;
}

/** The steps that bring the environment from what the marker says to what is wanted. */
export function planSetup(marker: SetupMarker | undefined, want: SetupWant, pythonExists: boolean): SetupPlan {
  const steps: SetupStep[] = [];
  const why: Partial<Record<SetupStep, string>> = {};
  if (!pythonExists) {
    if (!want.managed) throw new Error(`${want.python} does not exist`);
    return {
      steps: ['create-env', 'install-torch', 'install-engine', 'verify'],
      why: { 'create-env': 'no environment yet' },
      replaceTorch: false,
    };
  }
  const same = marker !== undefined && marker.python === want.python && marker.managed === want.managed;
  let replaceTorch = false;
  if (!same) {
    steps.push('install-torch', 'install-engine');
    why['install-torch'] = marker ? 'another interpreter was set up before' : 'not set up yet';
  } else {
    const t = marker.torch;
    if (t.tag !== want.torch.tag || t.requirement !== want.torch.requirement || t.indexUrl !== want.torch.indexUrl) {
      steps.push('install-torch');
      why['install-torch'] =
        t.tag !== want.torch.tag
          ? `switching PyTorch from ${t.tag} to ${want.torch.tag}`
          : 'the PyTorch settings changed';
      replaceTorch = t.tag !== want.torch.tag;
    }
    if (marker.engine.sha256 !== want.engine.sha256) {
      steps.push('install-engine');
      why['install-engine'] =
        marker.engine.wheel === want.engine.wheel
          ? 'the engine wheel changed'
          : `${marker.engine.wheel} → ${want.engine.wheel}`;
    }
  }
  steps.push('verify');
  return { steps, why, replaceTorch };
}

export function readMarker(envDir: string): SetupMarker | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(envDir, MARKER_FILE), 'utf8')) as SetupMarker;
    return m && m.version === MARKER_VERSION && typeof m.python === 'string' && m.torch && m.engine ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic: a crash leaves the old marker or none, never half of one. */
export function writeMarker(envDir: string, marker: SetupMarker): void {
  const file = path.join(envDir, MARKER_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(marker, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** The interpreter a finished set-up recorded, when it is still there. */
export function setUpPython(envDir: string): string | undefined {
  const m = readMarker(envDir);
  return m && fs.existsSync(m.python) ? m.python : undefined;
}

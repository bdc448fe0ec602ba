// Which Python runs the engine. Order: the srlm.pythonPath setting when set (an explicit choice for this
// extension wins), else the environment "SRLM: Set Up Python Environment" made (its marker in global storage),
// else the interpreter selected in the Python extension (through its API, activated only now, never at our
// activation), else undefined — the runtime then searches SRLM_PYTHON, .venv folders and PATH.
import * as vscode from 'vscode';
import { settings } from './config';
import { setUpPython } from '../../runtime/src/setup/marker';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

export interface PythonChoice {
  python: string | undefined;
  origin: 'setting' | 'setup' | 'python-extension' | 'runtime-search';
}

let setupEnvDir: string | undefined;

/** Where the set-up command keeps its environment (set once at activation). */
export function useSetupEnvDir(dir: string): void {
  setupEnvDir = dir;
}

/** The interpreter selected in the Python extension, when it is installed and has one; never throws. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    const active = envs?.getActiveEnvironmentPath(resource);
    if (!envs || !active) return undefined;
    const resolved = await envs.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath;
  } catch {
    // The Python extension failed or has no selection.
    return undefined;
  }
}

export async function choosePython(resource?: vscode.Uri): Promise<PythonChoice> {
  const explicit = settings(resource).pythonPath;
  if (explicit) return { python: explicit, origin: 'setting' };
  const setUp = setupEnvDir ? setUpPython(setupEnvDir) : undefined;
  if (setUp) return { python: setUp, origin: 'setup' };
  const selected = await pythonExtensionInterpreter(resource);
  if (selected) return { python: selected, origin: 'python-extension' };
  return { python: undefined, origin: 'runtime-search' };
}

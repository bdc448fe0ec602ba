// Which Python runs the engine. Order: the srlm.pythonPath setting when set (an explicit choice for this
// extension wins), else the interpreter selected in the Python extension (through its API, activated only
// now, never at our activation), else undefined — the runtime then searches SRLM_PYTHON, .venv folders and PATH.
import * as vscode from 'vscode';
import { settings } from './config';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

export interface PythonChoice {
  python: string | undefined;
  origin: 'setting' | 'python-extension' | 'runtime-search';
}

export async function choosePython(resource?: vscode.Uri): Promise<PythonChoice> {
  const explicit = settings(resource).pythonPath;
  if (explicit) return { python: explicit, origin: 'setting' };
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const envs = api?.environments;
      const active = envs?.getActiveEnvironmentPath(resource);
      if (envs && active) {
        const resolved = await envs.resolveEnvironment(active);
        const exe = resolved?.executable?.uri?.fsPath;
        if (exe) return { python: exe, origin: 'python-extension' };
      }
    } catch {
      // The Python extension failed or has no selection: fall through to the runtime's own search.
    }
  }
  return { python: undefined, origin: 'runtime-search' };
}

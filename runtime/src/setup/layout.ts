// Where the managed environment lives. No process or pip here: the run supervisor's Python search reads it too.
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the managed environment lives when no folder is given: SRLM_ENV_DIR, else the platform's data folder. */
export function defaultEnvDir(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  home = os.homedir(),
): string {
  if (env.SRLM_ENV_DIR) return env.SRLM_ENV_DIR;
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'win32')
    return p.join(env.LOCALAPPDATA ?? p.join(home, 'AppData', 'Local'), 'srlm-studio', 'python');
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'srlm-studio', 'python');
  return p.join(env.XDG_DATA_HOME || p.join(home, '.local', 'share'), 'srlm-studio', 'python');
}

/** The interpreter of the virtual environment `srlm setup` manages in `envDir`. */
export function managedPython(envDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32'
    ? path.win32.join(envDir, 'venv', 'Scripts', 'python.exe')
    : path.posix.join(envDir, 'venv', 'bin', 'python');
}

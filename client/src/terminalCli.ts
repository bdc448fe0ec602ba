// `srlm` in VS Code's integrated terminal: small launcher scripts that run the CLI this extension carries
// (dist/srlm.js) on the extension host's own executable, written to a folder that the extension prepends to the
// terminal's PATH (as the Python extension does for its environments). No `vscode` here: tests run the scripts.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const NOTE = "Written by SRLM Studio: runs the srlm CLI that the extension carries, on VS Code's own runtime.";

/** POSIX sh: single quotes keep every character but the quote itself. */
const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** cmd.exe: `%` would expand a variable even inside quotes; paths cannot contain `"`. */
const cmdQuote = (s: string) => `"${s.replace(/%/g, '%%')}"`;

export function launcherScripts(execPath: string, cliPath: string): { sh: string; cmd: string } {
  return {
    sh: `#!/bin/sh\n# ${NOTE}\nELECTRON_RUN_AS_NODE=1 exec ${shQuote(execPath)} ${shQuote(cliPath)} "$@"\n`,
    cmd: `@echo off\r\nrem ${NOTE}\r\nsetlocal\r\nset ELECTRON_RUN_AS_NODE=1\r\n${cmdQuote(execPath)} ${cmdQuote(cliPath)} %*\r\n`,
  };
}

async function writeIfChanged(file: string, text: string, mode: number): Promise<boolean> {
  const old = await readFile(file, 'utf8').catch(() => undefined);
  if (old === text) return false;
  await writeFile(file, text, { mode });
  await chmod(file, mode);
  return true;
}

/**
 * Writes `srlm` and `srlm.cmd` into `binDir` (only when they changed: a VS Code update moves its executable, an
 * extension update moves the CLI) and returns the folder to prepend to PATH.
 */
export async function installLaunchers(binDir: string, execPath: string, cliPath: string): Promise<string> {
  await mkdir(binDir, { recursive: true });
  const { sh, cmd } = launcherScripts(execPath, cliPath);
  await writeIfChanged(path.join(binDir, 'srlm'), sh, 0o755);
  await writeIfChanged(path.join(binDir, 'srlm.cmd'), cmd, 0o644);
  return binDir;
}

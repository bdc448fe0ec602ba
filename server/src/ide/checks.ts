// The environment checks as the CLI and the plan compiler run them (`srlm check`, `srlm run`): the one module of
// the IDE layer that runtime/src may import (eslint.config.mjs). The checks themselves are `environmentChecks` in
// diagnostics.ts — the list the language server runs — and the environment is built here from a process
// environment as the server builds its own, so all three judge a file alike.
import { pathToFileURL } from 'node:url';
import { analyze } from '../core';
import { IdeDocument } from './document';
import { IdeEnv } from './env';
import { detectGpu } from './gpu';

export { checkDocument, environmentChecks } from './diagnostics';
export { stageEstimate } from './estimates';
export { IdeDocument, IdeEnv };

/** A .srlm file's text analysed as the document the checks read (relative paths resolve beside `file`). */
export function documentOf(file: string, text: string): IdeDocument {
  return new IdeDocument(pathToFileURL(file).toString(), analyze(text));
}

/**
 * The environment the checks read, as the language server sees it: the same Hugging Face cache (from `vars`:
 * HF_HUB_CACHE, HF_HOME…) and the GPU nvidia-smi reports. The editor's settings have counterparts here:
 * `SRLM_DETECT_GPU=0` skips nvidia-smi (`detectGpu`), `SRLM_GPU_MEMORY_GIB` is the memory to check against
 * without one (`gpuMemoryGiB`).
 */
export async function checkEnvironment(vars: NodeJS.ProcessEnv, workspace: string): Promise<IdeEnv> {
  const env = new IdeEnv(Date.now, vars);
  env.workspaceFolders = [workspace];
  const gib = Number(vars.SRLM_GPU_MEMORY_GIB);
  if (Number.isFinite(gib) && gib > 0) env.gpuMemoryGiBSetting = gib;
  if (vars.SRLM_DETECT_GPU !== '0') env.gpu = await detectGpu();
  return env;
}

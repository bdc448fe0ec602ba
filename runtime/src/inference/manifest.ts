// Locates an ONNX export (written by `python -m srlm_engine.export`) and reads its manifest.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const MANIFEST_FILE = 'srlm_onnx.json';

export interface OnnxManifest {
  readonly format: 'srlm-onnx-kv';
  readonly format_version: number;
  readonly model: string;
  readonly dtype: 'float32';
  readonly num_layers: number;
  readonly num_kv_heads: number;
  readonly head_dim: number;
  readonly vocab_size: number;
  readonly input_names: string[];
  readonly output_names: string[];
  readonly eos_token_ids: number[];
  readonly max_abs_diff: number | null;
  readonly source?: string;
}

export class ExportNotFoundError extends Error {
  constructor(readonly checkpoint: string) {
    super(
      `${checkpoint}: no ONNX export found (looked for ${MANIFEST_FILE} here and in onnx/). ` +
        `Export it with: python -m srlm_engine.export "${checkpoint}"`,
    );
  }
}

/** The folder holding the export: the checkpoint's `onnx/` subfolder, or the given folder itself. */
export function findExportDir(checkpointOrExport: string): string {
  const dir = path.resolve(checkpointOrExport);
  for (const candidate of [path.join(dir, 'onnx'), dir]) {
    if (existsSync(path.join(candidate, MANIFEST_FILE))) return candidate;
  }
  throw new ExportNotFoundError(dir);
}

export function hasExport(checkpointOrExport: string): boolean {
  try {
    findExportDir(checkpointOrExport);
    return true;
  } catch {
    return false;
  }
}

export function readManifest(exportDir: string): OnnxManifest {
  const file = path.join(exportDir, MANIFEST_FILE);
  const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<OnnxManifest>;
  if (data.format !== 'srlm-onnx-kv') throw new Error(`${file}: not an srlm ONNX manifest (format ${data.format})`);
  if (data.format_version !== 1) {
    throw new Error(`${file}: format_version ${data.format_version} is not supported; re-export the checkpoint`);
  }
  const model = path.join(exportDir, data.model ?? 'model.onnx');
  if (!existsSync(model) || !statSync(model).isFile()) throw new Error(`${file}: model file ${model} is missing`);
  return data as OnnxManifest;
}

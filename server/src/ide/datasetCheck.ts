// The dataset check for every form a dataset block's `source` (or older `path`) can take: local files and
// folders of any supported format, and hub datasets found in — or missing from — the Hugging Face cache.
// Text formats are sampled row by row through the core's reader; parquet and arrow by their schema.
import {
  Codes,
  datasetSampleDiagnostics,
  readDatasetSample,
  SAMPLE_ROWS,
  type DatasetSample,
  type HostCheck,
  type RawDiagnostic,
} from '../core';
import type { Span } from '../core/text/lineIndex';
import { datasetRequest, loadParquetRows, locateDataset, schemaColumns } from './datasetSources';
import type { IdeDocument } from './document';
import type { IdeEnv } from './env';
import { SAMPLE_ROWS as SAMPLE_ROWS_IDE } from './workspaceFiles';

/** The command that fetches a pipeline's hub models and datasets, named in the not-in-cache warnings. */
export function pullCommand(doc: IdeDocument): string {
  return `srlm pull ${doc.path ? doc.path.split(/[\\/]/).pop() : 'FILE'}`;
}

export function datasetCheck(doc: IdeDocument, env: IdeEnv): HostCheck {
  return async (ctx) => {
    const out: RawDiagnostic[] = [];
    for (const sym of doc.model.symbols) {
      if (sym.kind !== 'dataset') continue;
      const cfg = ctx.config(sym);
      const req = cfg && datasetRequest(cfg.values);
      if (!cfg || !req) continue;
      const source = req.source;
      const span = ctx.valueSpan(cfg, cfg.values.source !== undefined ? 'source' : 'path') as Span;
      const loc = locateDataset(env, req, doc.dir);
      if (loc.kind === 'hub-missing') {
        out.push({
          info: Codes.datasetNotCached,
          message: `hub dataset '${loc.id}' is not in the Hugging Face cache (${loc.cache}); \`${pullCommand(doc)}\` fetches it before a run`,
          span,
        });
        continue;
      }
      if (loc.kind === 'missing') {
        out.push({
          info: Codes.datasetMissing,
          message: `dataset file '${source}' not found (looked for ${loc.path})`,
          span,
        });
        continue;
      }
      if (loc.kind === 'problem') {
        out.push({ info: Codes.datasetUnreadable, message: loc.message, span });
        continue;
      }
      // Messages name the data as written, with the hub subset and split that were looked at.
      const label =
        loc.where === 'hub-cache'
          ? `${source} (${[req.subset, req.split ?? 'train'].filter(Boolean).join(', ')})`
          : source;
      let sample: DatasetSample | undefined;
      const schema = await schemaColumns(env, loc);
      if (schema && 'problem' in schema) {
        out.push({ info: Codes.datasetUnreadable, message: `${loc.files[0]} ${schema.problem}`, span });
        continue;
      }
      if (schema) {
        // Rows for the checks after this one (truncation, memory) and the editor's estimates.
        if (loc.format === 'parquet') await loadParquetRows(env, loc.files[0]!, SAMPLE_ROWS_IDE);
        sample = { rows: [], columns: schema.columns, errors: [], schema: true };
        if (schema.rows === 0) {
          out.push({ info: Codes.datasetUnreadable, message: `dataset '${label}' has no rows`, span });
          continue;
        }
      } else if (loc.format !== 'parquet' && loc.format !== 'arrow') {
        sample = await readDatasetSample(ctx.host, loc.files[0]!, loc.format, SAMPLE_ROWS);
      }
      if (sample) out.push(...datasetSampleDiagnostics(ctx, sym, cfg, label, span, sample));
    }
    return out;
  };
}

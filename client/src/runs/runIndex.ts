// The runtime's run index (`<runs>/index.json`, written by `srlm runs`, `srlm show` and `srlm run`'s cache
// lookup): one summary per run, keyed by the size and mtime of events.jsonl and run.json. The Runs view uses a
// summary instead of reading a finished run's events when the key still matches, and reads the events only when
// the run is expanded. Read-only here: the extension never writes the index. Free of `vscode`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INDEX_VERSION, type RunSummary } from '../../../runtime/src/store/runSummary';

const FINISHED = new Set(['completed', 'failed', 'stopped']);

export class RunIndexReader {
  private stamp = '';
  private runs: Readonly<Record<string, RunSummary>> = {};

  constructor(readonly root: string) {}

  /**
   * The index's summary of a finished run when it describes the run's files as they are now (`key` as
   * `summaryKey` computes it: `size:mtime` of events.jsonl, `|`, the same of run.json); otherwise undefined.
   */
  get(id: string, key: string): RunSummary | undefined {
    this.reload();
    const s = this.runs[id];
    return s && s.id === id && s.key === key && FINISHED.has(s.status) ? s : undefined;
  }

  /** Re-reads index.json only when its size or mtime changed. */
  private reload(): void {
    const file = path.join(this.root, 'index.json');
    let stamp = '-';
    try {
      const st = fs.statSync(file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      // no index
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    this.runs = {};
    if (stamp === '-') return;
    try {
      const idx = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: number; runs?: Record<string, RunSummary> };
      if (idx.version === INDEX_VERSION && idx.runs && typeof idx.runs === 'object') this.runs = idx.runs;
    } catch {
      // A damaged or half-written index is a cache miss: the runs are read from their events.
    }
  }
}

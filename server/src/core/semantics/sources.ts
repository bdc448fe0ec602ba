// What a `source` string names, from its text alone (the core never touches the file system): a model source
// is a hub id or a local folder; a dataset source is a hub id, a data file or a local folder.

/**
 * A `source` names a local path when it looks like one (`./x`, `../x`, `/x`, `C:\x`, `~`, `~/x`, and `~x`, which
 * no hub id can be: the engine's `expanduser` reads it as user x's home); otherwise it is a hub id. The one
 * rule for the checker, the IDE and the compiler.
 */
export function isLocalSource(source: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:[\\/])/.test(source) || source === '.' || source === '..';
}

/** `~` and `~/…` (or `~\…`) with `home` (the caller's home folder) in place of the `~`; other text as it is. */
export function expandHome(p: string, home: string): string {
  return p === '~' || /^~[\\/]/.test(p) ? home + p.slice(1) : p;
}

/** Data file extensions the engine reads, by format. */
export const DATA_FILE_RE = /\.(jsonl|ndjson|json|csv|parquet|arrow)$/i;

const HUB_ID_RE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/**
 * `file`: ends in a data extension; `local`: a path that is not a hub id (`./data`, `/x/y/z`); `hub`: shaped like
 * a hub id (`openai/gsm8k`). A relative folder shaped like a hub id (`data/gsm8k`) is read from disk when it
 * exists there, as `datasets` does; checks that see the file system (host, compiler, engine) look first.
 */
export function datasetSourceKind(source: string): 'file' | 'local' | 'hub' {
  if (DATA_FILE_RE.test(source)) return 'file';
  if (isLocalSource(source) || !HUB_ID_RE.test(source)) return 'local';
  return 'hub';
}

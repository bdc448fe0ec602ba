// Whether two dataset blocks can read the same rows: what the checker's "eval on training data" warning asks.
import { datasetSpec } from '../schema/blocks';
import { resolvedValue } from '../schema/lookup';
import type { JsonValue } from '../schema/types';
import { datasetSourceKind } from './sources';

interface RowsIdentity {
  /** Where the rows come from before `holdout`: a builtin task and split, or a source, subset and split. */
  readonly origin: string;
  readonly holdout: number | undefined;
  readonly part: string;
}

/** The identity of a dataset's rows from its written values, or undefined when it names no valid origin. */
function rowsIdentity(values: Readonly<Record<string, JsonValue>>): RowsIdentity | undefined {
  const get = (name: string) => resolvedValue(datasetSpec, values, name);
  const split = get('split');
  let origin: string;
  if (typeof values.builtin === 'string') origin = `builtin ${values.builtin} ${String(split)}`;
  else if (typeof values.source === 'string') {
    // `./data/x.jsonl` and `data/x.jsonl/` are one file; a file has one split whatever `split` says.
    const source = values.source.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    const subset = get('subset');
    origin = `source ${source} ${typeof subset === 'string' ? subset : ''} ${datasetSourceKind(values.source) === 'file' ? '' : String(split)}`;
  } else return undefined;
  const holdout = get('holdout');
  return { origin, holdout: typeof holdout === 'number' ? holdout : undefined, part: String(get('part')) };
}

/**
 * True when two dataset blocks may share rows: the same origin, unless both carve the same `holdout` fraction
 * and read different parts of it (the only split of one origin the engine guarantees disjoint). `limit` and
 * `shuffle` pick rows of the same pool, so they do not separate two blocks.
 */
export function mayShareRows(a: Readonly<Record<string, JsonValue>>, b: Readonly<Record<string, JsonValue>>): boolean {
  const x = rowsIdentity(a);
  const y = rowsIdentity(b);
  if (!x || !y || x.origin !== y.origin) return false;
  const disjointParts = x.holdout !== undefined && x.holdout === y.holdout && x.part !== y.part;
  return !disjointParts;
}

// Collects garbage once the server has been idle for a moment after dropping analyses. Opening many files
// churns through short-lived syntax trees; V8 would otherwise keep the grown heap (and its RSS) until memory
// pressure forces a full collection, which an editor waiting on other work never creates.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleCollector {
  /** A request or change arrived: postpone collection. */
  activity(): void;
  /** Analyses were dropped: collect at the next idle moment. */
  dropped(): void;
  dispose(): void;
}

function exposeGc(): (() => void) | undefined {
  try {
    // Setting --expose-gc at run time and reading `gc` from a fresh context reaches the collector without a
    // command-line flag (clients start the server with plain `node`); without it, nothing changes.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export function idleCollector(idleMs = 1500): IdleCollector {
  const gc = exposeGc();
  let pending = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    if (timer) clearTimeout(timer);
    if (!pending || !gc) return;
    timer = setTimeout(() => {
      timer = undefined;
      pending = false;
      gc();
    }, idleMs);
    timer.unref();
  };
  return {
    activity: () => arm(),
    dropped: () => {
      pending = true;
      arm();
    },
    dispose: () => {
      if (timer) clearTimeout(timer);
    },
  };
}

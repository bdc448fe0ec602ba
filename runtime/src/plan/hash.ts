// Content hashes for plans: canonical JSON (sorted keys) so that the same content always gives the same hash,
// and streamed file hashes so that a multi-gigabyte dataset does not sit in memory.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson } from '../../../server/src/core/text/canonicalJson';

export { canonicalJson };

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * SHA-256 of a file's bytes, remembered per (path, size, mtime) for the life of the process, so re-compiling a
 * pipeline on every keystroke or run does not re-read unchanged datasets.
 */
const fileHashes = new Map<string, { key: string; hash: string }>();

export function sha256File(file: string): string {
  const st = fs.statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  const known = fileHashes.get(file);
  if (known?.key === key) return known.hash;
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  const hash = h.digest('hex');
  fileHashes.set(file, { key, hash });
  return hash;
}

/** SHA-256 of a folder's files: their relative paths (sorted) and contents; dot-files (caches, locks) left out. */
export function sha256Tree(dir: string): string {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) files.push(r);
    }
  };
  walk('');
  files.sort();
  return sha256(files.map((f) => `${f}\0${sha256File(path.join(dir, f))}\n`).join(''));
}

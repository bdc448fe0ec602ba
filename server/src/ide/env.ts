// The workspace as the IDE layer sees it: folders, the GPU, settings, and cached reads of the files that
// .srlm documents point at. Reads are synchronous and bounded (completion and hover must answer in
// milliseconds) and cached until a watched file changes or the entry ages out.
import { readdirSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GpuInfo } from './gpu';

const TTL_MS = 5000;
/** Bytes read from the head of a dataset or Python file: enough rows to judge, never a whole large file. */
export const SAMPLE_BYTES = 256 * 1024;

interface Entry<T> {
  at: number;
  value: T;
}

export interface DirEntry {
  name: string;
  dir: boolean;
}

export class IdeEnv {
  workspaceFolders: string[] = [];
  private gpuInfo: GpuInfo | undefined;
  private gpuSetting: number | undefined;
  /** Bumped whenever something estimates depend on changes (files, GPU, settings); memo keys include it. */
  generation = 0;
  clientSupportsRefresh = false;
  private readonly cache = new Map<string, Entry<unknown>>();
  private readonly remembered = new Map<string, unknown>();

  /**
   * @param vars the process environment the facts come from (HF_HOME, HF_HUB_CACHE…): the server's own, or the
   *   CLI's `io.env`, so `srlm check` and the editor look in the same places.
   */
  constructor(
    private readonly now: () => number = Date.now,
    readonly vars: NodeJS.ProcessEnv = process.env,
  ) {}

  get gpu(): GpuInfo | undefined {
    return this.gpuInfo;
  }

  set gpu(g: GpuInfo | undefined) {
    this.gpuInfo = g;
    this.generation++;
  }

  get gpuMemoryGiBSetting(): number | undefined {
    return this.gpuSetting;
  }

  set gpuMemoryGiBSetting(v: number | undefined) {
    if (v !== this.gpuSetting) this.generation++;
    this.gpuSetting = v;
  }

  invalidate(): void {
    this.cache.clear();
    this.remembered.clear();
    this.generation++;
  }

  /**
   * Facts an asynchronous check computed (rows decoded from a parquet file) for the synchronous features to reuse;
   * kept until a watched file changes, and bumping the generation so estimates computed without them are redone.
   */
  remember(key: string, value: unknown): void {
    this.remembered.set(key, value);
    this.generation++;
  }

  recall<T>(key: string): T | undefined {
    return this.remembered.get(key) as T | undefined;
  }

  private cached<T>(key: string, compute: () => T): T {
    const hit = this.cache.get(key);
    const t = this.now();
    if (hit && t - hit.at < TTL_MS) return hit.value as T;
    const value = compute();
    this.cache.set(key, { at: t, value });
    return value;
  }

  /** Directory listing, sorted, or undefined when it cannot be read. */
  listDir(path: string): DirEntry[] | undefined {
    return this.cached(`dir:${path}`, () => {
      try {
        return readdirSync(path, { withFileTypes: true })
          .map((d) => ({ name: d.name, dir: d.isDirectory() || (d.isSymbolicLink() && isDir(join(path, d.name))) }))
          .sort((a, b) => a.name.localeCompare(b.name));
      } catch {
        return undefined;
      }
    });
  }

  /** Type and size, for the core's CheckHost. */
  statFull(path: string): { type: 'file' | 'directory'; size: number } | undefined {
    return this.cached(`statfull:${path}`, () => {
      try {
        const s = statSync(path);
        if (s.isDirectory()) return { type: 'directory' as const, size: s.size };
        return s.isFile() ? { type: 'file' as const, size: s.size } : undefined;
      } catch {
        return undefined;
      }
    });
  }

  stat(path: string): 'file' | 'dir' | undefined {
    return this.cached(`stat:${path}`, () => {
      try {
        const s = statSync(path);
        return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
      } catch {
        return undefined;
      }
    });
  }

  /** Whole text of a small file (≤ maxBytes), else undefined. */
  readText(path: string, maxBytes = 4 * 1024 * 1024): string | undefined {
    return this.cached(`text:${path}:${maxBytes}`, () => {
      try {
        const s = statSync(path);
        if (!s.isFile() || s.size > maxBytes) return undefined;
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    });
  }

  /** The first `bytes` of a file and whether that was all of it. */
  readHead(path: string, bytes = SAMPLE_BYTES): { text: string; complete: boolean; size: number } | undefined {
    return this.cached(`head:${path}:${bytes}`, () => {
      let fd: number | undefined;
      try {
        const size = statSync(path).size;
        fd = openSync(path, 'r');
        const buf = Buffer.alloc(Math.min(bytes, size));
        const n = readSync(fd, buf, 0, buf.length, 0);
        return { text: buf.subarray(0, n).toString('utf8'), complete: n >= size, size };
      } catch {
        return undefined;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    });
  }

  /** The last `bytes` of a file (all of it when smaller), for formats that keep their schema at the end. */
  readTail(path: string, bytes: number): { data: Uint8Array; size: number } | undefined {
    return this.cached(`tail:${path}:${bytes}`, () => {
      let fd: number | undefined;
      try {
        const size = statSync(path).size;
        fd = openSync(path, 'r');
        const n = Math.min(bytes, size);
        const buf = Buffer.alloc(n);
        const got = readSync(fd, buf, 0, n, size - n);
        return { data: new Uint8Array(buf.buffer, buf.byteOffset, got), size };
      } catch {
        return undefined;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    });
  }

  readJson(path: string): unknown {
    return this.cached(`json:${path}`, () => {
      const text = this.readText(path);
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    });
  }

  /** The Hugging Face hub cache folder, as huggingface_hub resolves it. */
  hubCache(): string {
    const env = this.vars;
    if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
    if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
    const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'huggingface');
    return join(home, 'hub');
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

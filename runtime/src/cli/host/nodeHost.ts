// The CLI's file-system CheckHost for the core's own checks: relative paths in a .srlm file resolve against the
// folder that holds the file; `~` is the user's home. (`srlm check` runs the environment checks of
// server/src/ide/checks.ts, which read through the language server's cached reads instead.)
import { open, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CheckHost, expandHome, type FileStat } from '../../../../server/src/core';

export class NodeFileSystemHost implements CheckHost {
  /** @param baseDir folder of the .srlm file (relative paths in it resolve here) */
  constructor(readonly baseDir: string) {}

  static forFile(srlmFile: string): NodeFileSystemHost {
    return new NodeFileSystemHost(path.dirname(path.resolve(srlmFile)));
  }

  resolve(p: string): string {
    return path.resolve(this.baseDir, expandHome(p, os.homedir()));
  }

  async stat(absPath: string): Promise<FileStat | undefined> {
    try {
      const s = await stat(absPath);
      if (s.isFile()) return { type: 'file', size: s.size };
      if (s.isDirectory()) return { type: 'directory', size: 0 };
      return undefined;
    } catch {
      return undefined;
    }
  }

  async readText(absPath: string, maxBytes: number): Promise<string | undefined> {
    let fh;
    try {
      fh = await open(absPath, 'r');
      const size = (await fh.stat()).size;
      const n = Math.min(size, maxBytes);
      const buf = Buffer.alloc(n);
      let off = 0;
      while (off < n) {
        const { bytesRead } = await fh.read(buf, off, n - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      // A cut multi-byte character at the end decodes to U+FFFD, which only the sampled last line can hold.
      return buf.subarray(0, off).toString('utf8');
    } catch {
      return undefined;
    } finally {
      await fh?.close();
    }
  }
}

// A VSIX is a zip: list its entries from the central directory and read one, with no unzip tool or library.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly compressedSize: number;
  readonly method: number;
  /** Offset of the entry's local header. */
  readonly offset: number;
}

export class ZipFile {
  readonly entries: ZipEntry[] = [];
  private readonly data: Buffer;

  constructor(file: string) {
    this.data = readFileSync(file);
    const d = this.data;
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes (the comment is at most 64 KiB).
    let eocd = -1;
    for (let i = d.length - 22; i >= Math.max(0, d.length - 22 - 0xffff); i--)
      if (d.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    if (eocd < 0) throw new Error(`${file}: not a zip file`);
    const count = d.readUInt16LE(eocd + 10);
    let p = d.readUInt32LE(eocd + 16);
    for (let n = 0; n < count; n++) {
      if (d.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: damaged central directory`);
      const nameLen = d.readUInt16LE(p + 28);
      const extraLen = d.readUInt16LE(p + 30);
      const commentLen = d.readUInt16LE(p + 32);
      this.entries.push({
        method: d.readUInt16LE(p + 10),
        compressedSize: d.readUInt32LE(p + 20),
        size: d.readUInt32LE(p + 24),
        offset: d.readUInt32LE(p + 42),
        name: d.toString('utf8', p + 46, p + 46 + nameLen),
      });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  read(name: string): Buffer {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new Error(`no entry ${name}`);
    const d = this.data;
    const start = e.offset + 30 + d.readUInt16LE(e.offset + 26) + d.readUInt16LE(e.offset + 28);
    const raw = d.subarray(start, start + e.compressedSize);
    if (e.method === 0) return Buffer.from(raw);
    if (e.method === 8) return inflateRawSync(raw);
    throw new Error(`${name}: compression method ${e.method} not supported`);
  }
}

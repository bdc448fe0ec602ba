// Source files are UTF-8. A lenient decoder turns bad bytes into U+FFFD without a word, and `srlm fmt` then
// wrote those replacement characters back over the user's bytes; callers that read bytes decode here and
// report the first bad byte instead.

export interface DecodedText {
  /** The text; invalid sequences, if any, decoded as U+FFFD so the rest can still be analysed. */
  text: string;
  /** The first invalid sequence: its byte offset in the file and its UTF-16 offset in `text`. */
  invalid?: { byte: number; offset: number };
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

export function decodeUtf8(bytes: Uint8Array): DecodedText {
  try {
    return { text: strict.decode(bytes) };
  } catch {
    const byte = firstInvalidByte(bytes);
    return { text: lenient.decode(bytes), invalid: { byte, offset: lenient.decode(bytes.subarray(0, byte)).length } };
  }
}

/** Offset of the first byte that starts no valid UTF-8 sequence (WHATWG rules: no overlongs, no surrogates). */
export function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return b.length;
}

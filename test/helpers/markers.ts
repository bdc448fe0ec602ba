/** Splits `$0`…`$9` cursor markers out of a fixture; returns the clean text and each marker's offset. */
export function markers(src: string): { text: string; at: Map<string, number> } {
  const at = new Map<string, number>();
  let text = '';
  let last = 0;
  for (const m of src.matchAll(/\$(\d)/g)) {
    text += src.slice(last, m.index);
    at.set(m[1]!, text.length);
    last = m.index! + m[0].length;
  }
  text += src.slice(last);
  return { text, at };
}

// A one-level min/max pyramid over a value column: for each block of BLOCK points, the index of its minimum and
// of its maximum. Decimating a pixel column then reads whole blocks in O(1) each and scans only the partial
// blocks at its edges, so a redraw over a million points touches ~1/BLOCK of them. Kept current incrementally:
// appends index only the new complete blocks; a rewrite of earlier values (a new `generation`) rebuilds.
export const BLOCK = 64;

export class MinMaxIndex {
  minIdx = new Int32Array(0);
  maxIdx = new Int32Array(0);
  /** Complete blocks indexed. */
  blocks = 0;
  private generation = -1;

  sync(ys: ArrayLike<number>, n: number, generation: number): void {
    if (generation !== this.generation) {
      this.blocks = 0;
      this.generation = generation;
    }
    const full = Math.floor(n / BLOCK);
    if (full < this.blocks) this.blocks = full;
    if (full > this.minIdx.length) {
      const cap = Math.max(full, this.minIdx.length * 2, 64);
      const a = new Int32Array(cap);
      const b = new Int32Array(cap);
      a.set(this.minIdx.subarray(0, this.blocks));
      b.set(this.maxIdx.subarray(0, this.blocks));
      this.minIdx = a;
      this.maxIdx = b;
    }
    for (let blk = this.blocks; blk < full; blk++) {
      let mi = -1;
      let ma = -1;
      let lo = Infinity;
      let hi = -Infinity;
      const end = (blk + 1) * BLOCK;
      for (let i = blk * BLOCK; i < end; i++) {
        const y = ys[i];
        if (y < lo) {
          lo = y;
          mi = i;
        }
        if (y > hi) {
          hi = y;
          ma = i;
        }
      }
      // A block of NaNs has no extremes (-1).
      this.minIdx[blk] = mi;
      this.maxIdx[blk] = ma;
    }
    this.blocks = full;
  }
}

/**
 * A sequence kept in chunks of a bounded size. Inserting into or removing from
 * the middle of a plain array moves everything after the spot; in a process
 * with thousands of regions that made each memory call cost tens of
 * microseconds. Here it moves one chunk, and finding the chunk of an index is
 * a binary search over the chunks' first indices.
 */
export class Chunked<T> {
  private chunks: T[][] = [];
  /** Index of each chunk's first item. */
  private firsts: number[] = [];
  private n = 0;

  /** @param max most items in one chunk; a fuller chunk is cut in two */
  constructor(private readonly max = 256) {
    if (!(max >= 2)) throw new RangeError('chunks must hold at least 2 items');
  }

  static from<T>(items: readonly T[], max?: number): Chunked<T> {
    const c = new Chunked<T>(max);
    const half = c.max >>> 1;
    for (let o = 0; o < items.length; o += half) c.chunks.push(items.slice(o, o + half));
    c.n = items.length;
    c.reindex();
    return c;
  }

  get length(): number {
    return this.n;
  }

  /** The chunk holding index i (0 ≤ i < length). */
  private chunkOf(i: number): number {
    const f = this.firsts;
    let lo = 0;
    let hi = f.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (f[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  get(i: number): T | undefined {
    if (!(i >= 0 && i < this.n)) return undefined;
    if (this.chunks.length === 1) return this.chunks[0]![i];
    const c = this.chunkOf(i);
    return this.chunks[c]![i - this.firsts[c]!];
  }

  /** Remove `del` items at index i and insert `items` there, as Array.prototype.splice does. */
  splice(i: number, del: number, ...items: T[]): void {
    i = Math.max(0, Math.min(i, this.n));
    del = Math.max(0, Math.min(del, this.n - i));
    while (del > 0) {
      const c = this.chunkOf(i);
      const chunk = this.chunks[c]!;
      const k = i - this.firsts[c]!;
      const take = Math.min(del, chunk.length - k);
      chunk.splice(k, take);
      if (chunk.length === 0) this.chunks.splice(c, 1);
      del -= take;
      this.n -= take;
      this.reindex();
    }
    if (items.length === 0) return;
    if (this.chunks.length === 0) this.chunks.push([]);
    // At the end: the last chunk; otherwise the chunk holding index i.
    const c = i === this.n ? this.chunks.length - 1 : this.chunkOf(i);
    const chunk = this.chunks[c]!;
    chunk.splice(i - (this.firsts[c] ?? 0), 0, ...items);
    this.n += items.length;
    if (chunk.length > this.max) {
      const half = this.max >>> 1;
      const pieces: T[][] = [];
      for (let o = 0; o < chunk.length; o += half) pieces.push(chunk.slice(o, o + half));
      this.chunks.splice(c, 1, ...pieces);
    }
    this.reindex();
  }

  private reindex(): void {
    const f = this.firsts;
    f.length = this.chunks.length;
    let at = 0;
    for (let c = 0; c < this.chunks.length; c++) {
      f[c] = at;
      at += this.chunks[c]!.length;
    }
  }

  /** The items in order, as a new array. */
  toArray(): T[] {
    return this.chunks.length === 1 ? this.chunks[0]!.slice() : this.chunks.flat();
  }

  /** Call fn with each item and its index, in order. */
  forEach(fn: (x: T, i: number) => void): void {
    let i = 0;
    for (const chunk of this.chunks) for (const x of chunk) fn(x, i++);
  }
}

/**
 * Reorder window. dtrace drains each CPU's buffer in turn unless `-x temporal`
 * is set (dt_consume.c; docs/platforms/macos.md §4), and bpftrace reads
 * per-CPU buffers too (docs/platforms/linux.md), so records arrive out of
 * time order across CPUs. Events wait in a binary heap until an event more than
 * `windowMs` newer has been seen, or the heap holds more than `maxEvents`.
 */
import { Transform } from 'node:stream';
import type { TraceEvent } from '../protocol/registry.ts';
import { DEFAULT_REORDER_MAX_EVENTS, DEFAULT_REORDER_WINDOW_MS } from './options.ts';
import type { ParseItem } from './types.ts';

export interface ReorderOptions {
  /** Trace-time span held back, in ms. Default 1000. */
  readonly windowMs?: number;
  /** Most events held at once. Default 100000. */
  readonly maxEvents?: number;
}

/** Order of release: t, then the exact ts (equal ms doubles can hide different ns), then arrival. */
export function compareEvents(a: TraceEvent, b: TraceEvent): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  if (a.ts !== b.ts) {
    if (a.ts.length !== b.ts.length) return a.ts.length - b.ts.length;
    return a.ts < b.ts ? -1 : 1;
  }
  return a.seq - b.seq;
}

/**
 * How held items are ordered: a numeric key (an event's t), and a total order
 * that agrees with it and breaks its ties.
 */
export interface OrderOf<T> {
  key(x: T): number;
  compare(x: T, y: T): number;
}

/** A binary heap keyed by t (then compareEvents): where events go that fit no sorted run. */
class SpillHeap<T> {
  readonly items: T[] = [];
  // Each held item's t, beside the heap, so most comparisons never touch the events.
  private keys = new Float64Array(64);

  constructor(private readonly cmp: (x: T, y: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  topKey(): number {
    return this.keys[0]!;
  }

  push(x: T, k: number): void {
    const heap = this.items;
    const n = heap.length;
    if (n === this.keys.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    heap.push(x);
    this.keys[n] = k;
    let i = n;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): T {
    const heap = this.items;
    const keys = this.keys;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      heap[0] = last;
      keys[0] = keys[n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && this.less(r, l) ? r : l;
        if (!this.less(m, i)) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.keys[i]!;
    const b = this.keys[j]!;
    if (a !== b) return a < b;
    return this.cmp(this.items[i]!, this.items[j]!) < 0;
  }

  private swap(i: number, j: number): void {
    const heap = this.items;
    const keys = this.keys;
    const x = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = x;
    const k = keys[i]!;
    keys[i] = keys[j]!;
    keys[j] = k;
  }
}

/** A queue of items already in release order: appended at the tail, released from the head. */
class Run<T> {
  items: T[] = [];
  keys = new Float64Array(256);
  head = 0;
  end = 0;

  append(x: T, k: number): void {
    if (this.end === this.keys.length) {
      const live = this.end - this.head;
      if (this.head >= live) {
        // Mostly released: slide the live part to the front instead of growing.
        this.keys.copyWithin(0, this.head, this.end);
        this.items.copyWithin(0, this.head, this.end);
        this.items.length = live;
      } else {
        const grown = new Float64Array(this.keys.length * 2);
        grown.set(this.keys.subarray(this.head, this.end));
        this.keys = grown;
        this.items = this.items.slice(this.head, this.end);
      }
      this.head = 0;
      this.end = live;
    }
    this.items[this.end] = x;
    this.keys[this.end++] = k;
  }

  shift(): T {
    const x = this.items[this.head]!;
    // Drop the reference so that released events can be collected.
    (this.items as (T | undefined)[])[this.head++] = undefined;
    return x;
  }

  reset(): void {
    this.items.length = 0;
    this.head = 0;
    this.end = 0;
  }
}

/** Sorted runs kept at once before events go to the spill heap (bounds the cost of a push). */
const MAX_RUNS = 32;

/**
 * The window itself, synchronous. `T` is what is held (events, parser items
 * wrapping them, or the slot numbers of records held undecoded); `order` says
 * how they sort, or finds the event in one.
 *
 * Tracers interleave a few per-CPU streams that are each in time order, so
 * events are kept as sorted runs (each new event joins the run whose last
 * event is the latest one not after it), and the next event to release is the
 * least of the runs' heads: a few comparisons per event where a heap of the
 * whole window needed two per level. Events that fit no run once MAX_RUNS exist
 * go to a heap. The release order is the same total order (compareEvents).
 */
export class ReorderWindow<T = TraceEvent> {
  private runs: Run<T>[] = [];
  private readonly spare: Run<T>[] = [];
  private readonly spill: SpillHeap<T>;
  private held = 0;
  private readonly windowMs: number;
  private readonly maxEvents: number;
  private readonly key: (x: T) => number;
  private readonly cmp: (x: T, y: T) => number;
  private maxT = -Infinity;
  private lastOut: T | null = null;
  private lastOutKey = -Infinity;
  // The next event to release: its run (-1: the spill heap) and its t, kept up to date on every change.
  private nextAt = -1;
  private nextKey = Infinity;
  /** Events delivered late: older than one already released. */
  late = 0;

  constructor(opts: ReorderOptions = {}, order?: ((x: T) => TraceEvent) | OrderOf<T>) {
    this.windowMs = opts.windowMs ?? DEFAULT_REORDER_WINDOW_MS;
    this.maxEvents = opts.maxEvents ?? DEFAULT_REORDER_MAX_EVENTS;
    if (order !== undefined && typeof order !== 'function') {
      this.key = order.key;
      this.cmp = order.compare;
    } else {
      const eventOf = order ?? ((x: T) => x as unknown as TraceEvent);
      this.key = (x) => eventOf(x).t;
      this.cmp = (x, y) => compareEvents(eventOf(x), eventOf(y));
    }
    this.spill = new SpillHeap(this.cmp);
  }

  get size(): number {
    return this.held;
  }

  /** The item released last in order (late deliveries aside): what later arrivals are compared with. */
  get lastReleased(): T | null {
    return this.lastOut;
  }

  /** Add one; releases (through out) whatever the window no longer needs to hold. */
  push(x: T, out: (x: T) => void): void {
    const k = this.key(x);
    if (this.lastOut !== null && (k < this.lastOutKey || (k === this.lastOutKey && this.cmp(x, this.lastOut) < 0))) {
      // Too late to be put in order: deliver now rather than lose it, and count it.
      this.late++;
      out(x);
      return;
    }
    const runs = this.runs;
    let best: Run<T> | null = null;
    let bestKey = -Infinity;
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      const tk = r.keys[r.end - 1]!;
      if (tk < k ? tk >= bestKey : tk === k && tk >= bestKey && this.cmp(r.items[r.end - 1]!, x) <= 0) {
        best = r;
        bestKey = tk;
      }
    }
    // Appending to a run never changes its head; a new run or the heap may hold the new next event.
    if (best !== null) best.append(x, k);
    else if (runs.length < MAX_RUNS) {
      const r = this.spare.pop() ?? new Run<T>();
      r.append(x, k);
      runs.push(r);
      if (this.held === 0 || k < this.nextKey || (k === this.nextKey && this.cmp(x, this.peek()) < 0)) {
        this.nextAt = runs.length - 1;
        this.nextKey = k;
      }
    } else {
      this.spill.push(x, k);
      if (this.spill.items[0] === x && (k < this.nextKey || (k === this.nextKey && this.cmp(x, this.peek()) < 0))) {
        this.nextAt = -1;
        this.nextKey = k;
      }
    }
    this.held++;
    if (k > this.maxT) this.maxT = k;
    const limit = this.maxT - this.windowMs;
    while (this.held > 0 && (this.held > this.maxEvents || this.nextKey < limit)) out(this.pop());
  }

  /** The next event to release (held > 0). */
  private peek(): T {
    if (this.nextAt < 0) return this.spill.items[0]!;
    const r = this.runs[this.nextAt]!;
    return r.items[r.head]!;
  }

  /** Release everything held, in order. */
  flush(out: (x: T) => void): void {
    while (this.held > 0) out(this.pop());
  }

  /** Release the next item in order now, as the count limit would (held > 0). */
  releaseNext(out: (x: T) => void): void {
    if (this.held > 0) out(this.pop());
  }

  /** Index of the run holding the next event to release, or -1 for the spill heap. */
  private next(): number {
    const runs = this.runs;
    let m = -1;
    let mk = this.spill.size > 0 ? this.spill.topKey() : Infinity;
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i]!;
      const hk = r.keys[r.head]!;
      if (hk < mk) {
        m = i;
        mk = hk;
      } else if (hk === mk) {
        const cur = m < 0 ? this.spill.items[0]! : runs[m]!.items[runs[m]!.head]!;
        if (this.cmp(r.items[r.head]!, cur) < 0) m = i;
      }
    }
    return m;
  }

  private pop(): T {
    const m = this.nextAt;
    let x: T;
    let k: number;
    if (m < 0) {
      k = this.spill.topKey();
      x = this.spill.pop();
    } else {
      const r = this.runs[m]!;
      k = r.keys[r.head]!;
      x = r.shift();
      if (r.head === r.end) {
        this.runs.splice(m, 1);
        r.reset();
        if (this.spare.length < 4) this.spare.push(r);
      }
    }
    this.held--;
    this.lastOut = x;
    this.lastOutKey = k;
    if (this.held > 0) {
      this.nextAt = this.next();
      this.nextKey = this.nextAt < 0 ? this.spill.topKey() : this.runs[this.nextAt]!.keys[this.runs[this.nextAt]!.head]!;
    } else {
      this.nextAt = -1;
      this.nextKey = Infinity;
    }
    return x;
  }
}

/** A Transform whose readable side counts late events. */
export type ReorderStream = Transform & { late(): number };

/**
 * The window as an object-mode Transform. Input: parser items or bare events.
 * Records (and events) come out in time order; other items pass straight through.
 */
export function createReorder(opts: ReorderOptions = {}): ReorderStream {
  const win = new ReorderWindow<ParseItem | TraceEvent>(opts, (x) => ('type' in x && x.type === 'record' ? x.event : (x as TraceEvent)));
  let stream: Transform;
  const out = (x: ParseItem | TraceEvent) => {
    stream.push(x);
  };
  stream = new Transform({
    objectMode: true,
    transform(x: ParseItem | TraceEvent, _enc, cb) {
      if ('kind' in x || x.type === 'record') win.push(x, out);
      else this.push(x);
      cb();
    },
    flush(cb) {
      win.flush(out);
      cb();
    },
  });
  return Object.assign(stream, { late: () => win.late });
}

/**
 * Reorder window. dtrace drains each CPU's buffer in turn unless `-x temporal`
 * is set (dt_consume.c; reference macos-dtrace.md §4), and bpftrace reads
 * per-CPU buffers too (reference linux-bpftrace.md), so records arrive out of
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
 * The window itself, synchronous. `T` is what is held (events, or parser items
 * wrapping them); `eventOf` finds the event.
 */
export class ReorderWindow<T = TraceEvent> {
  private heap: T[] = [];
  // Each held item's t, beside the heap, so most comparisons never touch the events.
  private keys = new Float64Array(1024);
  private readonly windowMs: number;
  private readonly maxEvents: number;
  private readonly eventOf: (x: T) => TraceEvent;
  private maxT = -Infinity;
  private lastOut: TraceEvent | null = null;
  /** Events delivered late: older than one already released. */
  late = 0;

  constructor(opts: ReorderOptions = {}, eventOf?: (x: T) => TraceEvent) {
    this.windowMs = opts.windowMs ?? DEFAULT_REORDER_WINDOW_MS;
    this.maxEvents = opts.maxEvents ?? DEFAULT_REORDER_MAX_EVENTS;
    this.eventOf = eventOf ?? ((x: T) => x as unknown as TraceEvent);
  }

  get size(): number {
    return this.heap.length;
  }

  /** Add one; releases (through out) whatever the window no longer needs to hold. */
  push(x: T, out: (x: T) => void): void {
    const ev = this.eventOf(x);
    if (this.lastOut !== null && compareEvents(ev, this.lastOut) < 0) {
      // Too late to be put in order: deliver now rather than lose it, and count it.
      this.late++;
      out(x);
      return;
    }
    const heap = this.heap;
    const n = heap.length;
    if (n === this.keys.length) {
      const k = new Float64Array(n * 2);
      k.set(this.keys);
      this.keys = k;
    }
    heap.push(x);
    this.keys[n] = ev.t;
    this.siftUp(n);
    if (ev.t > this.maxT) this.maxT = ev.t;
    const limit = this.maxT - this.windowMs;
    while (heap.length > 0 && (heap.length > this.maxEvents || this.keys[0]! < limit)) out(this.pop());
  }

  /** Release everything held, in order. */
  flush(out: (x: T) => void): void {
    while (this.heap.length > 0) out(this.pop());
  }

  private pop(): T {
    const heap = this.heap;
    const keys = this.keys;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      heap[0] = last;
      keys[0] = keys[n]!;
      this.siftDown(0);
    }
    this.lastOut = this.eventOf(top);
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.keys[i]!;
    const b = this.keys[j]!;
    if (a !== b) return a < b;
    return compareEvents(this.eventOf(this.heap[i]!), this.eventOf(this.heap[j]!)) < 0;
  }

  private swap(i: number, j: number): void {
    const heap = this.heap;
    const keys = this.keys;
    const x = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = x;
    const k = keys[i]!;
    keys[i] = keys[j]!;
    keys[j] = k;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
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

/**
 * Records held in the reorder window undecoded. A record waits there for up to
 * a second of trace time, tens of thousands of them at once; as decoded events
 * they would outlive the young generation and be promoted, and the garbage
 * collector's copying of them was most of replay's cost and memory. Held
 * here, a record is a slot in a few typed arrays plus the text it came in (a
 * chunk of input many records share), and it becomes an event only when it
 * leaves the window, right before the engine reads it.
 *
 * The parser reads a record's kind and ts on arrival (records.ts scanHead) and
 * decodes the rest on release with the decoders of the eager path, in the
 * context (OS, escaping) that held when the record arrived. A record that
 * fails to decode then becomes the same parse_error diagnostic it would have
 * been on arrival, and its parser's summary moves its lines from the records
 * to the diagnostics.
 */
import { diag } from './diagnostics.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { Os } from '../protocol/flags.ts';
import { MARKER_PREFIX, type TraceEvent } from '../protocol/registry.ts';
import type { EscapeStyle } from './escape.ts';
import { decodeRecordOfKind, recordError, type DecodeContext } from './records.ts';
import { ReorderWindow, type ReorderOptions } from './reorder.ts';
import type { SummaryAccumulator } from './summary.ts';

/** `LT1:` + nonce + TAB: where a record's kind starts after its marker. */
const MARKER_LEN = MARKER_PREFIX.length + 16 + 1;

export interface HeldSink {
  /** An event leaving the window, in time order. */
  event(e: TraceEvent): void;
  /** A held record that failed to decode on release. */
  diagnostic(d: Diagnostic): void;
}

/** The reorder window for records held undecoded; one per pipeline, shared by its stdout and stderr parsers. */
export class HeldRecords {
  private readonly window: ReorderWindow<number>;
  private cap = 0;
  // Per slot: the order keys (t, then the exact ts as seconds and nanoseconds, then arrival)...
  private t = new Float64Array(0);
  private sec = new Float64Array(0);
  private nsec = new Float64Array(0);
  private seq = new Float64Array(0);
  // ...and what decoding needs: the text, where the line, its marker and its end are, its number, lines covered.
  private text: (string | null)[] = [];
  private lineStart = new Float64Array(0);
  private markerAt = new Float64Array(0);
  private lineEnd = new Float64Array(0);
  private lineNo = new Float64Array(0);
  private lineCount = new Float64Array(0);
  private kind = new Int16Array(0);
  /** Bit 0: bpftrace escaping; bit 1: linux; bit 2: text before the marker (spliced). */
  private flags = new Uint8Array(0);
  /** Which parser's summary counted the record. */
  private source: (SummaryAccumulator | null)[] = [];
  /** A record decoded on arrival (begin), or null. */
  private decoded: (TraceEvent | null)[] = [];
  /** ustack frames, for the few records that carry them. */
  private readonly frames = new Map<number, string[]>();
  private free: number[] = [];
  // The slot released last stays reserved: the window compares late arrivals with it.
  private lastReleased = -1;
  private readonly ctx: DecodeContext = { os: 'darwin', style: 'dtrace' };
  private readonly release: (slot: number) => void;

  constructor(
    opts: ReorderOptions,
    private readonly sink: HeldSink,
  ) {
    const self = this;
    this.window = new ReorderWindow<number>(opts, {
      key: (x) => self.t[x]!,
      compare: (x, y) => self.compare(x, y),
    });
    this.release = (slot) => self.releaseSlot(slot);
  }

  /** Events delivered late: older than one already released. */
  get late(): number {
    return this.window.late;
  }

  get size(): number {
    return this.window.size;
  }

  private compare(x: number, y: number): number {
    const t = this.t;
    if (t[x] !== t[y]) return t[x]! < t[y]! ? -1 : 1;
    if (this.sec[x] !== this.sec[y]) return this.sec[x]! < this.sec[y]! ? -1 : 1;
    if (this.nsec[x] !== this.nsec[y]) return this.nsec[x]! < this.nsec[y]! ? -1 : 1;
    return this.seq[x]! - this.seq[y]!;
  }

  private grow(): void {
    const n = Math.max(1024, this.cap * 2);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.t = f64(this.t);
    this.sec = f64(this.sec);
    this.nsec = f64(this.nsec);
    this.seq = f64(this.seq);
    this.lineStart = f64(this.lineStart);
    this.markerAt = f64(this.markerAt);
    this.lineEnd = f64(this.lineEnd);
    this.lineNo = f64(this.lineNo);
    this.lineCount = f64(this.lineCount);
    const k = new Int16Array(n);
    k.set(this.kind);
    this.kind = k;
    const fl = new Uint8Array(n);
    fl.set(this.flags);
    this.flags = fl;
    for (let i = n - 1; i >= this.cap; i--) {
      this.text.push(null);
      this.source.push(null);
      this.decoded.push(null);
    }
    // Lowest slots first, so a small window keeps to the start of the arrays.
    for (let i = n - 1; i >= this.cap; i--) this.free.push(i);
    this.cap = n;
  }

  /**
   * Hold the record on the line s[a..b) whose marker is at s[at]: kind and
   * order keys as scanHead read them, or `decoded` when it was decoded already.
   */
  hold(
    s: string,
    a: number,
    at: number,
    b: number,
    line: number,
    lines: number,
    seq: number,
    kindIndex: number,
    t: number,
    sec: number,
    nsec: number,
    style: EscapeStyle,
    os: Os,
    spliced: boolean,
    frames: string[] | null,
    decoded: TraceEvent | null,
    source: SummaryAccumulator,
  ): void {
    if (this.free.length === 0) this.grow();
    const x = this.free.pop()!;
    this.t[x] = t;
    this.sec[x] = sec;
    this.nsec[x] = nsec;
    this.seq[x] = seq;
    this.text[x] = decoded === null ? s : null;
    this.lineStart[x] = a;
    this.markerAt[x] = at;
    this.lineEnd[x] = b;
    this.lineNo[x] = line;
    this.lineCount[x] = lines;
    this.kind[x] = kindIndex;
    this.flags[x] = (style === 'bpftrace' ? 1 : 0) | (os === 'linux' ? 2 : 0) | (spliced ? 4 : 0);
    this.source[x] = source;
    this.decoded[x] = decoded;
    if (frames !== null) this.frames.set(x, frames);
    this.window.push(x, this.release);
  }

  /** Release everything held, in order. */
  flush(): void {
    this.window.flush(this.release);
  }

  private releaseSlot(x: number): void {
    if (this.lastReleased >= 0) this.free.push(this.lastReleased);
    this.lastReleased = x;
    let ev = this.decoded[x] ?? null;
    let frames: string[] | undefined;
    if (this.frames.size !== 0) {
      frames = this.frames.get(x);
      if (frames !== undefined) this.frames.delete(x);
    }
    const source = this.source[x]!;
    this.source[x] = null;
    if (ev !== null) {
      this.decoded[x] = null;
    } else {
      const s = this.text[x]!;
      this.text[x] = null;
      const fl = this.flags[x]!;
      const ctx = this.ctx;
      ctx.style = (fl & 1) !== 0 ? 'bpftrace' : 'dtrace';
      ctx.os = (fl & 2) !== 0 ? 'linux' : 'darwin';
      const at = this.markerAt[x]!;
      const b = this.lineEnd[x]!;
      ev = decodeRecordOfKind(this.kind[x]!, s, at + MARKER_LEN, ctx, this.lineNo[x]!, this.seq[x]!, b, this.t[x]!);
      if (ev === null) {
        const e = recordError;
        const d = diag('parse_error', this.lineNo[x]!, s.slice(this.lineStart[x]!, b), { reason: e.reason, kind: e.kind, field: e.field }, this.lineCount[x]!);
        source.undoRecord(this.kind[x]!, this.lineCount[x]!, (fl & 4) !== 0);
        source.add(d);
        this.sink.diagnostic(d);
        return;
      }
    }
    if (frames !== undefined) (ev as { ustack?: string[] }).ustack = frames;
    this.sink.event(ev);
  }
}

/**
 * Records held in the reorder window undecoded. A record waits there for up to
 * a second of trace time, tens of thousands of them at once; as decoded events
 * they outlived the young generation and were promoted, and collecting them
 * cost about 460 ms per million records and a large share of the peak memory
 * (docs/performance.md). Held here, a record is a slot in one typed array plus
 * a copy of its line in a page of bytes outside the V8 heap, and it becomes an
 * event only when it leaves the window, right before the engine reads it.
 *
 * The parser reads a record's kind and ts on arrival (records.ts scanHead) and
 * decodes the rest on release with the decoders of the eager path, in the
 * context (OS, escaping) that held when the record arrived. A record that
 * fails to decode then becomes the same parse_error diagnostic it would have
 * been on arrival, and its parser's summary moves its lines from the records
 * to the diagnostics.
 */
import { detachString } from '../util/detach.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { Os } from '../protocol/flags.ts';
import { MARKER_PREFIX, type TraceEvent } from '../protocol/registry.ts';
import { diag } from './diagnostics.ts';
import type { EscapeStyle } from './escape.ts';
import { DEFAULT_REORDER_MAX_TEXT } from './options.ts';
import { newDecodeContext, RecordError, TS_NSEC, TS_SEC, TS_T, type DecodeContext } from './record-fields.ts';
import { decodeRecordOfKind } from './records.ts';
import type { PendingRecord } from './pending.ts';
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

/** Numbers kept per slot, side by side in one array so that holding or releasing a record touches one place. */
const T = 0;
const SEC = 1;
const NSEC = 2;
const SEQ = 3;
const LINE_START = 4;
const MARKER_AT = 5;
const LINE_END = 6;
const LINE_NO = 7;
const LINE_COUNT = 8;
/** kind index * 8 + flags (bit 0: bpftrace escaping, bit 1: linux, bit 2: spliced). */
const KIND_FLAGS = 9;
/** Number of the piece of input text the record keeps (see `pieces`), -1 for none. */
const PIECE = 10;
/** Characters of the record's ustack frames, counted as kept text too. */
const FRAME_CHARS = 11;
/** Where the line's copy is: page number, byte offset in it. */
const COPY_PAGE = 12;
const COPY_AT = 13;
/** 1 when the copy is UTF-16, 0 when it is a byte a character. */
const COPY_WIDE = 14;
const STRIDE = 15;

/**
 * Lines of held records are copied out of the V8 heap into pages of bytes. Kept as
 * references to the input text, each 64 KiB piece lived as long as its last record
 * waited (a second of trace time), so the pieces were promoted and filled the old
 * generation with garbage: on a bpftrace trace, with its long lines, that made most
 * of the peak RSS. A page is reused once no held record is on it.
 */
const COPY_PAGE_BYTES = 1 << 20;
const COPY_PAGES_POOLED = 8;

export interface HeldOptions extends ReorderOptions {
  /** Most characters of input text held records may keep alive. Default DEFAULT_REORDER_MAX_TEXT. */
  readonly maxText?: number;
}

/** The reorder window for records held undecoded; one per pipeline, shared by its stdout and stderr parsers. */
export class HeldRecords {
  private readonly window: ReorderWindow<number>;
  private cap = 0;
  private num = new Float64Array(0);
  /** Which parser's summary counted the record. */
  private source: (SummaryAccumulator | null)[] = [];
  /** A record decoded on arrival (begin), or null. */
  private decoded: (TraceEvent | null)[] = [];
  /** ustack frames, for the few records that carry them. */
  private readonly frames = new Map<number, string[]>();
  private free: number[] = [];
  // The slot the window released last in order stays reserved: the window compares arrivals with it.
  private reserved = -1;
  private readonly ctx: DecodeContext = newDecodeContext('darwin', 'dtrace');
  private readonly release: (slot: number) => void;
  // The pieces of input text held records keep, in arrival order: a ring of (length, records keeping it).
  // A piece is let go once no record keeps it and every piece before it is let go too, so `kept` may count
  // a piece a little longer than it is kept: a bound from above.
  private pieceLen = new Float64Array(64);
  private pieceRefs = new Int32Array(64);
  private pieceFirst = 0;
  private pieceEnd = 0;
  private lastPieceId = -1;
  /** Characters of input text kept by held records (an upper bound). */
  private kept = 0;
  private readonly maxText: number;
  private pages: (Buffer | null)[] = [];
  private pageRefs: number[] = [];
  private pagePool: Buffer[] = [];
  private freePageIds: number[] = [];
  private curPage = -1;
  private curAt = 0;

  constructor(
    opts: HeldOptions,
    private readonly sink: HeldSink,
  ) {
    this.maxText = opts.maxText ?? DEFAULT_REORDER_MAX_TEXT;
    const self = this;
    this.window = new ReorderWindow<number>(opts, {
      key: (x) => self.num[x * STRIDE + T]!,
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

  /** Order of release: t, then the exact ts (seconds, nanoseconds), then arrival, as compareEvents orders events. */
  private compare(x: number, y: number): number {
    const n = this.num;
    const a = x * STRIDE;
    const b = y * STRIDE;
    if (n[a + T] !== n[b + T]) return n[a + T]! < n[b + T]! ? -1 : 1;
    if (n[a + SEC] !== n[b + SEC]) return n[a + SEC]! < n[b + SEC]! ? -1 : 1;
    if (n[a + NSEC] !== n[b + NSEC]) return n[a + NSEC]! < n[b + NSEC]! ? -1 : 1;
    return n[a + SEQ]! - n[b + SEQ]!;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const num = new Float64Array(cap * STRIDE);
    num.set(this.num);
    this.num = num;
    for (let i = this.cap; i < cap; i++) {
      this.source.push(null);
      this.decoded.push(null);
    }
    // Lowest slots first, so a small window keeps to the start of the arrays.
    for (let i = cap - 1; i >= this.cap; i--) this.free.push(i);
    this.cap = cap;
  }

  /** Hold the parser's pending record (undecoded, or as r.decoded when it was decoded on arrival); `source` counted it. */
  hold(r: PendingRecord, source: SummaryAccumulator): void {
    if (this.free.length === 0) this.grow();
    const x = this.free.pop()!;
    const n = this.num;
    const o = x * STRIDE;
    const decoded = r.decoded;
    n[o + T] = r.keys[TS_T]!;
    n[o + SEC] = r.keys[TS_SEC]!;
    n[o + NSEC] = r.keys[TS_NSEC]!;
    n[o + SEQ] = r.seq;
    n[o + LINE_START] = r.lineStart;
    n[o + MARKER_AT] = r.markerAt;
    n[o + LINE_END] = r.lineEnd;
    n[o + LINE_NO] = r.lineNo;
    n[o + LINE_COUNT] = r.lines;
    n[o + KIND_FLAGS] = r.kindIndex * 8 + (r.style === 'bpftrace' ? 1 : 0) + (r.os === 'linux' ? 2 : 0) + (r.spliced ? 4 : 0);
    n[o + PIECE] = decoded === null ? this.keepPiece(r.text.length, r.textId) : -1;
    if (decoded === null) this.copyLine(r.text, r.lineStart, r.lineEnd, o);
    this.source[x] = source;
    this.decoded[x] = decoded;
    const frames = r.frames;
    let frameChars = 0;
    if (frames !== null) {
      // Copies: a frame cut from its line would keep a piece of input the count above does not see.
      for (let i = 0; i < frames.length; i++) {
        frames[i] = detachString(frames[i]!);
        frameChars += frames[i]!.length;
      }
      this.frames.set(x, frames);
      this.kept += frameChars;
    }
    n[o + FRAME_CHARS] = frameChars;
    this.window.push(x, this.release);
    // Too much input text kept alive: release early, as the count limit does.
    while (this.kept > this.maxText && this.window.size > 0) this.window.releaseNext(this.release);
  }

  /** Copy s[a..b) to a page; its place goes to num[o + COPY_PAGE], num[o + COPY_AT], num[o + COPY_WIDE]. */
  private copyLine(s: string, a: number, b: number, o: number): void {
    const line = s.slice(a, b);
    // An ASCII line (nearly all: bpftrace prints any byte outside ASCII as an escape) is copied a byte a
    // character, half the page space of UTF-16; any other line in UTF-16, so that it comes back exactly as it was.
    const wide = Buffer.byteLength(line, 'utf8') !== line.length;
    const bytes = wide ? (b - a) * 2 : b - a;
    if (this.curPage < 0 || this.curAt + bytes > this.pages[this.curPage]!.length) this.newPage(bytes);
    const page = this.pages[this.curPage]!;
    page.write(line, this.curAt, wide ? 'utf16le' : 'latin1');
    this.num[o + COPY_PAGE] = this.curPage;
    this.num[o + COPY_AT] = this.curAt;
    this.num[o + COPY_WIDE] = wide ? 1 : 0;
    this.pageRefs[this.curPage]!++;
    this.curAt += bytes;
  }

  private newPage(bytes: number): void {
    const old = this.curPage;
    const buf = bytes <= COPY_PAGE_BYTES ? (this.pagePool.pop() ?? Buffer.allocUnsafeSlow(COPY_PAGE_BYTES)) : Buffer.allocUnsafeSlow(bytes);
    const id = this.freePageIds.length > 0 ? this.freePageIds.pop()! : this.pages.length;
    if (id === this.pages.length) {
      this.pages.push(buf);
      this.pageRefs.push(0);
    } else {
      this.pages[id] = buf;
      this.pageRefs[id] = 0;
    }
    this.curPage = id;
    this.curAt = 0;
    if (old >= 0 && this.pageRefs[old] === 0) this.dropPage(old);
  }

  private dropPage(id: number): void {
    const buf = this.pages[id]!;
    this.pages[id] = null;
    this.freePageIds.push(id);
    if (buf.length === COPY_PAGE_BYTES && this.pagePool.length < COPY_PAGES_POOLED) this.pagePool.push(buf);
  }

  /** Characters of input text held records keep alive (an upper bound). */
  get keptText(): number {
    return this.kept;
  }

  /** The number of the piece of text `textId` (`length` characters), counted as kept by one more record. */
  private keepPiece(length: number, textId: number): number {
    if (textId !== this.lastPieceId || this.pieceFirst === this.pieceEnd) {
      if (this.pieceEnd - this.pieceFirst === this.pieceLen.length) this.growPieces();
      const i = this.pieceEnd++ % this.pieceLen.length;
      this.pieceLen[i] = length;
      this.pieceRefs[i] = 0;
      this.kept += length;
      this.lastPieceId = textId;
    }
    const last = this.pieceEnd - 1;
    this.pieceRefs[last % this.pieceLen.length]!++;
    return last;
  }

  /** One record less keeps piece p; pieces at the front that nothing keeps are let go. */
  private dropPiece(p: number): void {
    const cap = this.pieceLen.length;
    this.pieceRefs[p % cap]!--;
    while (this.pieceFirst < this.pieceEnd && this.pieceRefs[this.pieceFirst % cap] === 0) {
      this.kept -= this.pieceLen[this.pieceFirst % cap]!;
      this.pieceFirst++;
    }
    if (this.pieceFirst === this.pieceEnd) this.lastPieceId = -1;
  }

  private growPieces(): void {
    const cap = this.pieceLen.length;
    const len = new Float64Array(cap * 2);
    const refs = new Int32Array(cap * 2);
    for (let p = this.pieceFirst; p < this.pieceEnd; p++) {
      len[p % (cap * 2)] = this.pieceLen[p % cap]!;
      refs[p % (cap * 2)] = this.pieceRefs[p % cap]!;
    }
    this.pieceLen = len;
    this.pieceRefs = refs;
  }

  /** Release everything held, in order. */
  flush(): void {
    this.window.flush(this.release);
  }

  private releaseSlot(x: number): void {
    let ev: TraceEvent | null = this.decoded[x] ?? null;
    let frames: string[] | undefined;
    if (this.frames.size !== 0) {
      frames = this.frames.get(x);
      if (frames !== undefined) {
        this.frames.delete(x);
        this.kept -= this.num[x * STRIDE + FRAME_CHARS]!;
      }
    }
    const source = this.source[x]!;
    this.source[x] = null;
    let failed: Diagnostic | null = null;
    if (ev !== null) {
      this.decoded[x] = null;
    } else {
      const n = this.num;
      const o = x * STRIDE;
      this.dropPiece(n[o + PIECE]!);
      // The line comes back as a string of its own: positions below are relative to its start.
      const start = n[o + LINE_START]!;
      const pid = n[o + COPY_PAGE]!;
      const at = n[o + COPY_AT]!;
      const s =
        n[o + COPY_WIDE] === 0
          ? this.pages[pid]!.toString('latin1', at, at + n[o + LINE_END]! - start)
          : this.pages[pid]!.toString('utf16le', at, at + (n[o + LINE_END]! - start) * 2);
      if (--this.pageRefs[pid]! === 0 && pid !== this.curPage) this.dropPage(pid);
      const kf = n[o + KIND_FLAGS]!;
      const fl = kf & 7;
      const kind = (kf - fl) / 8;
      const ctx = this.ctx;
      ctx.style = (fl & 1) !== 0 ? 'bpftrace' : 'dtrace';
      ctx.os = (fl & 2) !== 0 ? 'linux' : 'darwin';
      const b = n[o + LINE_END]! - start;
      const line = n[o + LINE_NO]!;
      const d = decodeRecordOfKind(kind, s, n[o + MARKER_AT]! - start + MARKER_LEN, ctx, line, n[o + SEQ]!, b, n[o + T]!);
      if (d instanceof RecordError) {
        const e = d;
        const lines = n[o + LINE_COUNT]!;
        failed = diag('parse_error', line, s, { reason: e.reason, kind: e.kind, field: e.field }, lines);
        source.undoRecord(kind, lines, (fl & 4) !== 0);
        source.add(failed);
      } else ev = d;
    }
    // The slot the window now compares arrivals with stays reserved, and the one it replaces is free; a late
    // record is delivered without becoming that one, so its own slot is free at once.
    if (this.window.lastReleased === x) {
      if (this.reserved >= 0) this.free.push(this.reserved);
      this.reserved = x;
    } else this.free.push(x);
    if (failed !== null) {
      this.sink.diagnostic(failed);
      return;
    }
    if (frames !== undefined) (ev as { ustack?: string[] }).ustack = frames;
    this.sink.event(ev!);
  }
}

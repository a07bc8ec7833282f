/**
 * The parser core: text in, one ParseItem per input line out (a record with
 * its ustack frames, or a multi-line diagnostic, covers several lines). Lines
 * are found in the decoded chunk with indexOf and records decoded in place (a
 * line of the common kind never becomes a string of its own), CRLF is handled
 * and line length bounded as they are found. The streams that feed it are in
 * parser-stream.ts.
 */
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { Os } from '../protocol/flags.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import { MARKER_PREFIX } from '../protocol/registry.ts';
import { DiagnosticBlock } from './diagnostic-block.ts';
import { classifyLine, diag } from './diagnostics.ts';
import type { EscapeStyle } from './escape.ts';
import { checkParserOptions, DEFAULT_MAX_LINE_LENGTH, type ParserOptions } from './options.ts';
import type { HeldRecords } from './held.ts';
import { frameStart, isBlank, TOO_LONG_HEAD, TooLong } from './line-shapes.ts';
import { findMarker, MARKER_LEN, MARKER_LIKE } from './markers.ts';
import { newDecodeContext, RecordError, scanTs, type DecodeContext } from './record-fields.ts';
import { BEGIN_INDEX, decodeRecord, kindIndexOf, scanHead } from './records.ts';
import { PendingRecord } from './pending.ts';
import { SummaryAccumulator, type ParseSummary } from './summary.ts';
import type { ParseItem, RecordItem } from './types.ts';

/**
 * Numbers the strings records are cut from, across all parsers: the reorder
 * window counts the text its records keep alive by string, and comparing two
 * strings with === compares their characters, not which string they are.
 */
let textIds = 0;

/**
 * Most ustack frames attached to one record: tracers print at most a few hundred
 * (DTrace's ustackframes, bpftrace's perf stack limit), and a traced program that
 * prints indented lines after a record must not grow one record without bound.
 */
const MAX_FRAMES = 1024;

const enum Pending {
  None,
  Record,
  /** A multi-line diagnostic, in `block`. */
  Diagnostic,
}

/**
 * The line classifier and its state. Feed it lines (or a whole text through
 * `split`), then call `end()`; it calls `emit` once per item, in input order.
 */
export class ParserCore {
  readonly summary: SummaryAccumulator;
  private readonly emit: (item: ParseItem) => void;
  /** The caller's callback, for records (counted in the summary by kind index, not by name). */
  private readonly out: (item: ParseItem) => void;
  private readonly maxLen: number;
  private readonly headLen: number;
  private nonce: string | null;
  private marker: string | null;
  private readonly ctx: DecodeContext;
  private lineNo = 0;
  private seq = 0;
  // split state
  private discarding = false;
  private discardHead = '';
  // pending multi-line item
  private pending = Pending.None;
  /** The pending record as an item, when records are not held (parseText, createParser). */
  private pendingRecord: RecordItem | null = null;
  /** The pending record: where it is, its order keys, its frames (held or not). */
  private readonly rec = new PendingRecord();
  // The pending record when records are held undecoded (see held.ts).
  private readonly held: HeldRecords | null;
  private scanTextId = 0;
  private pendingBlankLine = 0;
  private readonly block: DiagnosticBlock;

  /**
   * @param held when given, records go into this reorder window undecoded
   *   (decoded as they leave it) instead of being emitted as items
   */
  constructor(opts: ParserOptions | undefined, emit: (item: ParseItem) => void, held?: HeldRecords) {
    const o = checkParserOptions(opts);
    this.held = held ?? null;
    this.emit = (item) => {
      this.summary.add(item);
      emit(item);
    };
    this.out = emit;
    this.maxLen = o.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.headLen = Math.min(TOO_LONG_HEAD, this.maxLen);
    this.nonce = o.nonce ?? null;
    this.marker = this.nonce === null ? null : MARKER_PREFIX + this.nonce + '\t';
    this.ctx = newDecodeContext((o.os ?? 'darwin') as Os, (o.backend ?? 'dtrace') as EscapeStyle);
    this.summary = new SummaryAccumulator({ authenticated: this.nonce !== null, nonce: this.nonce, os: this.ctx.os });
    this.block = new DiagnosticBlock(this.emit, this.maxLen, (l) => this.markerAt(l));
  }

  /** Current summary (late stays 0 here: the reorder window counts it). */
  result(): ParseSummary {
    return this.summary.result();
  }

  private tail = '';
  // Where the trace's marker was last searched for in the current text, and where it was found (-1: nowhere after).
  private markerFrom = Infinity;
  private markerPos = -1;

  /** Feed decoded text directly (no stream): lines are classified as they complete. */
  write(text: string): void {
    if (this.tail.length === 0) {
      this.scan(text, 0);
      return;
    }
    // tail + text would be a cons string, and reading characters of one is markedly slower than of the flat
    // chunk: only the line the tail starts is joined, the rest of the chunk is scanned as it came.
    const nl = text.indexOf('\n');
    const tail = this.tail;
    this.tail = '';
    if (nl < 0) {
      this.scan(tail + text, 0);
      return;
    }
    this.scan(tail + text.slice(0, nl + 1), 0);
    // Nothing is left over from a complete line; a discarded over-long tail ended at that newline too.
    this.scan(text, nl + 1);
  }

  /**
   * Classify the complete lines of s and keep the unterminated tail, without
   * making a string of every line. Over-long
   * lines become TooLong; a tail that is already too long is dropped as it
   * arrives so memory stays bounded.
   */
  private scan(s: string, from: number): void {
    this.scanTextId = ++textIds;
    let p = from;
    let nl = s.indexOf('\n', from);
    if (this.discarding) {
      if (nl < 0) return;
      this.discarding = false;
      this.line(new TooLong(this.discardHead));
      p = nl + 1;
      nl = s.indexOf('\n', p);
    }
    this.markerFrom = Infinity;
    const max = this.maxLen;
    while (nl >= 0) {
      let e = nl;
      if (e > p && s.charCodeAt(e - 1) === 13) e--;
      if (e - p > max) this.line(new TooLong(s.slice(p, p + this.headLen)));
      else this.lineAt(s, p, e);
      p = nl + 1;
      nl = s.indexOf('\n', p);
    }
    // +1: the tail may end in the CR of a CRLF whose LF is still to come.
    if (s.length - p > max + 1) {
      this.discarding = true;
      this.discardHead = s.slice(p, p + this.headLen);
    } else this.tail = p === 0 ? s : p === s.length ? '' : s.slice(p);
  }

  /** line() for the line s[a..b): the common lines are handled in place, the rest as a string. */
  private lineAt(s: string, a: number, b: number): void {
    const n = ++this.lineNo;
    this.summary.lines = n;
    if (this.pending !== Pending.None) {
      const c = a < b ? s.charCodeAt(a) : -1;
      if (this.pending === Pending.Record && c !== 32 && c !== 9 && c !== -1) {
        // Neither a stack frame nor the blank line before one: the record is complete.
        this.settle();
      } else if (this.continues(s.slice(a, b), n)) return;
    }
    const m = this.marker;
    if (m === null || a === b) {
      this.classify(s.slice(a, b), n);
      return;
    }
    const c = s.charCodeAt(a);
    if (c === 32 || c === 9) {
      this.classify(s.slice(a, b), n);
      return;
    }
    // One search finds the next marker in the text; lines before it need no search of their own.
    let at: number;
    if (this.markerFrom <= a && (this.markerPos >= a || this.markerPos === -1)) at = this.markerPos;
    else {
      at = s.indexOf(m, a);
      this.markerFrom = a;
      this.markerPos = at;
    }
    if (at >= 0 && at < b) this.recordAt(s, this.scanTextId, a, at, b, n);
    else this.classify(s.slice(a, b), n);
  }

  /** End of text fed with write(). */
  finish(): void {
    const t = this.tail;
    this.tail = '';
    if (t !== '' || this.discarding) this.finalLine(t);
    this.end();
  }

  /** Feed one complete line (from split). */
  line(l: string | TooLong): void {
    const n = ++this.lineNo;
    this.summary.lines = n;
    if (typeof l !== 'string') {
      this.settle();
      this.tooLong(l.head, n);
      return;
    }
    if (this.pending !== Pending.None && this.continues(l, n)) return;
    this.classify(l, n);
  }

  /** Feed the unterminated final fragment (at end of input). */
  finalLine(l: string): void {
    if (this.discarding) {
      this.discarding = false;
      this.line(new TooLong(this.discardHead));
      return;
    }
    // A CR at the very end is the first half of a CRLF cut short.
    if (l.length !== 0 && l.charCodeAt(l.length - 1) === 13) l = l.slice(0, -1);
    this.line(l.length > this.maxLen ? new TooLong(l.slice(0, this.headLen)) : l);
  }

  /** End of input: emit whatever is still pending. */
  end(): void {
    if (this.discarding) this.finalLine('');
    this.settle();
  }

  private tooLong(head: string, n: number): void {
    this.emit(diag('parse_error', n, head, { reason: 'line too long', maxLineLength: this.maxLen, kind: null, field: null }));
  }

  /** Try to attach line n to the pending item; false: the pending item was emitted and the line is unclaimed. */
  private continues(l: string, n: number): boolean {
    switch (this.pending) {
      case Pending.Record: {
        const fs = frameStart(l);
        const r = this.rec;
        if (fs >= 0 && (r.frames === null || r.frames.length < MAX_FRAMES)) {
          if (this.pendingBlankLine !== 0) {
            r.lines++;
            this.pendingBlankLine = 0;
          }
          (r.frames ??= []).push(l.slice(fs));
          r.lines++;
          return true;
        }
        if (r.frames === null && this.pendingBlankLine === 0 && l.length === 0) {
          // ustack() starts with a newline, so a record printed with its own "\n" is followed by one blank line.
          this.pendingBlankLine = n;
          return true;
        }
        this.settle();
        return false;
      }
      case Pending.Diagnostic: {
        const claimed = this.block.continues(l, n);
        if (!this.block.open) this.pending = Pending.None;
        return claimed;
      }
      default:
        return false;
    }
  }

  /** Emit the pending item. */
  private settle(): void {
    switch (this.pending) {
      case Pending.None:
        return;
      case Pending.Record: {
        const blank = this.pendingBlankLine;
        const r = this.rec;
        const frames = r.frames;
        this.pending = Pending.None;
        this.pendingBlankLine = 0;
        const held = this.held;
        if (held !== null) {
          this.summary.addRecord(r.kindIndex, r.lines, r.spliced);
          held.hold(r, this.summary);
          r.text = '';
          r.decoded = null;
        } else {
          const rec = this.pendingRecord!;
          this.pendingRecord = null;
          rec.lines = r.lines;
          if (frames !== null) (rec.event as { ustack?: string[] }).ustack = frames;
          this.summary.addRecord(r.kindIndex, rec.lines, rec.prefix !== undefined);
          this.out(rec);
        }
        r.frames = null;
        if (blank !== 0) this.emit({ type: 'blank', line: blank });
        return;
      }
      case Pending.Diagnostic:
        this.pending = Pending.None;
        this.block.settle(null);
        return;
    }
  }

  /** Position of the trace's marker in the line (locking the nonce when unauthenticated), or -1. */
  private markerAt(l: string): number {
    const m = this.marker;
    if (m !== null) {
      if (l.startsWith(m)) return 0;
      return l.indexOf(m);
    }
    const i = findMarker(l, 0);
    if (i >= 0) {
      // Unauthenticated: lock on the first nonce seen, so later lines with another nonce are forged.
      this.nonce = l.slice(i + MARKER_PREFIX.length, i + MARKER_PREFIX.length + 16);
      this.marker = MARKER_PREFIX + this.nonce + '\t';
      this.summary.nonce = this.nonce;
      this.markerFrom = Infinity;
    }
    return i;
  }

  private classify(l: string, n: number): void {
    if (l.length === 0 || ((l.charCodeAt(0) === 32 || l.charCodeAt(0) === 9) && isBlank(l))) {
      this.emit({ type: 'blank', line: n });
      return;
    }
    const at = this.markerAt(l);
    if (at >= 0) {
      this.record(l, at, n);
      return;
    }
    if (this.block.start(l, n)) {
      if (this.block.open) this.pending = Pending.Diagnostic;
      return;
    }
    const d: Diagnostic | null = classifyLine(l, n);
    if (d !== null) {
      this.emit(d);
      return;
    }
    if (MARKER_LIKE.test(l)) this.emit({ type: 'foreign', line: n, text: l, forged: true });
    else this.emit({ type: 'foreign', line: n, text: l });
  }

  private record(l: string, at: number, n: number): void {
    this.recordAt(l, ++textIds, 0, at, l.length, n);
  }

  /** The record whose marker is at s[at], on the line s[a..b). */
  private recordAt(s: string, textId: number, a: number, at: number, b: number, n: number): void {
    const held = this.held;
    const keys = this.rec.keys;
    let k = -1;
    if (held !== null) {
      k = scanHead(s, at + MARKER_LEN, b, keys);
      // begin changes how the records after it decode, so it is decoded now; so is a line whose head is bad, to say why.
      if (k >= 0 && k !== BEGIN_INDEX) {
        this.holdPending(s, textId, a, at, b, n, k, null);
        return;
      }
    }
    const ev = decodeRecord(s, at + MARKER_LEN, this.ctx, n, this.seq, b);
    if (ev instanceof RecordError) {
      this.emit(diag('parse_error', n, s.slice(a, b), { reason: ev.reason, kind: ev.kind, field: ev.field }));
      return;
    }
    if (held !== null) {
      // What the decoder accepted, scanHead accepts too; the ts is read again only if this ever disagreed.
      if (k < 0 && !scanTs(ev.ts, 0, ev.ts.length, keys)) keys.fill(ev.t);
      this.holdPending(s, textId, a, at, b, n, kindIndexOf(ev.kind), ev);
    } else {
      this.seq++;
      this.pending = Pending.Record;
      this.rec.kindIndex = kindIndexOf(ev.kind);
      this.rec.lines = 1;
      this.pendingRecord = at === a ? { type: 'record', event: ev, lines: 1 } : { type: 'record', event: ev, lines: 1, prefix: s.slice(a, at) };
    }
    if (ev.kind === 'begin') {
      this.ctx.os = ev.os as Os;
      this.ctx.style = ev.backend as EscapeStyle;
      this.summary.os = this.ctx.os;
    }
  }

  /** Make the record on s[a..b) the pending one, to be held undecoded (or as `decoded`) once its frames are known; its keys are in rec.keys. */
  private holdPending(s: string, textId: number, a: number, at: number, b: number, n: number, kind: number, decoded: TraceEvent | null): void {
    const r = this.rec;
    this.pending = Pending.Record;
    r.text = s;
    r.textId = textId;
    r.lineStart = a;
    r.markerAt = at;
    r.lineEnd = b;
    r.lineNo = n;
    r.lines = 1;
    r.seq = this.seq++;
    r.kindIndex = kind;
    r.style = this.ctx.style;
    r.os = this.ctx.os;
    r.spliced = at !== a;
    r.decoded = decoded;
  }
}

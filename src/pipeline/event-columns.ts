/**
 * Events handed from the replay worker to the engine's thread as columns of
 * numbers and one string, not as cloned objects: structured cloning an event
 * costs 2.3–2.8 µs, more than the engine spends on it (docs/performance.md).
 *
 * A batch is an entry code per item (a record kind's registry index, or a
 * diagnostic or foreign line, which are rare and travel as cloned objects), a
 * Float64Array of each event's numbers in wire order (ints as themselves,
 * booleans as 0/1, strings as their length, -1 for a NULL string) and the
 * event's strings joined into one. Process names, repeated on every record of
 * a process, travel once each as a number in a table both sides keep.
 *
 * Both ends are generated from the registry, one function per kind, and the
 * reader builds each event as one object literal with the properties in the
 * order the parser's decoders give them (records.ts), so that an event printed
 * as JSON reads exactly as it would on the single-threaded path.
 */
import { RECORD_KINDS, wireFields, type RecordKind, type TraceEvent } from '../protocol/registry.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';

/** Entry codes besides a record kind's registry index. */
export const ENTRY_DIAGNOSTIC = 255;
export const ENTRY_FOREIGN = 254;
/** The events after this entry take their strings from the batch's next text. */
export const ENTRY_NEXT_TEXT = 253;

/** Process names a table holds before both ends start a new one. */
const MAX_NAMES = 16384;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Values the parser derives for some kinds, after the wire fields (records.ts makeDecoder). */
function derivedOf(kind: RecordKind): 'mmap' | 'prevAnon' | null {
  return kind === 'mmap' ? 'mmap' : kind === 'mprotect' || kind === 'vm_protect' ? 'prevAnon' : null;
}

/** What describes one batch besides its columns, which stay in the slot they were written to. */
export interface EventBatch {
  readonly count: number;
  /** The events' strings, joined into texts of at most about TEXT_PART characters each. */
  readonly texts: string[];
  /** Process names first seen in this batch, numbered on from the table's size (or from 0 after `newNames`). */
  readonly names: string[];
  readonly newNames: boolean;
  /** Diagnostics (Diagnostic) and foreign lines (string), in entry order. */
  readonly objects: unknown[];
}

/** Where a batch's columns are written: arrays over shared memory, reused batch after batch. */
export interface BatchSlot {
  readonly entries: Uint8Array;
  readonly numbers: Float64Array;
}

/**
 * Entries and numbers one slot holds: a batch is sent when its slot is full or a piece of input
 * is parsed, so that the two threads hand over a few times per megabyte of input, not per event.
 */
export const SLOT_ENTRIES = 16384;
export const SLOT_NUMBERS = 16384 * 24;
/**
 * Characters joined into one text of a batch: each stays a regular object (V8 puts strings over
 * 128 KiB in large-object space, freed only by a full collection).
 */
const TEXT_PART = 60_000;

/** A slot's arrays over two shared buffers (new ones when not given). */
export function batchSlot(buffers?: { entries: SharedArrayBuffer; numbers: SharedArrayBuffer }): BatchSlot & { buffers: { entries: SharedArrayBuffer; numbers: SharedArrayBuffer } } {
  const b = buffers ?? { entries: new SharedArrayBuffer(SLOT_ENTRIES), numbers: new SharedArrayBuffer(SLOT_NUMBERS * 8) };
  return { entries: new Uint8Array(b.entries), numbers: new Float64Array(b.numbers), buffers: b };
}

type Writer = (e: TraceEvent, n: Float64Array, i: number, parts: string[], nameId: (s: string) => number) => number;
type Reader = (n: Float64Array, at: Int32Array, text: string, names: string[]) => TraceEvent;

function checkIdent(name: string): void {
  if (!IDENT.test(name)) throw new Error(`registry name ${name} is not an identifier`);
}

function makeWriter(kind: RecordKind): Writer {
  const lines = ['n[i++] = e.line; n[i++] = e.seq; n[i++] = e.t;'];
  for (const f of wireFields(kind)) {
    checkIdent(f.name);
    const v = `e.${f.name}`;
    if (f.name === 'comm') lines.push(`n[i++] = nameId(${v});`);
    else if (f.type === 'int') lines.push(`n[i++] = ${v};`);
    else if (f.type === 'trunc') lines.push(`n[i++] = ${v} ? 1 : 0;`);
    else if (f.type === 'str?') lines.push(`{ const v = ${v}; if (v === null) n[i++] = -1; else { n[i++] = v.length; parts.push(v); } }`);
    else lines.push(`{ const v = ${v}; n[i++] = v.length; parts.push(v); }`);
  }
  const d = derivedOf(kind);
  if (d === 'mmap') lines.push('n[i++] = (e.anon ? 1 : 0) + (e.jit ? 2 : 0) + (e.shared ? 4 : 0) + (e.fixed ? 8 : 0);');
  else if (d === 'prevAnon') lines.push('n[i++] = e.prevAnon === null ? -1 : e.prevAnon ? 1 : 0;');
  // ustack: the frame count (0: none), then each frame as a string.
  lines.push('const u = e.ustack; if (u === undefined) n[i++] = 0; else { n[i++] = u.length; for (let k = 0; k < u.length; k++) { n[i++] = u[k].length; parts.push(u[k]); } }');
  lines.push('return i;');
  return new Function(`return function write_${kind}(e, n, i, parts, nameId) {\n${lines.join('\n')}\n};`)() as Writer;
}

function makeReader(kind: RecordKind): Reader {
  const lines = ['let i = at[0]; let p = at[1]; let len = 0;', 'const line = n[i++]; const seq = n[i++]; const t = n[i++];'];
  const props = [`kind: ${JSON.stringify(kind)}`];
  wireFields(kind).forEach((f, k) => {
    checkIdent(f.name);
    const v = `f${k}`;
    props.push(`${f.name}: ${v}`);
    if (f.name === 'comm') lines.push(`const ${v} = names[n[i++]];`);
    else if (f.type === 'int') lines.push(`const ${v} = n[i++];`);
    else if (f.type === 'trunc') lines.push(`const ${v} = n[i++] === 1;`);
    else if (f.type === 'str?') lines.push(`let ${v} = null; len = n[i++]; if (len >= 0) { ${v} = text.slice(p, p + len); p += len; }`);
    else lines.push(`len = n[i++]; const ${v} = text.slice(p, p + len); p += len;`);
  });
  const d = derivedOf(kind);
  if (d === 'mmap') {
    lines.push('const d = n[i++];');
    props.push('anon: (d & 1) !== 0', 'jit: (d & 2) !== 0', 'shared: (d & 4) !== 0', 'fixed: (d & 8) !== 0');
  } else if (d === 'prevAnon') {
    lines.push('const d = n[i++];');
    props.push('prevAnon: d < 0 ? null : d === 1');
  }
  props.push('line: line', 'seq: seq', 't: t');
  lines.push(`const e = { ${props.join(', ')} };`);
  lines.push('const u = n[i++]; if (u > 0) { const fr = new Array(u); for (let k = 0; k < u; k++) { len = n[i++]; fr[k] = text.slice(p, p + len); p += len; } e.ustack = fr; }');
  lines.push('at[0] = i; at[1] = p; return e;');
  return new Function(`return function read_${kind}(n, at, text, names) {\n${lines.join('\n')}\n};`)() as Reader;
}

const KIND_INDEX = new Map<string, number>(RECORD_KINDS.map((k, i) => [k, i]));
const WRITERS: Writer[] = RECORD_KINDS.map(makeWriter);
const READERS: Reader[] = RECORD_KINDS.map(makeReader);
/** Most numbers one event takes besides its ustack frames. */
const MAX_EVENT_NUMBERS = 5 + Math.max(...RECORD_KINDS.map((k) => wireFields(k).length));

/**
 * Collects events, diagnostics and foreign lines into batches (the worker's end). `next` is
 * called when a batch is full: it sends the batch collected in the current slot and returns the
 * slot to write the next one to.
 */
export class BatchWriter {
  private count = 0;
  private at = 0;
  private parts: string[] = [];
  private textChars = 0;
  private texts: string[] = [];
  private objects: unknown[] = [];
  private readonly nameIds = new Map<string, number>();
  private newNames: string[] = [];
  private resetNames = false;
  private readonly nameId = (s: string): number => {
    let id = this.nameIds.get(s);
    if (id === undefined) {
      id = this.nameIds.size;
      this.nameIds.set(s, id);
      this.newNames.push(s);
    }
    return id;
  };

  constructor(
    private slot: BatchSlot,
    private readonly next: (batch: EventBatch) => BatchSlot,
  ) {}

  get size(): number {
    return this.count;
  }

  private room(numbers: number): void {
    // Two entries: the item's own and a switch of text.
    if (this.count + 2 > SLOT_ENTRIES || this.at + numbers > SLOT_NUMBERS) this.send();
    else if (this.textChars >= TEXT_PART) {
      this.texts.push(this.parts.join(''));
      this.parts = [];
      this.textChars = 0;
      this.slot.entries[this.count++] = ENTRY_NEXT_TEXT;
    }
  }

  event(e: TraceEvent): void {
    const k = KIND_INDEX.get(e.kind)!;
    this.room(MAX_EVENT_NUMBERS + (e.ustack === undefined ? 0 : 2 * e.ustack.length));
    const before = this.parts.length;
    this.at = WRITERS[k]!(e, this.slot.numbers, this.at, this.parts, this.nameId);
    for (let i = before; i < this.parts.length; i++) this.textChars += this.parts[i]!.length;
    this.slot.entries[this.count++] = k;
  }

  diagnostic(d: Diagnostic): void {
    this.room(0);
    this.objects.push(d);
    this.slot.entries[this.count++] = ENTRY_DIAGNOSTIC;
  }

  foreign(text: string): void {
    this.room(0);
    this.objects.push(text);
    this.slot.entries[this.count++] = ENTRY_FOREIGN;
  }

  /** Send what is collected (an empty batch too: it carries the sender's news) and go on in the next slot. */
  send(): void {
    this.texts.push(this.parts.join(''));
    const batch: EventBatch = { count: this.count, texts: this.texts, names: this.newNames, newNames: this.resetNames, objects: this.objects };
    this.texts = [];
    this.count = 0;
    this.at = 0;
    this.parts = [];
    this.objects = [];
    this.newNames = [];
    this.resetNames = false;
    this.textChars = 0;
    // The table starts over between batches, never within one: it may pass its bound by one batch's names.
    if (this.nameIds.size >= MAX_NAMES) {
      this.nameIds.clear();
      this.resetNames = true;
    }
    this.slot = this.next(batch);
  }
}

export interface BatchSink {
  event(e: TraceEvent): void;
  diagnostic(d: Diagnostic): void;
  foreign(text: string): void;
}

/** Turns batches back into events, diagnostics and foreign lines, in order (the engine's end). */
export class BatchReader {
  private names: string[] = [];
  private readonly at = new Int32Array(2);

  read(b: EventBatch, slot: BatchSlot, sink: BatchSink): void {
    if (b.newNames) this.names = [];
    for (const s of b.names) this.names.push(s);
    const at = this.at;
    at[0] = 0;
    at[1] = 0;
    const { texts, objects } = b;
    const { entries, numbers } = slot;
    const names = this.names;
    let text = texts[0]!;
    let t = 0;
    let o = 0;
    for (let k = 0; k < b.count; k++) {
      const code = entries[k]!;
      if (code < ENTRY_NEXT_TEXT) sink.event(READERS[code]!(numbers, at, text, names));
      else if (code === ENTRY_DIAGNOSTIC) sink.diagnostic(objects[o++] as Diagnostic);
      else if (code === ENTRY_FOREIGN) sink.foreign(objects[o++] as string);
      else {
        text = texts[++t]!;
        at[1] = 0;
      }
    }
  }
}

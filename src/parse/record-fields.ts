/**
 * The field scanners records are decoded with: numbers, timestamps, words and
 * hex bytes read from a range of a line, the errors a record decodes to, and
 * scanTs, which reads a ts and its order keys without decoding the record.
 */
import type { Os } from '../protocol/flags.ts';
import { RECORD_KINDS, wireFields, type TraceEvent } from '../protocol/registry.ts';
import { FieldDecoder, type EscapeStyle } from './escape.ts';
import { Interner } from './intern.ts';

/** Why a record did not decode: what a decoder returns instead of an event. */
export class RecordError {
  constructor(
    readonly reason: string,
    readonly kind: string | null,
    readonly field: string | null,
  ) {}
}

/** A decoded event, or why the record did not decode. */
export type Decoded = TraceEvent | RecordError;

export function fail(reason: string, kind: string | null, field: string | null): RecordError {
  return new RecordError(reason, kind, field);
}

/** Canonical `0x…` form of the `%llx` field s[a..b), or null. */
export function decodeU64(s: string, a = 0, b = s.length): string | null {
  const len = b - a;
  if (len === 0 || len > 16) return null;
  let lead = a;
  let lower = true;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c === 48 && lead === i) lead++;
    } else if (c >= 97 && c <= 102) {
      // lowercase hex
    } else if (c >= 65 && c <= 70) {
      lower = false;
    } else return null;
  }
  if (lead === b) return '0x0';
  const digits = s.slice(lead, b);
  return '0x' + (lower ? digits : digits.toLowerCase());
}

/** The decimal int s[a..b) if it fits a JS number exactly, or NaN. */
export function decodeInt(s: string, a: number, b: number): number {
  let i = a;
  let neg = false;
  if (b > a && s.charCodeAt(a) === 45) {
    neg = true;
    i = a + 1;
  }
  if (i === b || b - i > 16) return NaN;
  let v = 0;
  for (; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (v > Number.MAX_SAFE_INTEGER) return NaN;
  return neg ? (v === 0 ? 0 : -v) : v;
}

/** End of the field starting at a: its TAB, or the end of the line. */
export function fieldEnd(s: string, a: number, len: number): number {
  const e = s.indexOf('\t', a);
  return e < 0 || e > len ? len : e;
}

export const U64_MAX_DEC = '18446744073709551615';

/** Canonical decimal of the `%llu` nanosecond timestamp s[a..b), or null; its order keys go to `keys` (see scanTs). */
export function decodeTs(s: string, a = 0, b = s.length, keys: Float64Array = new Float64Array(3)): string | null {
  if (!scanTs(s, a, b, keys)) return null;
  let lead = a;
  while (lead < b && s.charCodeAt(lead) === 48) lead++;
  return lead === b ? '0' : s.slice(lead, b);
}

export function isWord(s: string, a: number, b: number): boolean {
  if (b === a) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (
      !(
        (c >= 97 && c <= 122) ||
        (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 57) ||
        c === 95 /* _ */ ||
        c === 46 /* . */ ||
        c === 45 /* - */
      )
    ) {
      return false;
    }
  }
  return true;
}

export function isHexBytes(s: string, a: number, b: number): boolean {
  if ((b - a) % 2 !== 0) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Parser context a record is decoded in: changed by `begin` records. */
export interface DecodeContext {
  os: Os;
  style: EscapeStyle;
  /** Decodes the escaped string fields. */
  readonly fields: FieldDecoder;
  /** Interns the process names. */
  readonly names: Interner;
  /** Scratch of the table-driven decoder (record-generic.ts): a record's values, which its builder copies, and its ts's order keys. */
  readonly values: unknown[];
  readonly tsKeys: Float64Array;
}

/** Most fields of any record kind, common fields included. */
const MAX_FIELDS = Math.max(...RECORD_KINDS.map((k) => wireFields(k).length));

/** A context of its own (string decoder and name caches included) for a parser or reorder window. */
export function newDecodeContext(os: Os, style: EscapeStyle): DecodeContext {
  const fields = new FieldDecoder();
  return { os, style, fields, names: new Interner(fields), values: new Array<unknown>(MAX_FIELDS).fill(0), tsKeys: new Float64Array(3) };
}

export function miscount(s: string, from: number, end: number, kind: string, want: number): RecordError {
  let got = 0;
  for (let i = s.indexOf('\t', from); i >= 0 && i < end; i = s.indexOf('\t', i + 1)) got++;
  return fail(`expected ${want} fields after the kind, got ${got}`, kind, null);
}

/** The start of a bad field, for its error message. */
export function rawAt(s: string, a: number, b: number): string {
  return s.slice(a, Math.min(b, a + 40));
}


/**
 * Order keys of a ts, as scanTs writes them: the record's t (computed exactly
 * as the decoders compute it), and its ts as whole seconds and the nanoseconds
 * within them, two exact numbers whose order is the order of the 64-bit ts.
 */
export const TS_T = 0;
export const TS_SEC = 1;
export const TS_NSEC = 2;
/** Read the ts field s[a..e) into `keys` (TS_T, TS_SEC, TS_NSEC); false if decodeRecord would not accept it. */
export function scanTs(s: string, a: number, e: number, keys: Float64Array): boolean {
  const len = e - a;
  if (len === 0 || len > 20) return false;
  let i = a;
  while (i < e && s.charCodeAt(i) === 48) i++;
  const lead = i;
  const split = e - 6;
  let ms = 0;
  let ns = 0;
  for (; i < split; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    ms = ms * 10 + d;
  }
  for (; i < e; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    ns = ns * 10 + d;
  }
  if (e - lead === 20 && s.slice(lead, e) > U64_MAX_DEC) return false;
  // ms has at most 14 digits, so these stay exact integers.
  const msInSec = ms % 1000;
  keys[TS_T] = ms + ns / 1e6;
  keys[TS_SEC] = (ms - msInSec) / 1000;
  keys[TS_NSEC] = msInSec * 1e6 + ns;
  return true;
}

/**
 * Record field decoding, compiled once from the registry. This is the parser's
 * hot path: no regexes, no zod, one object per record (the event itself).
 */
import { MAP_BITS, mmapTraits, type Os } from '../protocol/flags.ts';
import { RECORD_KINDS, wireFields, type RecordKind, type TraceEvent, type WireType } from '../protocol/registry.ts';
import { decodeFieldRange, fieldError, fieldTerminated, type EscapeStyle } from './escape.ts';

const enum T {
  Int,
  U64,
  Ts,
  Str,
  StrOpt,
  Trunc,
  Word,
  Bytes,
}

const TYPE_CODE: Record<WireType, T> = {
  int: T.Int,
  u64: T.U64,
  ts: T.Ts,
  str: T.Str,
  'str?': T.StrOpt,
  trunc: T.Trunc,
  word: T.Word,
  bytes: T.Bytes,
};

const enum Derive {
  None,
  Mmap,
  PrevAnon,
}

/** Builds the event from decoded values: one object literal per kind, so every event of a kind shares one shape. */
type Builder = (v: unknown[], line: number, seq: number, t: number, os: Os) => TraceEvent;

interface KindDecoder {
  readonly kind: RecordKind;
  readonly names: readonly string[];
  readonly types: readonly T[];
  readonly build: Builder;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Generate a kind's builder from the registry. Generated code because a literal
 * with the kind's fields is several times faster than adding properties by
 * name in a loop; names are registry identifiers, checked below.
 */
function makeBuilder(kind: RecordKind, names: readonly string[], derive: Derive): Builder {
  for (const n of [kind, ...names]) if (!IDENT.test(n)) throw new Error(`registry name ${n} is not an identifier`);
  const props = [`kind: ${JSON.stringify(kind)}`, ...names.map((n, i) => `${n}: v[${i}]`)];
  let pre = '';
  if (derive === Derive.Mmap) {
    pre = `const tr = h.mmapTraits(v[${names.indexOf('flags')}], os);`;
    props.push('anon: tr.anon', 'jit: tr.jit', 'shared: tr.shared', 'fixed: tr.fixed');
  } else if (derive === Derive.PrevAnon) {
    pre = `const pf = v[${names.indexOf('prevFlags')}];`;
    props.push('prevAnon: pf < 0 ? null : (pf & h.MAP_BITS[os].anon) !== 0');
  }
  props.push('line: line', 'seq: seq', 't: t');
  const body = `return function build_${kind}(v, line, seq, t, os) { ${pre} return { ${props.join(', ')} }; };`;
  return new Function('h', body)({ mmapTraits, MAP_BITS }) as Builder;
}

const DECODERS = new Map<string, KindDecoder>();
for (const kind of RECORD_KINDS) {
  const fields = wireFields(kind);
  const names = fields.map((f) => f.name);
  const derive = kind === 'mmap' ? Derive.Mmap : kind === 'mprotect' || kind === 'vm_protect' ? Derive.PrevAnon : Derive.None;
  DECODERS.set(kind, { kind, names, types: fields.map((f) => TYPE_CODE[f.type]), build: makeBuilder(kind, names, derive) });
}

const MAX_FIELDS = Math.max(...RECORD_KINDS.map((k) => wireFields(k).length));
// Decoded values of the record being decoded; reused, the builder copies them into the event.
const vals: unknown[] = new Array(MAX_FIELDS).fill(0);

/** Why the last decodeRecord call failed. */
export interface RecordError {
  reason: string;
  kind: string | null;
  field: string | null;
}

export let recordError: RecordError = { reason: '', kind: null, field: null };

function fail(reason: string, kind: string | null, field: string | null): null {
  recordError = { reason, kind, field };
  return null;
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
export function decodeInt(s: string, a = 0, b = s.length): number {
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
  if (!Number.isSafeInteger(v)) return NaN;
  return neg ? (v === 0 ? 0 : -v) : v;
}

/** Where the last scanInt stopped: the field's TAB, the end of the line, or a bad character. */
let scanEnd = 0;

/** Decode a decimal int from s[a] up to the next TAB or the end; NaN if it is not one. Sets scanEnd. */
function scanInt(s: string, a: number, len: number): number {
  let i = a;
  let neg = false;
  if (i < len && s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  const d0 = i;
  let v = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 9) break;
    const d = c - 48;
    if (d < 0 || d > 9) {
      scanEnd = i;
      return NaN;
    }
    v = v * 10 + d;
  }
  scanEnd = i;
  if (i === d0 || i - d0 > 16 || v > Number.MAX_SAFE_INTEGER) return NaN;
  return neg ? (v === 0 ? 0 : -v) : v;
}

function fieldEnd(s: string, a: number): number {
  const e = s.indexOf('\t', a);
  return e < 0 ? s.length : e;
}

const U64_MAX_DEC = '18446744073709551615';

/** Milliseconds of the last timestamp decodeTs accepted. */
let lastTsMs = 0;

/** Canonical decimal of the `%llu` nanosecond timestamp s[a..b), or null; sets lastTsMs. */
export function decodeTs(s: string, a = 0, b = s.length): string | null {
  const len = b - a;
  if (len === 0 || len > 20) return null;
  let lead = a;
  // Whole ms (exact in a double up to 2^53) and the ns remainder, computed without slicing.
  let ms = 0;
  let ns = 0;
  const split = b - 6;
  for (let i = a; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    if (d === 0 && lead === i) lead++;
    if (i < split) ms = ms * 10 + d;
    else ns = ns * 10 + d;
  }
  const out = lead === b ? '0' : s.slice(lead, b);
  if (out.length === 20 && out > U64_MAX_DEC) return null;
  lastTsMs = ms + ns / 1e6;
  return out;
}

/** Milliseconds (a double) of a nanosecond decimal string. */
export function tsToMs(ts: string): number {
  return decodeTs(ts) === null ? NaN : lastTsMs;
}

function isWord(s: string, a: number, b: number): boolean {
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

function isHexBytes(s: string, a: number, b: number): boolean {
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
}

/** Whether a kind name is in the registry. */
export function isKnownKind(kind: string): kind is RecordKind {
  return DECODERS.has(kind);
}

function miscount(s: string, from: number, kind: string, want: number): null {
  let got = 0;
  for (let i = s.indexOf('\t', from); i >= 0; i = s.indexOf('\t', i + 1)) got++;
  return fail(`expected ${want} fields after the kind, got ${got}`, kind, null);
}

/** The start of a bad field, for its error message. */
function rawAt(s: string, a: number, b: number): string {
  return s.slice(a, Math.min(b, a + 40));
}

/**
 * Decode the record whose kind starts at s[pos] (after the marker and its TAB),
 * scanning fields in place so that numbers never become substrings. Returns the
 * event, or null with `recordError` saying which field failed and why.
 */
export function decodeRecord(s: string, pos: number, ctx: DecodeContext, line: number, seq: number): TraceEvent | null {
  let end = s.indexOf('\t', pos);
  const kind = end < 0 ? s.slice(pos) : s.slice(pos, end);
  const dec = DECODERS.get(kind);
  if (dec === undefined) return fail(kind === '' ? 'missing record kind' : `unknown record kind '${kind.slice(0, 64)}'`, null, null);
  const names = dec.names;
  const types = dec.types;
  const n = names.length;
  if (end < 0) return miscount(s, pos, kind, n);
  let style = ctx.style;
  let os = ctx.os;
  if (kind === 'begin') {
    // The begin record names its own backend, and with it the escaping of its own strings.
    const last = s.lastIndexOf('\t');
    const b = s.slice(last + 1);
    if (b === 'dtrace' || b === 'bpftrace') style = b;
  }
  const v = vals;
  let terminated = true;
  let t = 0;
  const len = s.length;
  for (let i = 0; i < n; i++) {
    const a = end + 1;
    const ty = types[i];
    if (ty === T.Int) {
      // Numbers are decoded while looking for their TAB: one pass, no substring.
      const x = scanInt(s, a, len);
      end = scanEnd;
      if (x !== x) {
        end = fieldEnd(s, a);
        return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not a safe decimal integer`, kind, names[i]!);
      }
      if (end === len ? i !== n - 1 : i === n - 1) return miscount(s, pos, kind, n);
      v[i] = x;
      continue;
    }
    end = s.indexOf('\t', a);
    if (end < 0) {
      if (i !== n - 1) return miscount(s, pos, kind, n);
      end = len;
    } else if (i === n - 1) return miscount(s, pos, kind, n);
    switch (ty) {
      case T.U64: {
        const x = decodeU64(s, a, end);
        if (x === null) return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not 1 to 16 hex digits`, kind, names[i]!);
        v[i] = x;
        break;
      }
      case T.Ts: {
        const x = decodeTs(s, a, end);
        if (x === null) return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not an unsigned 64-bit decimal`, kind, names[i]!);
        v[i] = x;
        t = lastTsMs;
        break;
      }
      case T.StrOpt:
      case T.Str: {
        if (a === end && types[i] === T.StrOpt) {
          // An empty optional string field is a NULL pointer; an empty string prints its terminator.
          v[i] = null;
          terminated = true;
          break;
        }
        const x = decodeFieldRange(s, a, end, style);
        if (x === null) return fail(`field ${names[i]}: ${fieldError()}`, kind, names[i]!);
        terminated = fieldTerminated();
        v[i] = x;
        break;
      }
      case T.Trunc: {
        // `-`: the script cannot tell; a string with no NUL padding filled its buffer (reference linux-bpftrace.md).
        const c = end - a === 1 ? s.charCodeAt(a) : 0;
        if (c === 48 /* 0 */) v[i] = false;
        else if (c === 49 /* 1 */) v[i] = true;
        else if (c === 45 /* - */) v[i] = !terminated;
        else return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not 0, 1 or -`, kind, names[i]!);
        break;
      }
      case T.Word:
        if (!isWord(s, a, end)) return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not a word [A-Za-z0-9_.-]+`, kind, names[i]!);
        v[i] = s.slice(a, end);
        break;
      case T.Bytes:
        if (!isHexBytes(s, a, end)) return fail(`field ${names[i]}: not an even number of lowercase hex digits`, kind, names[i]!);
        v[i] = s.slice(a, end);
        break;
    }
  }
  if (kind === 'begin') {
    const o = v[names.indexOf('os')];
    const b = v[names.indexOf('backend')];
    if (o !== 'darwin' && o !== 'linux') return fail(`field os: '${String(o)}' is not darwin or linux`, kind, 'os');
    if (b !== 'dtrace' && b !== 'bpftrace') return fail(`field backend: '${String(b)}' is not dtrace or bpftrace`, kind, 'backend');
    os = o;
  }
  return dec.build(v, line, seq, t, os);
}

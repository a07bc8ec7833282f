/**
 * Record field decoding, compiled once from the registry. This is the parser's
 * hot path: no regexes, no zod, one object per record (the event itself).
 *
 * Every record kind gets a decoder generated from its registry fields: one
 * straight-line function that scans the fields of a line in place (a range of
 * the chunk the line came in, so lines never become strings of their own),
 * with numbers decoded while their digits are checked and the event built as
 * one object literal. The table-driven `decodeRecordGeneric` is the reference
 * the generated decoders must agree with (and decodes `begin`, whose own
 * backend field changes how its strings are read).
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
// Scratch of decodeRecordGeneric, reused (it never calls itself): the values of the record being
// decoded, which the builder copies into the event, and its ts's order keys.
const vals: unknown[] = new Array(MAX_FIELDS).fill(0);
const tsKeys = new Float64Array(3);

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

function fail(reason: string, kind: string | null, field: string | null): RecordError {
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
function decodeInt(s: string, a: number, b: number): number {
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
function fieldEnd(s: string, a: number, len: number): number {
  const e = s.indexOf('\t', a);
  return e < 0 || e > len ? len : e;
}

const U64_MAX_DEC = '18446744073709551615';

/** Canonical decimal of the `%llu` nanosecond timestamp s[a..b), or null; its order keys go to `keys` (see scanTs). */
export function decodeTs(s: string, a = 0, b = s.length, keys: Float64Array = new Float64Array(3)): string | null {
  if (!scanTs(s, a, b, keys)) return null;
  let lead = a;
  while (lead < b && s.charCodeAt(lead) === 48) lead++;
  return lead === b ? '0' : s.slice(lead, b);
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

function miscount(s: string, from: number, end: number, kind: string, want: number): RecordError {
  let got = 0;
  for (let i = s.indexOf('\t', from); i >= 0 && i < end; i = s.indexOf('\t', i + 1)) got++;
  return fail(`expected ${want} fields after the kind, got ${got}`, kind, null);
}

/** The start of a bad field, for its error message. */
function rawAt(s: string, a: number, b: number): string {
  return s.slice(a, Math.min(b, a + 40));
}

/**
 * Table-driven decoding of the record whose kind starts at s[pos] (after the
 * marker and its TAB) and whose line ends at s[len]: the reference for the
 * generated decoders, and the decoder of `begin`.
 */
export function decodeRecordGeneric(s: string, pos: number, ctx: DecodeContext, line: number, seq: number, len = s.length): Decoded {
  let end = s.indexOf('\t', pos);
  if (end >= len) end = -1;
  const kind = end < 0 ? s.slice(pos, len) : s.slice(pos, end);
  const dec = DECODERS.get(kind);
  if (dec === undefined) return fail(kind === '' ? 'missing record kind' : `unknown record kind '${kind.slice(0, 64)}'`, null, null);
  const names = dec.names;
  const types = dec.types;
  const n = names.length;
  if (end < 0) return miscount(s, pos, len, kind, n);
  let style = ctx.style;
  let os = ctx.os;
  if (kind === 'begin') {
    // The begin record names its own backend, and with it the escaping of its own strings.
    const last = s.lastIndexOf('\t', len - 1);
    const b = s.slice(last + 1, len);
    if (b === 'dtrace' || b === 'bpftrace') style = b;
  }
  const v = vals;
  let terminated = true;
  let t = 0;
  const keys = tsKeys;
  for (let i = 0; i < n; i++) {
    const a = end + 1;
    const ty = types[i];
    if (ty === T.Int) {
      end = fieldEnd(s, a, len);
      const x = decodeInt(s, a, end);
      if (x !== x) {
        return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not a safe decimal integer`, kind, names[i]!);
      }
      if (end === len ? i !== n - 1 : i === n - 1) return miscount(s, pos, len, kind, n);
      v[i] = x;
      continue;
    }
    end = s.indexOf('\t', a);
    if (end < 0 || end > len) {
      if (i !== n - 1) return miscount(s, pos, len, kind, n);
      end = len;
    } else if (i === n - 1) return miscount(s, pos, len, kind, n);
    switch (ty) {
      case T.U64: {
        const x = decodeU64(s, a, end);
        if (x === null) return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not 1 to 16 hex digits`, kind, names[i]!);
        v[i] = x;
        break;
      }
      case T.Ts: {
        const x = decodeTs(s, a, end, keys);
        if (x === null) return fail(`field ${names[i]}: '${rawAt(s, a, end)}' is not an unsigned 64-bit decimal`, kind, names[i]!);
        v[i] = x;
        t = keys[TS_T]!;
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
        // `-`: the script cannot tell; a string with no NUL padding filled its buffer (docs/platforms/linux.md).
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

// ---------------------------------------------------------------------------
// Generated decoders.

/** Process names seen recently, each held once. */
const names = new Map<string, string>();
const MAX_NAMES = 4096;

/**
 * The one copy of a process name: every event of a process then carries the
 * same string, which the engine compares by identity, and an event held in
 * the reorder window does not keep the chunk its name was cut from alive.
 */
function intern(s: string): string {
  const known = names.get(s);
  if (known !== undefined) return known;
  if (names.size >= MAX_NAMES) names.clear();
  // A property key is a flat copy of the text, detached from the chunk.
  const own = Object.keys({ [s]: 0 })[0]!;
  names.set(own, own);
  return own;
}

// Names last interned, by a hash of length and end characters: a hit is checked in place, with no slice and no Map lookup.
const recent: string[] = new Array<string>(256).fill('');

/** intern(s.slice(a, b)), without the slice when the name was seen recently. */
function internAt(s: string, a: number, b: number): string {
  const len = b - a;
  if (len === 0) return '';
  const h = (len * 31 + s.charCodeAt(a) * 7 + s.charCodeAt(b - 1)) & 255;
  const c = recent[h]!;
  if (c.length === len && s.startsWith(c, a)) return c;
  const own = intern(s.slice(a, b));
  recent[h] = own;
  return own;
}

// Escaped names last decoded (bpftrace prints comm as 16 bytes of `\xNN`), by a hash of the raw text:
// a hit is checked in place and skips unescaping, UTF-8 decoding and the Map lookup on every record.
const escRaw: string[] = new Array<string>(256).fill('');
const escVal: string[] = new Array<string>(256).fill('');
const escTerm = new Uint8Array(256);
const escStyle: (EscapeStyle | null)[] = new Array<EscapeStyle | null>(256).fill(null);
let escLastTerminated = false;

/** intern(decodeFieldRange(s, a, b, style)) for an escaped name, with escTerminated() as fieldTerminated(). */
function internEscAt(s: string, a: number, b: number, style: EscapeStyle): string | null {
  const len = b - a;
  // The first bytes' escapes differ between names; the end is padding.
  const h = len < 12 ? len : (len * 31 + s.charCodeAt(a + 2) * 7 + s.charCodeAt(a + 3) * 11 + s.charCodeAt(a + 6) * 13 + s.charCodeAt(a + 7) * 17 + s.charCodeAt(a + 10) * 5 + s.charCodeAt(a + 11)) & 255;
  const raw = escRaw[h]!;
  if (raw.length === len && escStyle[h] === style && s.startsWith(raw, a)) {
    escLastTerminated = escTerm[h] === 1;
    return escVal[h]!;
  }
  const v = decodeFieldRange(s, a, b, style);
  if (v === null) return null;
  escLastTerminated = fieldTerminated();
  const own = intern(v);
  // A flat copy, so that the cache does not keep the input chunk alive.
  escRaw[h] = Object.keys({ [s.slice(a, b)]: 0 })[0]!;
  escVal[h] = own;
  escTerm[h] = escLastTerminated ? 1 : 0;
  escStyle[h] = style;
  return own;
}

function escTerminated(): boolean {
  return escLastTerminated;
}

/** What generated decoders call: failures and the rare, long paths stay out of line. */
const DECODER_HELPERS = {
  intern,
  internAt,
  internEscAt,
  escTerminated,
  mmapTraits,
  MAP_BITS,
  decodeFieldRange,
  fieldTerminated,
  fieldError,
  lower: (s: string) => s.toLowerCase(),
  U64_MAX_DEC,
  MAX_SAFE: Number.MAX_SAFE_INTEGER,
  badInt(s: string, a: number, end: number, kind: string, name: string): RecordError {
    return fail(`field ${name}: '${rawAt(s, a, fieldEnd(s, a, end))}' is not a safe decimal integer`, kind, name);
  },
  badU64(s: string, a: number, e: number, kind: string, name: string): RecordError {
    return fail(`field ${name}: '${rawAt(s, a, e)}' is not 1 to 16 hex digits`, kind, name);
  },
  badTs(s: string, a: number, e: number, kind: string, name: string): RecordError {
    return fail(`field ${name}: '${rawAt(s, a, e)}' is not an unsigned 64-bit decimal`, kind, name);
  },
  badStr(kind: string, name: string): RecordError {
    return fail(`field ${name}: ${fieldError()}`, kind, name);
  },
  badTrunc(s: string, a: number, e: number, kind: string, name: string): RecordError {
    return fail(`field ${name}: '${rawAt(s, a, e)}' is not 0, 1 or -`, kind, name);
  },
  badWord(s: string, a: number, e: number, kind: string, name: string): RecordError {
    return fail(`field ${name}: '${rawAt(s, a, e)}' is not a word [A-Za-z0-9_.-]+`, kind, name);
  },
  badBytes(kind: string, name: string): RecordError {
    return fail(`field ${name}: not an even number of lowercase hex digits`, kind, name);
  },
  miscount,
  /** A last field that failed its check: a TAB inside it makes it a field-count error instead. */
  tabIn(s: string, a: number, end: number): boolean {
    const t = s.indexOf('\t', a);
    return t >= 0 && t < end;
  },
  isWord,
  isHexBytes,
};

/** (line text, first field, line end, kind start, escaping, OS, line number, arrival[, t of a ts already read]) -> event or null. */
type Decoder = (s: string, a: number, end: number, pos: number, style: EscapeStyle, os: Os, line: number, seq: number, tKnown?: number) => Decoded;

/**
 * Generate a kind's decoder: its fields in registry order, each scanned in
 * place with code for its wire type, in the same order of checks (and with the
 * same error messages) as decodeRecordGeneric.
 */
function makeDecoder(kind: RecordKind, derive: Derive, knownTs = false): Decoder {
  const fields = wireFields(kind);
  const n = fields.length;
  const K = JSON.stringify(kind);
  const lines: string[] = ['let e = 0; let terminated = true; let t = 0;'];
  const props = [`kind: ${K}`];
  fields.forEach((f, i) => {
    if (!IDENT.test(f.name)) throw new Error(`registry name ${f.name} is not an identifier`);
    const N = JSON.stringify(f.name);
    const last = i === n - 1;
    const v = `f${i}`;
    props.push(`${f.name}: ${v}`);
    // Where a field that is not an int ends: its TAB (none allowed in the last one), or the line end.
    const findEnd = last
      ? `e = end;`
      : `e = s.indexOf('\\t', a); if (e < 0 || e >= end) return h.miscount(s, pos, end, ${K}, ${n});`;
    // The last field's TAB is only looked for when its check fails: none of these types can hold one.
    const failLast = (call: string) => (last ? `{ if (h.tabIn(s, a, end)) return h.miscount(s, pos, end, ${K}, ${n}); return ${call}; }` : `return ${call};`);
    const next = last ? '' : 'a = e + 1;';
    switch (TYPE_CODE[f.type]) {
      case T.Int:
        lines.push(`let ${v};`, `{
  let i = a; let neg = false; let x = 0;
  if (i < end && s.charCodeAt(i) === 45) { neg = true; i++; }
  const d0 = i;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 9) break;
    const d = c - 48;
    if (d < 0 || d > 9) return h.badInt(s, a, end, ${K}, ${N});
    x = x * 10 + d;
  }
  if (i === d0 || i - d0 > 16 || x > h.MAX_SAFE) return h.badInt(s, a, end, ${K}, ${N});
  ${v} = neg ? (x === 0 ? 0 : -x) : x;
  ${last ? `if (i !== end) return h.miscount(s, pos, end, ${K}, ${n});` : `if (i === end) return h.miscount(s, pos, end, ${K}, ${n}); a = i + 1;`}
}`);
        return;
      case T.U64:
        lines.push(`let ${v};`, `{
  ${findEnd}
  const len = e - a;
  if (len === 0 || len > 16) ${failLast(`h.badU64(s, a, e, ${K}, ${N})`)}
  let lead = a; let lower = true;
  while (lead < e && s.charCodeAt(lead) === 48) lead++;
  for (let i = lead; i < e; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {}
    else if (c >= 97 && c <= 102) {}
    else if (c >= 65 && c <= 70) lower = false;
    else ${failLast(`h.badU64(s, a, e, ${K}, ${N})`)}
  }
  ${v} = lead === e ? '0x0' : '0x' + (lower ? s.slice(lead, e) : h.lower(s.slice(lead, e)));
  ${next}
}`);
        return;
      case T.Ts:
        if (knownTs) {
          lines.push(`let ${v};`, `{
  ${findEnd}
  // Read and checked when the record arrived (scanTs), which gave its t too.
  let i = a;
  while (i < e && s.charCodeAt(i) === 48) i++;
  ${v} = i === e ? '0' : s.slice(i, e);
  t = tKnown;
  ${next}
}`);
          return;
        }
        lines.push(`let ${v};`, `{
  ${findEnd}
  const len = e - a;
  if (len === 0 || len > 20) ${failLast(`h.badTs(s, a, e, ${K}, ${N})`)}
  // Leading zeros first, then the ms digits and the last six (ns) digits each in a loop of their own: no per-digit test of where it goes.
  let i = a;
  while (i < e && s.charCodeAt(i) === 48) i++;
  const lead = i;
  const split = e - 6;
  let ms = 0; let ns = 0;
  for (; i < split; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) ${failLast(`h.badTs(s, a, e, ${K}, ${N})`)}
    ms = ms * 10 + d;
  }
  for (; i < e; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) ${failLast(`h.badTs(s, a, e, ${K}, ${N})`)}
    ns = ns * 10 + d;
  }
  ${v} = lead === e ? '0' : s.slice(lead, e);
  if (${v}.length === 20 && ${v} > h.U64_MAX_DEC) ${failLast(`h.badTs(s, a, e, ${K}, ${N})`)}
  t = ms + ns / 1e6;
  ${next}
}`);
        return;
      case T.Str:
      case T.StrOpt: {
        const opt = f.type === 'str?';
        const comm = f.name === 'comm';
        // A TAB cannot be found inside a field by its own end, so the last string field looks for one up front.
        const strEnd = last ? `e = s.indexOf('\\t', a); if (e >= 0 && e < end) return h.miscount(s, pos, end, ${K}, ${n}); e = end;` : findEnd;
        lines.push(`let ${v};`, `{
  ${strEnd}
  ${opt ? `if (a === e) { ${v} = null; terminated = true; } else {` : '{'}
    // The common cases inline: no escape at all, or a DTrace string followed by its \\0 terminator.
    const bs = s.indexOf('\\\\', a);
    if (bs === -1 || bs >= e) { ${v} = ${comm ? 'h.internAt(s, a, e)' : 's.slice(a, e)'}; terminated = false; }
    else if (style === 'dtrace' && bs === e - 2 && s.charCodeAt(e - 1) === 48) { ${v} = ${comm ? 'h.internAt(s, a, bs)' : 's.slice(a, bs)'}; terminated = true; }
    else {
      ${v} = ${comm ? 'h.internEscAt(s, a, e, style)' : 'h.decodeFieldRange(s, a, e, style)'};
      if (${v} === null) return h.badStr(${K}, ${N});
      terminated = ${comm ? 'h.escTerminated()' : 'h.fieldTerminated()'};
    }
  }
  ${next}
}`);
        return;
      }
      case T.Trunc:
        lines.push(`let ${v};`, `{
  ${findEnd}
  const c = e - a === 1 ? s.charCodeAt(a) : 0;
  if (c === 48) ${v} = false;
  else if (c === 49) ${v} = true;
  else if (c === 45) ${v} = !terminated;
  else ${failLast(`h.badTrunc(s, a, e, ${K}, ${N})`)}
  ${next}
}`);
        return;
      case T.Word:
        lines.push(`let ${v};`, `{
  ${findEnd}
  if (!h.isWord(s, a, e)) ${failLast(`h.badWord(s, a, e, ${K}, ${N})`)}
  ${v} = s.slice(a, e);
  ${next}
}`);
        return;
      case T.Bytes:
        lines.push(`let ${v};`, `{
  ${findEnd}
  if (!h.isHexBytes(s, a, e)) ${failLast(`h.badBytes(${K}, ${N})`)}
  ${v} = s.slice(a, e);
  ${next}
}`);
        return;
    }
  });
  const names = fields.map((f) => f.name);
  if (derive === Derive.Mmap) {
    lines.push(`const tr = h.mmapTraits(f${names.indexOf('flags')}, os);`);
    props.push('anon: tr.anon', 'jit: tr.jit', 'shared: tr.shared', 'fixed: tr.fixed');
  } else if (derive === Derive.PrevAnon) {
    lines.push(`const pf = f${names.indexOf('prevFlags')};`);
    props.push('prevAnon: pf < 0 ? null : (pf & h.MAP_BITS[os].anon) !== 0');
  }
  props.push('line: line', 'seq: seq', 't: t');
  lines.push(`return { ${props.join(', ')} };`);
  const body = `return function decode_${kind}${knownTs ? '_held' : ''}(s, a, end, pos, style, os, line, seq, tKnown) {\n${lines.join('\n')}\n};`;
  return new Function('h', body)(DECODER_HELPERS) as Decoder;
}

interface Compiled {
  readonly kind: RecordKind;
  readonly index: number;
  readonly decode: Decoder | null;
  /** The decoder for a record whose ts scanTs has read already. */
  readonly decodeHeld: Decoder | null;
}

/** Per kind length, the kinds of that length: dispatch compares characters, never slices the kind. */
const BY_LENGTH: Compiled[][] = [];
RECORD_KINDS.forEach((kind, index) => {
  const derive = kind === 'mmap' ? Derive.Mmap : kind === 'mprotect' || kind === 'vm_protect' ? Derive.PrevAnon : Derive.None;
  // begin names its own backend, which changes how its own strings read: the table-driven path handles it.
  const c: Compiled = {
    kind,
    index,
    decode: kind === 'begin' ? null : makeDecoder(kind, derive),
    decodeHeld: kind === 'begin' ? null : makeDecoder(kind, derive, true),
  };
  (BY_LENGTH[kind.length] ??= []).push(c);
});
// The hot kinds first within their length.
for (const list of BY_LENGTH) list?.sort((x, y) => (y.kind === 'sample' ? 1 : 0) - (x.kind === 'sample' ? 1 : 0));

function kindAt(s: string, pos: number, ke: number): Compiled | null {
  const list = BY_LENGTH[ke - pos];
  if (list === undefined) return null;
  for (let k = 0; k < list.length; k++) {
    const c = list[k]!;
    const name = c.kind;
    let i = 0;
    while (i < name.length && s.charCodeAt(pos + i) === name.charCodeAt(i)) i++;
    if (i === name.length) return c;
  }
  return null;
}

/**
 * Decode the record whose kind starts at s[pos] (after the marker and its TAB)
 * and whose line ends at s[end] (default: the end of s), scanning fields in
 * place so that numbers never become substrings. Returns the event, or null
 * with `recordError` saying which field failed and why.
 */
export function decodeRecord(s: string, pos: number, ctx: DecodeContext, line: number, seq: number, end = s.length): Decoded {
  const ke = s.indexOf('\t', pos);
  const c = ke >= 0 && ke < end ? kindAt(s, pos, ke) : null;
  if (c === null || c.decode === null) return decodeRecordGeneric(s, pos, ctx, line, seq, end);
  return c.decode(s, ke + 1, end, pos, ctx.style, ctx.os, line, seq);
}

const KIND_INDEX = new Map<string, number>(RECORD_KINDS.map((k, i) => [k, i]));

/** The registry index of a record kind. */
export function kindIndexOf(kind: RecordKind): number {
  return KIND_INDEX.get(kind)!;
}

const BY_INDEX: Compiled[] = BY_LENGTH.flat().sort((x, y) => x.index - y.index);

/**
 * decodeRecord for a record whose kind (the registry's `kindIndex`) and ts
 * scanHead read from this very text, giving `t`: neither is read again.
 */
export function decodeRecordOfKind(kindIndex: number, s: string, pos: number, ctx: DecodeContext, line: number, seq: number, end: number, t: number): Decoded {
  const c = BY_INDEX[kindIndex];
  if (c === undefined || c.decodeHeld === null) return decodeRecord(s, pos, ctx, line, seq, end);
  return c.decodeHeld(s, pos + c.kind.length + 1, end, pos, ctx.style, ctx.os, line, seq, t);
}

/** Registry index of `begin`, whose decoding changes how the records after it decode. */
export const BEGIN_INDEX = RECORD_KINDS.indexOf('begin');

/**
 * Order keys of a ts, as scanTs writes them: the record's t (computed exactly
 * as the decoders compute it), and its ts as whole seconds and the nanoseconds
 * within them, two exact numbers whose order is the order of the 64-bit ts.
 */
export const TS_T = 0;
export const TS_SEC = 1;
export const TS_NSEC = 2;

/**
 * Read only the kind and ts of the record whose kind starts at s[pos]: enough
 * to put it in time order while the rest of the line waits undecoded. Returns
 * the kind's registry index with the ts's order keys in `keys`, or -1 when the kind or the
 * ts is not what decodeRecord would accept (decode the line now to learn why).
 */
export function scanHead(s: string, pos: number, end: number, keys: Float64Array): number {
  const ke = s.indexOf('\t', pos);
  if (ke < 0 || ke >= end) return -1;
  const c = kindAt(s, pos, ke);
  if (c === null) return -1;
  const a = ke + 1;
  const e = s.indexOf('\t', a);
  if (e < 0 || e >= end) return -1;
  return scanTs(s, a, e, keys) ? c.index : -1;
}

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

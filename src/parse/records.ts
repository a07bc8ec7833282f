/**
 * Record decoding, compiled once from the registry. This is the parser's hot
 * path: no regexes, no zod, one object per record (the event itself).
 *
 * Every record kind gets a decoder generated from its registry fields: one
 * straight-line function that scans the fields of a line in place (a range of
 * the chunk the line came in, so lines never become strings of their own),
 * with numbers decoded while their digits are checked and the event built as
 * one object literal. The kind is found by comparing characters. The
 * table-driven decoder (record-generic.ts) is the reference the generated
 * decoders must agree with, and decodes `begin`.
 */
import { MAP_BITS, mmapTraits } from '../protocol/flags.ts';
import { RECORD_KINDS, wireFields, type RecordKind } from '../protocol/registry.ts';
import type { FieldResult } from './escape.ts';
import { fail, fieldEnd, isHexBytes, isWord, miscount, rawAt, RecordError, scanTs, U64_MAX_DEC, type DecodeContext, type Decoded } from './record-fields.ts';
import { decodeRecordGeneric, Derive, IDENT, T, TYPE_CODE } from './record-generic.ts';

/** What generated decoders call: failures and the rare, long paths stay out of line. */
const DECODER_HELPERS = {
  mmapTraits,
  MAP_BITS,
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
  badStr(r: FieldResult, kind: string, name: string): RecordError {
    return fail(`field ${name}: ${r.error}`, kind, name);
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

/** (line text, first field, line end, kind start, context, line number, arrival[, t of a ts already read]) -> event or null. */
type Decoder = (s: string, a: number, end: number, pos: number, ctx: DecodeContext, line: number, seq: number, tKnown?: number) => Decoded;

/**
 * Generate a kind's decoder: its fields in registry order, each scanned in
 * place with code for its wire type, in the same order of checks (and with the
 * same error messages) as decodeRecordGeneric.
 */
function makeDecoder(kind: RecordKind, derive: Derive, knownTs = false): Decoder {
  const fields = wireFields(kind);
  const n = fields.length;
  const K = JSON.stringify(kind);
  const lines: string[] = ['let e = 0; let terminated = true; let t = 0;', 'const style = ctx.style; const os = ctx.os;'];
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
    if (bs === -1 || bs >= e) { ${v} = ${comm ? 'ctx.names.at(s, a, e)' : 's.slice(a, e)'}; terminated = false; }
    else if (style === 'dtrace' && bs === e - 2 && s.charCodeAt(e - 1) === 48) { ${v} = ${comm ? 'ctx.names.at(s, a, bs)' : 's.slice(a, bs)'}; terminated = true; }
    else {
      const r = ${comm ? 'ctx.names.escAt(s, a, e, style)' : 'ctx.fields.decode(s, a, e, style)'};
      if (r.value === null) return h.badStr(r, ${K}, ${N});
      ${v} = r.value;
      terminated = r.terminated;
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
  const body = `return function decode_${kind}${knownTs ? '_held' : ''}(s, a, end, pos, ctx, line, seq, tKnown) {\n${lines.join('\n')}\n};`;
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
  return c.decode(s, ke + 1, end, pos, ctx, line, seq);
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
  return c.decodeHeld(s, pos + c.kind.length + 1, end, pos, ctx, line, seq, t);
}

/** Registry index of `begin`, whose decoding changes how the records after it decode. */
export const BEGIN_INDEX = RECORD_KINDS.indexOf('begin');
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

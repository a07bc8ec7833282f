/**
 * The table-driven record decoder: the reference the generated decoders
 * (records.ts) must agree with, and the decoder of `begin`, whose own backend
 * field changes how its strings are read. The wire type codes and the derived
 * fields it shares with the generated decoders are defined here.
 */
import { MAP_BITS, mmapTraits, type Os } from '../protocol/flags.ts';
import { RECORD_KINDS, wireFields, type RecordKind, type TraceEvent, type WireType } from '../protocol/registry.ts';
import {
  decodeInt,
  decodeTs,
  decodeU64,
  fail,
  fieldEnd,
  isHexBytes,
  isWord,
  miscount,
  rawAt,
  TS_T,
  type DecodeContext,
  type Decoded,
} from './record-fields.ts';

export const enum T {
  Int,
  U64,
  Ts,
  Str,
  StrOpt,
  Trunc,
  Word,
  Bytes,
}

export const TYPE_CODE: Record<WireType, T> = {
  int: T.Int,
  u64: T.U64,
  ts: T.Ts,
  str: T.Str,
  'str?': T.StrOpt,
  trunc: T.Trunc,
  word: T.Word,
  bytes: T.Bytes,
};

export const enum Derive {
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

export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
  const v = ctx.values;
  let terminated = true;
  let t = 0;
  const keys = ctx.tsKeys;
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
        const x = ctx.fields.decode(s, a, end, style);
        if (x.value === null) return fail(`field ${names[i]}: ${x.error}`, kind, names[i]!);
        terminated = x.terminated;
        v[i] = x.value;
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

/**
 * Process names held once: the interning of comm fields the generated
 * decoders call, with in-place caches of the names (raw or escaped) seen last.
 */
import type { EscapeStyle, FieldDecoder, FieldResult } from './escape.ts';

const MAX_NAMES = 4096;
const CACHE = 256;

/**
 * The names one decoder has seen. Each decoding context (a parser, a reorder window) has its
 * own: the caches are its state, not the module's.
 */
export class Interner {
  /** Process names seen recently, each held once. */
  private readonly names = new Map<string, string>();
  // Names last interned, by a hash of length and end characters: a hit is checked in place, with no slice and no Map lookup.
  private readonly recent: string[] = new Array<string>(CACHE).fill('');
  // Escaped names last decoded (bpftrace prints comm as 16 bytes of `\xNN`), by a hash of the raw text:
  // a hit is checked in place and skips unescaping, UTF-8 decoding and the Map lookup on every record.
  // escTerm: bit 0 the name's `terminated`, bit 1 its `nul`.
  private readonly escRaw: string[] = new Array<string>(CACHE).fill('');
  private readonly escVal: string[] = new Array<string>(CACHE).fill('');
  private readonly escTerm = new Uint8Array(CACHE);
  private readonly escStyle: (EscapeStyle | null)[] = new Array<EscapeStyle | null>(CACHE).fill(null);
  private readonly result: FieldResult = { value: null, nul: false, terminated: false, error: null };

  /** @param fields decodes the escaped names that are not in the cache */
  constructor(private readonly fields: FieldDecoder) {}

  /**
   * The one copy of a process name: every event of a process then carries the
   * same string, which the engine compares by identity, and an event held in
   * the reorder window does not keep the chunk its name was cut from alive.
   */
  intern(s: string): string {
    const names = this.names;
    const known = names.get(s);
    if (known !== undefined) return known;
    if (names.size >= MAX_NAMES) names.clear();
    // A property key is a flat copy of the text, detached from the chunk.
    const own = Object.keys({ [s]: 0 })[0]!;
    names.set(own, own);
    return own;
  }

  /** intern(s.slice(a, b)), without the slice when the name was seen recently. */
  at(s: string, a: number, b: number): string {
    const len = b - a;
    if (len === 0) return '';
    const h = (len * 31 + s.charCodeAt(a) * 7 + s.charCodeAt(b - 1)) & 255;
    const recent = this.recent;
    const c = recent[h]!;
    if (c.length === len && s.startsWith(c, a)) return c;
    const own = this.intern(s.slice(a, b));
    recent[h] = own;
    return own;
  }

  /**
   * The escaped name s[a..b) decoded and interned: returns this interner's result (the same
   * object every call, overwritten by the next), as FieldDecoder.decode gives it.
   */
  escAt(s: string, a: number, b: number, style: EscapeStyle): FieldResult {
    const r = this.result;
    const len = b - a;
    // The first bytes' escapes differ between names; the end is padding.
    const h = len < 12 ? len : (len * 31 + s.charCodeAt(a + 2) * 7 + s.charCodeAt(a + 3) * 11 + s.charCodeAt(a + 6) * 13 + s.charCodeAt(a + 7) * 17 + s.charCodeAt(a + 10) * 5 + s.charCodeAt(a + 11)) & 255;
    const raw = this.escRaw[h]!;
    if (raw.length === len && this.escStyle[h] === style && s.startsWith(raw, a)) {
      const f = this.escTerm[h]!;
      r.value = this.escVal[h]!;
      r.terminated = (f & 1) !== 0;
      r.nul = (f & 2) !== 0;
      r.error = null;
      return r;
    }
    const d = this.fields.decode(s, a, b, style);
    if (d.value === null) return d;
    const own = this.intern(d.value);
    // A flat copy, so that the cache does not keep the input chunk alive.
    this.escRaw[h] = Object.keys({ [s.slice(a, b)]: 0 })[0]!;
    this.escVal[h] = own;
    this.escTerm[h] = (d.terminated ? 1 : 0) | (d.nul ? 2 : 0);
    this.escStyle[h] = style;
    r.value = own;
    r.terminated = d.terminated;
    r.nul = d.nul;
    r.error = null;
    return r;
  }
}

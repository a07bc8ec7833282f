/**
 * Process names held once: the interning of comm fields the generated
 * decoders call, with in-place caches of the names (raw or escaped) seen last.
 */
import { decodeFieldRange, fieldTerminated, type EscapeStyle } from './escape.ts';

/** Process names seen recently, each held once. */
const names = new Map<string, string>();
const MAX_NAMES = 4096;

/**
 * The one copy of a process name: every event of a process then carries the
 * same string, which the engine compares by identity, and an event held in
 * the reorder window does not keep the chunk its name was cut from alive.
 */
export function intern(s: string): string {
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
export function internAt(s: string, a: number, b: number): string {
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
export function internEscAt(s: string, a: number, b: number, style: EscapeStyle): string | null {
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

export function escTerminated(): boolean {
  return escLastTerminated;
}

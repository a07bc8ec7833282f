/**
 * Escaped string fields: decoding what DTrace's `%S` and bpftrace's `%r` of
 * `buf()` print, losslessly, and (for fixtures and tests) encoding bytes the way
 * each tracer prints them.
 *
 * Bytes become a JS string with "surrogateescape": valid UTF-8 decodes
 * normally, and every byte that is not part of a valid UTF-8 sequence becomes
 * the lone surrogate U+DC80+byte. A non-UTF-8 path therefore survives the trip
 * to a string and back (`stringToBytes`) exactly.
 */
import type { Backend } from '../protocol/flags.ts';

/** Which tracer printed a field: the two escapings differ for the backslash. */
export type EscapeStyle = Backend;

export interface DecodedField {
  readonly value: string;
  /** A NUL terminator (`\0`) or NUL padding (`\x00`…) was present. */
  readonly terminated: boolean;
}

// Results of the allocation-free decoder used on the parser's hot path.
let lastTerminated = false;
// bpftrace: the NUL was the buffer's last byte, so the string may have been cut there.
let lastFilled = false;
let lastError: string | null = null;

let scratch = new Uint8Array(256);

function ensure(n: number): void {
  if (n > scratch.length) {
    let size = scratch.length * 2;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(scratch);
    scratch = next;
  }
}

const OCT0 = 48; // '0'
const BACKSLASH = 92;

function isOct(c: number): boolean {
  return c >= 48 && c <= 55;
}

function hexVal(c: number): number {
  // bpftrace prints `\x%02x`: lowercase only, so `\xAB` is left as literal text.
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Append the UTF-8 bytes of text[i]'s code point at scratch[n]; returns [newN, newI]. */
function putChar(text: string, i: number, n: number): number {
  const c = text.charCodeAt(i);
  ensure(n + 4);
  if (c < 0x80) {
    scratch[n++] = c;
  } else if (c < 0x800) {
    scratch[n++] = 0xc0 | (c >> 6);
    scratch[n++] = 0x80 | (c & 63);
  } else if (c >= 0xdc80 && c <= 0xdcff) {
    // A surrogate-escaped byte in the text itself stands for that byte.
    scratch[n++] = c - 0xdc00;
  } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      scratch[n++] = 0xf0 | (cp >> 18);
      scratch[n++] = 0x80 | ((cp >> 12) & 63);
      scratch[n++] = 0x80 | ((cp >> 6) & 63);
      scratch[n++] = 0x80 | (cp & 63);
      surrogatePairConsumed = true;
    } else {
      n = putReplacement(n);
    }
  } else if (c >= 0xd800 && c <= 0xdfff) {
    n = putReplacement(n);
  } else {
    scratch[n++] = 0xe0 | (c >> 12);
    scratch[n++] = 0x80 | ((c >> 6) & 63);
    scratch[n++] = 0x80 | (c & 63);
  }
  return n;
}
let surrogatePairConsumed = false;

function putReplacement(n: number): number {
  scratch[n++] = 0xef;
  scratch[n++] = 0xbf;
  scratch[n++] = 0xbd;
  return n;
}

/**
 * Decode escapes of one field into scratch[0..n). Stops at the first NUL (C string semantics:
 * nothing after a terminator is part of the string). Returns n, or -1 with lastError set.
 */
function unescapeInto(text: string, style: EscapeStyle): number {
  let n = 0;
  const len = text.length;
  ensure(len);
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c !== BACKSLASH) {
      if (c < 0x80) scratch[n++] = c;
      else {
        n = putChar(text, i, n);
        if (surrogatePairConsumed) {
          surrogatePairConsumed = false;
          i++;
        }
      }
      continue;
    }
    if (style === 'bpftrace') {
      // bpftrace 0.17 prints a backslash byte as itself; only `\x` + two lowercase hex digits is an escape.
      if (i + 3 < len && text.charCodeAt(i + 1) === 120 /* x */) {
        const h = hexVal(text.charCodeAt(i + 2));
        const l = hexVal(text.charCodeAt(i + 3));
        if (h >= 0 && l >= 0) {
          const b = (h << 4) | l;
          i += 3;
          if (b === 0) {
            lastTerminated = true;
            // str() ends its copy with a NUL even when it cut the string: only padding after the NUL
            // shows the string was shorter than its buffer (seen with a 905-byte dlopen path, bpftrace 0.17).
            lastFilled = i + 1 >= len;
            return n;
          }
          scratch[n++] = b;
          continue;
        }
      }
      scratch[n++] = BACKSLASH;
      continue;
    }
    // DTrace strchr2esc (dt_string.c; docs/platforms/macos.md §4).
    if (i + 1 >= len) {
      lastError = `dangling backslash at offset ${i}`;
      return -1;
    }
    const e = text.charCodeAt(++i);
    switch (e) {
      case 110: // n
        scratch[n++] = 10;
        break;
      case 116: // t
        scratch[n++] = 9;
        break;
      case 114: // r
        scratch[n++] = 13;
        break;
      case 92: // backslash
        scratch[n++] = 92;
        break;
      case 34: // "
        scratch[n++] = 34;
        break;
      case 97: // a
        scratch[n++] = 7;
        break;
      case 98: // b
        scratch[n++] = 8;
        break;
      case 102: // f
        scratch[n++] = 12;
        break;
      case 118: // v
        scratch[n++] = 11;
        break;
      default:
        if (isOct(e)) {
          // `\ooo` is always three digits; a lone `\0` is the terminator, after which DTrace stops escaping.
          if (i + 2 < len && isOct(text.charCodeAt(i + 1)) && isOct(text.charCodeAt(i + 2))) {
            const v = ((e - OCT0) << 6) | ((text.charCodeAt(i + 1) - OCT0) << 3) | (text.charCodeAt(i + 2) - OCT0);
            i += 2;
            if (v > 255) {
              lastError = `octal escape out of range at offset ${i - 3}`;
              return -1;
            }
            if (v === 0) {
              lastTerminated = true;
              return n;
            }
            scratch[n++] = v;
            break;
          }
          if (e === OCT0) {
            lastTerminated = true;
            return n;
          }
        }
        lastError = `unknown escape \\${String.fromCharCode(e)} at offset ${i - 1}`;
        return -1;
    }
  }
  return n;
}

/** Decode bytes to a string with surrogateescape (Python's error handler of that name). */
export function bytesToString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    // Chunked to stay under the argument limit of fromCharCode.
    for (let i = start; i < end; i += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
    }
    return out;
  }
  const codes: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      codes.push(b0);
      i++;
      continue;
    }
    // Well-formed UTF-8 per Unicode table 3-7; anything else escapes one byte and resumes after it.
    let need = 0;
    let cp = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0;
      if (b0 === 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f;
    }
    let ok = need > 0 && i + need < end;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const b = bytes[i + k]!;
        const l = k === 1 ? lo : 0x80;
        const h = k === 1 ? hi : 0xbf;
        if (b < l || b > h) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (b & 0x3f);
      }
    }
    if (!ok) {
      codes.push(0xdc00 + b0);
      i++;
      continue;
    }
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      codes.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else codes.push(cp);
    i += need + 1;
  }
  for (let k = 0; k < codes.length; k += 8192) out += String.fromCharCode.apply(null, codes.slice(k, k + 8192));
  return out;
}

/** Inverse of surrogateescape decoding: the exact bytes a decoded string came from. */
export function stringToBytes(s: string): Uint8Array {
  const n = putAll(s);
  return scratch.slice(0, n);
}

function putAll(s: string): number {
  let n = 0;
  ensure(s.length * 3 + 4);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      scratch[n++] = c;
      continue;
    }
    n = putChar(s, i, n);
    if (surrogatePairConsumed) {
      surrogatePairConsumed = false;
      i++;
    }
  }
  return n;
}

/**
 * Hot-path decoder: returns the value, or null when the escapes are malformed
 * (then `fieldError()` says why). `fieldTerminated()` reports the NUL.
 */
export function decodeFieldFast(text: string, style: EscapeStyle): string | null {
  lastTerminated = false;
  lastFilled = false;
  lastError = null;
  const bs = text.indexOf('\\');
  if (bs === -1) return text;
  const len = text.length;
  // The common DTrace case: a plain string followed by its `\0` terminator.
  if (style === 'dtrace' && bs === len - 2 && text.charCodeAt(len - 1) === OCT0) {
    lastTerminated = true;
    return text.slice(0, bs);
  }
  const n = unescapeInto(text, style);
  if (n < 0) return null;
  return bytesToString(scratch, 0, n);
}

/** decodeFieldFast of text[a..b), slicing only what the value needs. */
export function decodeFieldRange(text: string, a: number, b: number, style: EscapeStyle): string | null {
  lastTerminated = false;
  lastFilled = false;
  lastError = null;
  const bs = text.indexOf('\\', a);
  if (bs === -1 || bs >= b) return text.slice(a, b);
  if (style === 'dtrace' && bs === b - 2 && text.charCodeAt(b - 1) === OCT0) {
    lastTerminated = true;
    return text.slice(a, bs);
  }
  return decodeFieldFast(text.slice(a, b), style);
}

/**
 * Whether the last decodeFieldFast call saw the string end inside its buffer: a NUL
 * terminator, or bpftrace padding. A bpftrace NUL in the buffer's last byte does not
 * count, as str() puts one there when it cuts; `-` trunc fields are inferred from this.
 */
export function fieldTerminated(): boolean {
  return lastTerminated && !lastFilled;
}

/** Why the last decodeFieldFast call returned null. */
export function fieldError(): string | null {
  return lastError;
}

/**
 * Decode one escaped field as printed by DTrace `%S` (default) or bpftrace `%r` of `buf()`.
 * Malformed DTrace escapes are kept as literal text here; the parser reports them instead.
 */
export function decodeField(text: string, style: EscapeStyle = 'dtrace'): DecodedField {
  const v = decodeFieldFast(text, style);
  if (v === null) return { value: text, terminated: false };
  return { value: v, terminated: lastTerminated };
}

/** Decode one escaped field to its raw bytes (up to the first NUL). */
export function decodeFieldBytes(text: string, style: EscapeStyle = 'dtrace'): { bytes: Uint8Array; terminated: boolean } | null {
  lastTerminated = false;
  lastError = null;
  const n = unescapeInto(text, style);
  if (n < 0) return null;
  return { bytes: scratch.slice(0, n), terminated: lastTerminated };
}

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? stringToBytes(input) : input;
}

const C_ESCAPES: Record<number, string> = {
  0: '\\0',
  7: '\\a',
  8: '\\b',
  12: '\\f',
  10: '\\n',
  13: '\\r',
  9: '\\t',
  11: '\\v',
  34: '\\"',
  92: '\\\\',
};

/**
 * What DTrace's `printf("%S")` prints for these bytes (dt_string.c strchr2esc):
 * C escapes, 3-digit octal for bytes < '!' or > '~' except space, and nothing after a NUL.
 * nulTerminated (default true) appends the `\0` a copyinstr() string carries.
 */
export function encodeDtraceS(input: Uint8Array | string, opts: { nulTerminated?: boolean } = {}): string {
  const bytes = toBytes(input);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const esc = C_ESCAPES[b];
    if (esc !== undefined) out += esc;
    else if (b === 32 || (b >= 0x21 && b <= 0x7e)) out += String.fromCharCode(b);
    else out += '\\' + ((b >> 6) & 3) + ((b >> 3) & 7) + (b & 7);
    if (b === 0) return out;
  }
  if (opts.nulTerminated ?? true) out += '\\0';
  return out;
}

/**
 * What bpftrace 0.17 prints for `printf("%r", buf(s, bufLen))`: bytes 32..126 as
 * themselves (the backslash too), others as `\xNN`, and NUL padding up to bufLen.
 * A string of bufLen bytes or more fills the buffer: cut to bufLen, no padding.
 */
export function encodeBpftraceR(input: Uint8Array | string, bufLen: number): string {
  const bytes = toBytes(input);
  let out = '';
  for (let i = 0; i < bufLen; i++) {
    const b = i < bytes.length ? bytes[i]! : 0;
    if (b >= 32 && b <= 126) out += String.fromCharCode(b);
    else out += '\\x' + (b < 16 ? '0' : '') + b.toString(16);
  }
  return out;
}

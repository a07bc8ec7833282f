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

/**
 * What one decoding of an escaped field gave. A FieldDecoder returns the same
 * object from every call, overwritten by the next: read it before decoding again.
 */
export interface FieldResult {
  /** The decoded string, or null when the escapes are malformed (then `error` says why). */
  value: string | null;
  /** A NUL terminator (`\0`) or NUL padding (`\x00`…) was present. */
  nul: boolean;
  /**
   * The string ended inside its buffer: a NUL terminator, or bpftrace padding. A bpftrace NUL in
   * the buffer's last byte does not count, as str() puts one there when it cuts; `-` trunc fields
   * are inferred from this.
   */
  terminated: boolean;
  /** Why `value` is null. */
  error: string | null;
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

/** Whether text[i] and text[i + 1] (before end) are a surrogate pair: putChar wrote both. */
function isPair(text: string, i: number, end: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= end) return false;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

/**
 * Append the UTF-8 bytes of text[i]'s code point (with text[i + 1] when the two are a pair
 * before end) at buf[n], which has room for 4; returns the new n.
 */
function putChar(buf: Uint8Array, text: string, i: number, end: number, n: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) {
    buf[n++] = c;
  } else if (c < 0x800) {
    buf[n++] = 0xc0 | (c >> 6);
    buf[n++] = 0x80 | (c & 63);
  } else if (c >= 0xdc80 && c <= 0xdcff) {
    // A surrogate-escaped byte in the text itself stands for that byte.
    buf[n++] = c - 0xdc00;
  } else if (isPair(text, i, end)) {
    const d = text.charCodeAt(i + 1);
    const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
    buf[n++] = 0xf0 | (cp >> 18);
    buf[n++] = 0x80 | ((cp >> 12) & 63);
    buf[n++] = 0x80 | ((cp >> 6) & 63);
    buf[n++] = 0x80 | (cp & 63);
  } else if (c >= 0xd800 && c <= 0xdfff) {
    buf[n++] = 0xef;
    buf[n++] = 0xbf;
    buf[n++] = 0xbd;
  } else {
    buf[n++] = 0xe0 | (c >> 12);
    buf[n++] = 0x80 | ((c >> 6) & 63);
    buf[n++] = 0x80 | (c & 63);
  }
  return n;
}

/**
 * Decodes escaped fields: what the parser and the reorder window decode string fields with.
 * It owns the buffer escapes are decoded into and the result it returns, so it allocates
 * nothing per field but the value; one decoder serves one thread of decoding at a time.
 */
export class FieldDecoder {
  private scratch = new Uint8Array(256);
  private readonly result: FieldResult = { value: null, nul: false, terminated: false, error: null };

  /** A buffer of at least n bytes. */
  private room(n: number): Uint8Array {
    let buf = this.scratch;
    if (n > buf.length) {
      let size = buf.length * 2;
      while (size < n) size *= 2;
      buf = this.scratch = new Uint8Array(size);
    }
    return buf;
  }

  /**
   * Decode the field text[a..b): returns this decoder's result (the same object every call,
   * overwritten by the next), with the value null when the escapes are malformed.
   */
  decode(text: string, a: number, b: number, style: EscapeStyle): FieldResult {
    const r = this.result;
    r.nul = false;
    r.terminated = false;
    r.error = null;
    const bs = text.indexOf('\\', a);
    if (bs === -1 || bs >= b) {
      r.value = text.slice(a, b);
      return r;
    }
    // The common DTrace case: a plain string followed by its `\0` terminator.
    if (style === 'dtrace' && bs === b - 2 && text.charCodeAt(b - 1) === OCT0) {
      r.nul = true;
      r.terminated = true;
      r.value = text.slice(a, bs);
      return r;
    }
    const n = this.unescape(text, a, b, style, r);
    r.value = n < 0 ? null : bytesToString(this.scratch, 0, n);
    return r;
  }

  /** Decode the field text to its raw bytes (up to the first NUL), or null when its escapes are malformed. */
  bytes(text: string, style: EscapeStyle): { bytes: Uint8Array; terminated: boolean } | null {
    const r = this.result;
    r.nul = false;
    r.terminated = false;
    r.error = null;
    const n = this.unescape(text, 0, text.length, style, r);
    if (n < 0) return null;
    return { bytes: this.scratch.slice(0, n), terminated: r.nul };
  }

  /**
   * Decode the escapes of text[a..b) into the scratch buffer. Stops at the first NUL (C string
   * semantics: nothing after a terminator is part of the string), noting it in r. Returns the
   * number of bytes, or -1 with r.error set; offsets in errors count from a.
   */
  private unescape(text: string, a: number, b: number, style: EscapeStyle, r: FieldResult): number {
    let n = 0;
    // No character takes more than 3 bytes, nor a pair more than 4.
    const buf = this.room((b - a) * 3 + 4);
    for (let i = a; i < b; i++) {
      const c = text.charCodeAt(i);
      if (c !== BACKSLASH) {
        if (c < 0x80) buf[n++] = c;
        else {
          n = putChar(buf, text, i, b, n);
          if (isPair(text, i, b)) i++;
        }
        continue;
      }
      if (style === 'bpftrace') {
        // bpftrace 0.17 prints a backslash byte as itself; only `\x` + two lowercase hex digits is an escape.
        if (i + 3 < b && text.charCodeAt(i + 1) === 120 /* x */) {
          const h = hexVal(text.charCodeAt(i + 2));
          const l = hexVal(text.charCodeAt(i + 3));
          if (h >= 0 && l >= 0) {
            const v = (h << 4) | l;
            i += 3;
            if (v === 0) {
              r.nul = true;
              // str() ends its copy with a NUL even when it cut the string: only padding after the NUL
              // shows the string was shorter than its buffer (seen with a 905-byte dlopen path, bpftrace 0.17).
              r.terminated = i + 1 < b;
              return n;
            }
            buf[n++] = v;
            continue;
          }
        }
        buf[n++] = BACKSLASH;
        continue;
      }
      // DTrace strchr2esc (dt_string.c; docs/platforms/macos.md §4).
      if (i + 1 >= b) {
        r.error = `dangling backslash at offset ${i - a}`;
        return -1;
      }
      const e = text.charCodeAt(++i);
      switch (e) {
        case 110: // n
          buf[n++] = 10;
          break;
        case 116: // t
          buf[n++] = 9;
          break;
        case 114: // r
          buf[n++] = 13;
          break;
        case 92: // backslash
          buf[n++] = 92;
          break;
        case 34: // "
          buf[n++] = 34;
          break;
        case 97: // a
          buf[n++] = 7;
          break;
        case 98: // b
          buf[n++] = 8;
          break;
        case 102: // f
          buf[n++] = 12;
          break;
        case 118: // v
          buf[n++] = 11;
          break;
        default:
          if (isOct(e)) {
            // `\ooo` is always three digits; a lone `\0` is the terminator, after which DTrace stops escaping.
            if (i + 2 < b && isOct(text.charCodeAt(i + 1)) && isOct(text.charCodeAt(i + 2))) {
              const v = ((e - OCT0) << 6) | ((text.charCodeAt(i + 1) - OCT0) << 3) | (text.charCodeAt(i + 2) - OCT0);
              i += 2;
              if (v > 255) {
                r.error = `octal escape out of range at offset ${i - 3 - a}`;
                return -1;
              }
              if (v === 0) {
                r.nul = true;
                r.terminated = true;
                return n;
              }
              buf[n++] = v;
              break;
            }
            if (e === OCT0) {
              r.nul = true;
              r.terminated = true;
              return n;
            }
          }
          r.error = `unknown escape \\${String.fromCharCode(e)} at offset ${i - 1 - a}`;
          return -1;
      }
    }
    return n;
  }
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
  const buf = new Uint8Array(s.length * 3 + 4);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
      continue;
    }
    n = putChar(buf, s, i, s.length, n);
    if (isPair(s, i, s.length)) i++;
  }
  return buf.slice(0, n);
}

/**
 * Decode one escaped field as printed by DTrace `%S` (default) or bpftrace `%r` of `buf()`.
 * Malformed DTrace escapes are kept as literal text here; the parser reports them instead.
 */
export function decodeField(text: string, style: EscapeStyle = 'dtrace'): DecodedField {
  const r = new FieldDecoder().decode(text, 0, text.length, style);
  if (r.value === null) return { value: text, terminated: false };
  return { value: r.value, terminated: r.nul };
}

/** Decode one escaped field to its raw bytes (up to the first NUL). */
export function decodeFieldBytes(text: string, style: EscapeStyle = 'dtrace'): { bytes: Uint8Array; terminated: boolean } | null {
  return new FieldDecoder().bytes(text, style);
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

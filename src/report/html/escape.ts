/**
 * Escaping for the HTML report. Every traced string (paths, names, symbols,
 * process names, bytes) and everything read from a capture's meta.json is
 * untrusted: it reaches the page only through these functions, as text, as an
 * attribute value, or as JSON that the page's script reads with JSON.parse.
 */
import { createHash } from 'node:crypto';

/**
 * Text as a person should see it: bytes that were not valid UTF-8 (kept by the
 * parser as lone surrogates U+DC80+byte) and control characters shown as `\xNN`,
 * any other lone surrogate as U+FFFD. The result is well-formed Unicode.
 */
export function displayText(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c < 0x20 ? c !== 0x0a && c !== 0x09 : c === 0x7f || (c >= 0x80 && c < 0xa0)) {
      rep = `\\x${c.toString(16).padStart(2, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      rep = '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      rep = c >= 0xdc80 && c <= 0xdcff ? `\\x${(c - 0xdc00).toString(16)}` : '\ufffd';
    }
    if (rep !== null) {
      out += s.slice(from, i) + rep;
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe as HTML text and as a quoted attribute value (both quote kinds are escaped). */
export function esc(value: unknown): string {
  return displayText(String(value ?? '')).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` can
 * never close the element or open a comment, and U+2028/2029 are escaped too.
 * Strings go through displayText first, so the page reads well-formed text.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? displayText(v) : v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A CSP source for an inline element's exact content: `'sha256-…'`. */
export function cspHash(content: string): string {
  return `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;
}

/** Hex bytes (`cffaedfe…`) as printable ASCII, a dot for every other byte. */
export function hexToAscii(hex: string): string {
  let out = '';
  for (let i = 0; i + 1 < hex.length; i += 2) {
    const b = parseInt(hex.slice(i, i + 2), 16);
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  return out;
}

/** Hex bytes grouped in twos for reading: `cffa edfe 0700 …`. */
export function groupHex(hex: string): string {
  return (hex.match(/.{1,4}/g) ?? []).join(' ');
}

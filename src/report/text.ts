/**
 * Text and times for terminal output. Traced strings are attacker-chosen: a
 * process name or path holding ESC, CR or a bidi override could rewrite or
 * hide what is on the screen, so every one is shown escaped.
 */

/**
 * A traced string as printable text: backslash, control characters (C0, DEL,
 * C1), bytes that were not valid UTF-8 (kept by the parser as U+DC80+byte)
 * and bidi controls become escapes. With `quote`, `"` is escaped and the result quoted.
 */
export function terminalText(s: string, opts: { quote?: boolean } = {}): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x22 && opts.quote) out += '\\"';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s.slice(i, i + 2);
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) out += `\\x${(c - 0xdc00).toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += `\\u${c.toString(16)}`;
    // Bidi embeddings, overrides and isolates reorder the rest of the line on screen.
    else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c) out += `\\u${c.toString(16)}`;
    else out += s[i];
  }
  return opts.quote ? `"${out}"` : out;
}

export interface TimeOptions {
  /** UTC with `Z` instead of the local zone with its offset. */
  readonly utc?: boolean;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * A wall-clock time as date, time and zone (`2026-12-06 14:03:12.437+01:00`, or
 * `…Z` in UTC): a capture is read later, often elsewhere, so a bare clock time is ambiguous.
 * `fraction` replaces the milliseconds when the caller has finer digits (from a ns timestamp).
 */
export function formatWallTime(ms: number, opts: TimeOptions = {}, fraction?: string): string {
  if (!Number.isFinite(ms)) return '?';
  const whole = Math.floor(ms);
  const offsetMin = opts.utc ? 0 : -new Date(whole).getTimezoneOffset();
  const d = new Date(whole + offsetMin * 60_000);
  if (Number.isNaN(d.getTime())) return '?';
  const frac = fraction ?? pad(d.getUTCMilliseconds(), 3);
  const zone = opts.utc ? 'Z' : `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac}${zone}`;
}

/** A record's `ts` (ns since the epoch, as a decimal string) to the microsecond, as formatWallTime. */
export function formatTs(ts: string, opts: TimeOptions = {}): string {
  if (!/^-?\d+$/.test(ts)) return '?';
  const ns = BigInt(ts);
  const sec = ns / 1_000_000_000n;
  const sub = ns % 1_000_000_000n;
  if (sub < 0n) return '?';
  return formatWallTime(Number(sec) * 1000, opts, String(sub).padStart(9, '0').slice(0, 6));
}

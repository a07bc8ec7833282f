/**
 * The trace's markers as they appear in a line: finding a well-formed one
 * whatever its nonce (to lock on the first nonce seen), and telling a line
 * that only looks like a record.
 */
import { MARKER_PREFIX } from '../protocol/registry.ts';

function isHexLower(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/** Index of a well-formed marker (any nonce) at or after `from`, or -1. */
export function findMarker(text: string, from: number): number {
  let i = text.indexOf(MARKER_PREFIX, from);
  while (i >= 0) {
    const n = i + MARKER_PREFIX.length;
    if (text.length >= n + 17 && text.charCodeAt(n + 16) === 9) {
      let ok = true;
      for (let k = n; k < n + 16; k++) {
        if (!isHexLower(text.charCodeAt(k))) {
          ok = false;
          break;
        }
      }
      if (ok) return i;
    }
    i = text.indexOf(MARKER_PREFIX, i + 1);
  }
  return -1;
}

export const MARKER_LIKE = /LT\d+:/;
export const MARKER_LEN = MARKER_PREFIX.length + 16 + 1; // `LT1:` + nonce + TAB

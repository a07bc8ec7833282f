/**
 * Shapes of a single line the parser tells apart before reading it: too long
 * to keep, blank, or a user stack frame.
 */

/** A line longer than the maximum, replaced by its first characters. */
export class TooLong {
  constructor(readonly head: string) {}
}

/** Longest text of an over-long line kept in its diagnostic. */
export const TOO_LONG_HEAD = 200;

export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/**
 * A user stack frame line: dtrace indents 14 spaces (dt_open.c _dtrace_stkindent,
 * docs/platforms/macos.md §3), bpftrace 8 spaces, or a tab with `ustack(perf)`.
 */
export function frameStart(text: string): number {
  const c = text.charCodeAt(0);
  let i = 0;
  if (c === 9) i = 1;
  else if (c === 32) {
    while (i < text.length && text.charCodeAt(i) === 32) i++;
    if (i < 8) return -1;
  } else return -1;
  if (i >= text.length) return -1;
  const d = text.charCodeAt(i);
  return d === 32 || d === 9 ? -1 : i;
}

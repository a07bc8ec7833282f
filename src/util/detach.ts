/**
 * Copies of strings that do not keep the parser's input alive. A field the
 * parser cuts from a chunk of input is a view into that chunk (V8 slices
 * strings of 13 characters or more), so one timestamp kept in a finding or a
 * process entry would keep a whole 64 KiB chunk in memory. What the engine
 * keeps for the length of a run goes through here; the per-event path does not.
 */

/**
 * A copy of s that holds its own characters (exact for any string, lone
 * surrogates included). Slicing a concatenation makes V8 flatten it into a new
 * string first, so the result is a view into that copy and not into the
 * input: a fifth of the cost of a JSON round trip (test/util/detach.test.ts
 * checks that the input is let go).
 */
export function detachString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** The same value with every string inside detached (plain objects and arrays, copied). */
export function detach<T>(v: T): T {
  if (typeof v === 'string') return detachString(v) as T;
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(detach) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = detach(x);
  return out as T;
}

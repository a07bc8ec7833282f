/** Parser options, validated once when a parser is created (never per line). */
import { BACKENDS } from '../protocol/flags.ts';
import { z } from 'zod';
import { NONCE_PATTERN } from '../protocol/registry.ts';

export const parserOptionsSchema = z
  .object({
    /** Nonce written into the script when it was generated; null or absent: accept the first well-formed nonce seen (unauthenticated). */
    nonce: z.string().regex(NONCE_PATTERN, 'nonce must be 16 lowercase hex digits').nullable().optional(),
    /** OS whose flag tables decode records until a begin record says otherwise. Default darwin. */
    os: z.enum(['darwin', 'linux']).optional(),
    /** Escaping of string fields until a begin record says otherwise. Default dtrace. */
    backend: z.enum(BACKENDS).optional(),
    /** Longest line in characters; a longer one becomes a parse_error diagnostic. Default 1 MiB. */
    maxLineLength: z.number().int().min(1).optional(),
    /** Reorder window in ms of trace time. Default 1000. */
    reorderWindowMs: z.number().min(0).optional(),
    /** Most events the reorder window holds. Default 100000. */
    reorderMaxEvents: z.number().int().min(1).optional(),
  })
  .readonly();

export type ParserOptions = z.input<typeof parserOptionsSchema>;

export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
export const DEFAULT_REORDER_WINDOW_MS = 1000;
export const DEFAULT_REORDER_MAX_EVENTS = 100_000;
/**
 * Most characters of input text that records held in the window may keep in
 * memory (parse/held.ts): a record keeps the whole piece of input it came in,
 * and a traced program's own output, which shares the stream, can make those
 * pieces large while few records wait.
 */
export const DEFAULT_REORDER_MAX_TEXT = 64 * 1024 * 1024;

/**
 * Read size for trace files: a recorded trace is read in 1 MiB pieces rather
 * than fs streams' 64 KiB, so replay waits on sixteen times fewer reads.
 */
export const TRACE_READ_CHUNK = 1024 * 1024;

/** Bad parser options (a programming error, not bad input). */
export class ParserOptionsError extends Error {
  override name = 'ParserOptionsError';
}

/** Validate options, naming the bad one. */
export function checkParserOptions(opts: ParserOptions | undefined): z.output<typeof parserOptionsSchema> {
  const r = parserOptionsSchema.safeParse(opts ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ParserOptionsError(`invalid parser option ${issue.path.join('.') || '(root)'}: ${issue.message}`, { cause: r.error });
  }
  return r.data;
}

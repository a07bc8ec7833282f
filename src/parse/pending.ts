/**
 * The record a parser has read and not yet handed on: it may still be
 * followed by a blank line and ustack frames that belong to it. One per
 * parser, reused record after record (no object per record on the hot path);
 * the reorder window copies what it keeps (held.ts).
 */
import type { Os } from '../protocol/flags.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import type { EscapeStyle } from './escape.ts';

export class PendingRecord {
  /** The text its line is in, and which piece of input that text is (equal texts are still different pieces). */
  text = '';
  textId = 0;
  /** Its line is text[lineStart..lineEnd), its marker at text[markerAt]. */
  lineStart = 0;
  markerAt = 0;
  lineEnd = 0;
  /** Line number of its own line, and the input lines it covers so far (its own, a blank line, frames). */
  lineNo = 0;
  lines = 0;
  /** Arrival order across the input. */
  seq = 0;
  kindIndex = -1;
  /** Order keys of its ts (record-fields.ts TS_T, TS_SEC, TS_NSEC). */
  readonly keys = new Float64Array(3);
  /** Escaping and OS in force when it arrived: how its fields decode. */
  style: EscapeStyle = 'dtrace';
  os: Os = 'darwin';
  /** Text came before its marker on its line. */
  spliced = false;
  /** The event when it was decoded on arrival (begin), else null: decoded as it leaves the window. */
  decoded: TraceEvent | null = null;
  frames: string[] | null = null;
}

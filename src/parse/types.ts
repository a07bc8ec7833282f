/** Items the parser emits: every input line belongs to exactly one of them. */
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { TraceEvent } from '../protocol/registry.ts';

export interface RecordItem {
  readonly type: 'record';
  readonly event: TraceEvent;
  /** Input lines this record covers: its own line, plus a blank line and ustack frames when printed. */
  lines: number;
  /** Text found before the marker on the record's line (program output without a newline, non-quiet dtrace's prefix). */
  readonly prefix?: string;
}

export interface ForeignItem {
  readonly type: 'foreign';
  readonly line: number;
  readonly text: string;
  /** The line carried a record marker with a wrong or missing nonce. */
  readonly forged?: true;
}

export interface BlankItem {
  readonly type: 'blank';
  readonly line: number;
}

export type ParseItem = RecordItem | Diagnostic | ForeignItem | BlankItem;

/**
 * The parse summary: how every input line was accounted for, and what the
 * tracer said about loss. Reports turn it into blind spots.
 */
import type { DiagnosticFamily, DropKind } from '../protocol/diagnostics.ts';
import type { Os } from '../protocol/flags.ts';
import { RECORD_KINDS, type RecordKind } from '../protocol/registry.ts';
import type { ParseItem } from './types.ts';

export interface ParseSummary {
  /** Input lines seen (a final line without newline counts). */
  lines: number;
  /** Records decoded into events. */
  records: number;
  recordsByKind: Partial<Record<RecordKind, number>>;
  /** Diagnostics per family (each multi-line diagnostic counts once). */
  diagnostics: Partial<Record<DiagnosticFamily, number>>;
  /** Loss the tracer reported: the sum of the extracted counts, in total and per kind. */
  drops: { total: number; byKind: Partial<Record<DropKind, number>> };
  /** probe_error diagnostics. */
  probeErrors: number;
  /** Foreign lines (program output, prompts, anything not from the tracer or the script). */
  foreign: number;
  /** Foreign lines that carried a marker with a wrong or missing nonce. */
  forged: number;
  /** Records found after other text on their line. */
  spliced: number;
  blank: number;
  /** parse_error diagnostics (malformed records, over-long lines). */
  parseErrors: number;
  /** Events that reached the reorder window after later events had been released. */
  late: number;
  /** Whether the nonce was known in advance (false: locked on the first nonce seen). */
  authenticated: boolean;
  nonce: string | null;
  /** OS whose flag tables decoded the records (from the last begin record, else the option). */
  os: Os;
  /** Every line as exactly one of four: record + diagnostic + foreign + blank = lines. */
  accounting: { lines: number; record: number; diagnostic: number; foreign: number; blank: number };
}

/** Accumulates a ParseSummary from the items a parser emits. */
const KIND_INDEX = new Map<RecordKind, number>(RECORD_KINDS.map((k, i) => [k, i]));

export class SummaryAccumulator {
  records = 0;
  // Counts by registry index (no keyed store on the hot path), and the kinds in the order first seen.
  private readonly byKind = new Float64Array(RECORD_KINDS.length);
  private readonly kindOrder: number[] = [];
  readonly diagnostics: Partial<Record<DiagnosticFamily, number>> = {};
  dropsTotal = 0;
  readonly dropsByKind: Partial<Record<DropKind, number>> = {};
  probeErrors = 0;
  foreign = 0;
  forged = 0;
  spliced = 0;
  blank = 0;
  parseErrors = 0;
  late = 0;
  /** Input lines, counted by the parser itself so that the accounting below can be checked against it. */
  lines = 0;
  recordLines = 0;
  diagnosticLines = 0;
  authenticated: boolean;
  nonce: string | null;
  os: Os;

  constructor(init: { authenticated: boolean; nonce: string | null; os: Os }) {
    this.authenticated = init.authenticated;
    this.nonce = init.nonce;
    this.os = init.os;
  }

  /** Count one emitted item. */
  add(item: ParseItem): void {
    switch (item.type) {
      case 'record':
        this.addRecord(KIND_INDEX.get(item.event.kind) ?? -1, item.lines, item.prefix !== undefined);
        break;
      case 'diagnostic': {
        const f = item.family;
        this.diagnostics[f] = (this.diagnostics[f] ?? 0) + 1;
        this.diagnosticLines += item.lines;
        if (f === 'drops') {
          const n = item.data.count as number;
          const k = item.data.dropKind as DropKind;
          this.dropsTotal += n;
          this.dropsByKind[k] = (this.dropsByKind[k] ?? 0) + n;
        } else if (f === 'probe_error') this.probeErrors++;
        else if (f === 'parse_error') this.parseErrors++;
        break;
      }
      case 'foreign':
        this.foreign++;
        if (item.forged) this.forged++;
        break;
      case 'blank':
        this.blank++;
        break;
    }
  }

  /** Count one record by its kind's registry index (what add does for a record item). */
  addRecord(kindIndex: number, lines: number, spliced: boolean): void {
    this.records++;
    const c = this.byKind[kindIndex];
    if (c === 0) this.kindOrder.push(kindIndex);
    if (c !== undefined) this.byKind[kindIndex] = c + 1;
    this.recordLines += lines;
    if (spliced) this.spliced++;
  }

  /** Take back a record counted by addRecord that later failed to decode (it is then added as a diagnostic). */
  undoRecord(kindIndex: number, lines: number, spliced: boolean): void {
    this.records--;
    const c = this.byKind[kindIndex];
    if (c !== undefined && c > 0) this.byKind[kindIndex] = c - 1;
    this.recordLines -= lines;
    if (spliced) this.spliced--;
  }

  /** A snapshot; the accumulator keeps counting. */
  result(): ParseSummary {
    const lines = this.lines;
    return {
      lines,
      records: this.records,
      recordsByKind: Object.fromEntries(this.kindOrder.filter((i) => this.byKind[i]! > 0).map((i) => [RECORD_KINDS[i]!, this.byKind[i]!])) as Partial<Record<RecordKind, number>>,
      diagnostics: { ...this.diagnostics },
      drops: { total: this.dropsTotal, byKind: { ...this.dropsByKind } },
      probeErrors: this.probeErrors,
      foreign: this.foreign,
      forged: this.forged,
      spliced: this.spliced,
      blank: this.blank,
      parseErrors: this.parseErrors,
      late: this.late,
      authenticated: this.authenticated,
      nonce: this.nonce,
      os: this.os,
      accounting: {
        lines,
        record: this.recordLines,
        diagnostic: this.diagnosticLines,
        foreign: this.foreign,
        blank: this.blank,
      },
    };
  }
}

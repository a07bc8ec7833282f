/**
 * Parse stage: raw tracer output (stdout and stderr lines) into records,
 * diagnostics, foreign and blank lines, then events in time order.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import { checkParserOptions, TRACE_READ_CHUNK, type ParserOptions } from './options.ts';
import { ParserCore } from './parser.ts';
import { coreStream } from './parser-stream.ts';
import { ReorderWindow } from './reorder.ts';
import type { ParseSummary } from './summary.ts';
import type { ParseItem } from './types.ts';

export { ParserCore } from './parser.ts';
export { createParser, createParserSink, type ParserStream } from './parser-stream.ts';
export { HeldRecords, type HeldSink } from './held.ts';
export { createReorder, ReorderWindow, compareEvents, type ReorderOptions, type ReorderStream } from './reorder.ts';
export { SummaryAccumulator, type ParseSummary } from './summary.ts';
export type { ParseItem, RecordItem, ForeignItem, BlankItem } from './types.ts';
export { parserOptionsSchema, ParserOptionsError, TRACE_READ_CHUNK, type ParserOptions } from './options.ts';
export {
  decodeField,
  decodeFieldBytes,
  stringToBytes,
  bytesToString,
  encodeDtraceS,
  encodeBpftraceR,
  type EscapeStyle,
  type DecodedField,
} from './escape.ts';
export { classifyLine, DIAGNOSTIC_FAMILIES, type FamilyInfo } from './diagnostics.ts';
export { formatRecord, type FormatOptions, type FormatFields } from './format.ts';

export interface ParseResult {
  /** Every item in input order; their lines add up to summary.lines. */
  items: ParseItem[];
  /** Events in time order (reorder window applied). */
  events: TraceEvent[];
  diagnostics: Diagnostic[];
  summary: ParseSummary;
}

/** Collects items and reorders events; shared by the convenience functions. */
class Collector {
  readonly items: ParseItem[] = [];
  readonly events: TraceEvent[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly window: ReorderWindow;
  readonly core: ParserCore;
  private readonly decoder = new StringDecoder('utf8');

  constructor(opts: ParserOptions | undefined) {
    const o = checkParserOptions(opts);
    this.window = new ReorderWindow({ windowMs: o.reorderWindowMs, maxEvents: o.reorderMaxEvents });
    const out = (ev: TraceEvent) => {
      this.events.push(ev);
    };
    this.core = new ParserCore(o, (item) => {
      this.items.push(item);
      if (item.type === 'record') this.window.push(item.event, out);
      else if (item.type === 'diagnostic') this.diagnostics.push(item);
    });
  }

  write(chunk: string | Buffer): void {
    this.core.write(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  finish(): ParseResult {
    this.core.write(this.decoder.end());
    this.core.finish();
    return this.result();
  }

  /** The result once the core has seen the end of its input. */
  result(): ParseResult {
    this.window.flush((ev) => this.events.push(ev));
    const summary = this.core.result();
    summary.late = this.window.late;
    return { items: this.items, events: this.events, diagnostics: this.diagnostics, summary };
  }
}

/** Parse a whole trace held in memory. */
export async function parseText(text: string | Buffer, opts?: ParserOptions): Promise<ParseResult> {
  return parseTextSync(text, opts);
}

/** Synchronous parseText, for callers that have the whole trace already. */
export function parseTextSync(text: string | Buffer, opts?: ParserOptions): ParseResult {
  const c = new Collector(opts);
  c.write(text);
  return c.finish();
}

/** Parse everything a readable stream yields (bytes or strings). */
export async function parseStream(readable: Readable | AsyncIterable<string | Buffer>, opts?: ParserOptions): Promise<ParseResult> {
  const c = new Collector(opts);
  const parser = coreStream(c.core);
  parser.resume();
  await pipeline(readable, parser);
  return c.result();
}

/** Parse a raw trace file (a capture's stdout or stderr, or any saved dtrace/bpftrace output). */
export async function parseFile(path: string, opts?: ParserOptions): Promise<ParseResult> {
  return parseStream(createReadStream(path, { highWaterMark: TRACE_READ_CHUNK }), opts);
}

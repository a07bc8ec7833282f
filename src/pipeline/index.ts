/**
 * The pipeline: raw tracer output in, findings out. Live capture and replay
 * both run through here, so a recorded trace gives the findings the live run
 * gave (DESIGN data flow).
 */
import { createReadStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { Baseline } from '../baseline/index.ts';
import { createEngine, type EngineLimits, type Finding, type NotAttached, type Report } from '../engine/index.ts';
import { createParserSink, HeldRecords, TRACE_READ_CHUNK, type ParseItem, type ParseSummary, type ParserStream } from '../parse/index.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { Os } from '../protocol/flags.ts';
import type { TraceEvent } from '../protocol/registry.ts';

export interface PipelineOptions {
  /** Session nonce; null for a raw trace whose nonce is not known (records are then unauthenticated). */
  readonly nonce: string | null;
  /** Platform of the trace when no begin record says it (default darwin). */
  readonly os?: Os;
  /** String escaping until a begin record says otherwise (default dtrace). */
  readonly backend?: 'dtrace' | 'bpftrace';
  readonly baseline: Baseline;
  /** Reorder window in ms of trace time (default 1000). */
  readonly reorderWindowMs?: number;
  /** Most events the reorder window holds (default 100000). */
  readonly reorderMaxEvents?: number;
  /** Longest accepted line in characters (default 1 MiB). */
  readonly maxLineLength?: number;
  /** Correlation window of the engine in ms (default 60000). */
  readonly windowMs?: number;
  readonly limits?: Partial<EngineLimits>;
  /** Called when a finding first appears, for live display. */
  readonly onFinding?: (f: Finding) => void;
  /** Called with each event in time order (for `replay --events`). */
  readonly onEvent?: (e: TraceEvent) => void;
  /** Called with each line of stdout that is neither record, diagnostic nor blank, as it is parsed. */
  readonly onForeign?: (text: string) => void;
  /** Called with each diagnostic as it is parsed. */
  readonly onDiagnostic?: (d: Diagnostic) => void;
  /**
   * Asked after each piece of input: a promise holds the input back until it
   * settles (for output written by onEvent that is not keeping up), null goes on.
   */
  readonly outputReady?: () => Promise<void> | null;
}

export interface PipelineProgress {
  readonly lines: number;
  readonly records: number;
  readonly drops: number;
  readonly findings: number;
}

export interface PipelineResult {
  readonly report: Report;
  /** stdout and stderr summaries added together (accounting still sums to lines). */
  readonly parse: ParseSummary;
  /** Each stream's own summary. */
  readonly streams: { readonly stdout: ParseSummary; readonly stderr: ParseSummary };
}

export interface Pipeline {
  /** Raw tracer stdout bytes (a byte sink: parsed items go straight to the engine, none are readable). */
  readonly stdout: ParserStream;
  /** Raw tracer stderr bytes (likewise). */
  readonly stderr: ParserStream;
  progress(): PipelineProgress;
  /** Resolves once both streams have ended; `notAttached` lists processes a follow session could not attach. */
  finish(extra?: { notAttached?: readonly NotAttached[] }): Promise<PipelineResult>;
}

/** Build a pipeline; write bytes to `stdout` and `stderr`, end both, then await `finish()`. */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const parserOpts = {
    nonce: opts.nonce,
    os: opts.os,
    backend: opts.backend,
    maxLineLength: opts.maxLineLength,
  };
  let findings = 0;
  const engine = createEngine({
    baseline: opts.baseline,
    os: opts.os,
    backend: opts.backend,
    windowMs: opts.windowMs,
    limits: opts.limits,
    onFinding: (f) => {
      findings++;
      opts.onFinding?.(f);
    },
  });
  const onDiagnostic = (d: Diagnostic) => {
    opts.onDiagnostic?.(d);
    engine.diagnostic(d);
  };
  // Records wait in the window undecoded and become events as they leave it (parse/held.ts).
  const window = new HeldRecords(
    { windowMs: opts.reorderWindowMs, maxEvents: opts.reorderMaxEvents },
    {
      event: opts.onEvent
        ? (e: TraceEvent) => {
            opts.onEvent!(e);
            engine.event(e);
          }
        : (e: TraceEvent) => engine.event(e),
      diagnostic: onDiagnostic,
    },
  );
  const onItem = (item: ParseItem) => {
    if (item.type === 'diagnostic') onDiagnostic(item);
  };
  // Items are handed over as they are parsed: no stream object per line.
  const onForeign = opts.onForeign;
  const onStdoutItem = onForeign
    ? (item: ParseItem) => {
        if (item.type === 'foreign') onForeign(item.text);
        else onItem(item);
      }
    : onItem;
  const stdout = createParserSink(parserOpts, onStdoutItem, window, opts.outputReady);
  const stderr = createParserSink(parserOpts, onItem, window, opts.outputReady);
  const drained = [stdout, stderr].map(
    (s) =>
      new Promise<void>((resolve, reject) => {
        s.on('end', resolve);
        s.on('error', reject);
      }),
  );
  // finish() awaits these; until it is called (or when feeding failed first and it never is),
  // a stream error must not count as an unhandled rejection that kills the host process.
  for (const d of drained) d.catch(() => {});

  return {
    stdout,
    stderr,
    progress() {
      const a = stdout.summary();
      const b = stderr.summary();
      return { lines: a.lines + b.lines, records: a.records, drops: a.drops.total + b.drops.total, findings };
    },
    async finish(extra) {
      await Promise.all(drained);
      window.flush();
      const out = stdout.summary();
      const err = stderr.summary();
      const parse = mergeSummaries(out, err);
      parse.late = window.late;
      const report = engine.finish({ parse, notAttached: extra?.notAttached });
      return { report, parse, streams: { stdout: out, stderr: err } };
    },
  };
}

/** Add two parse summaries (stdout and stderr of one capture). */
export function mergeSummaries(a: ParseSummary, b: ParseSummary): ParseSummary {
  const addMaps = <K extends string>(x: Partial<Record<K, number>>, y: Partial<Record<K, number>>) => {
    const out: Partial<Record<K, number>> = { ...x };
    for (const [k, v] of Object.entries(y) as [K, number][]) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    lines: a.lines + b.lines,
    records: a.records + b.records,
    recordsByKind: addMaps(a.recordsByKind, b.recordsByKind),
    diagnostics: addMaps(a.diagnostics, b.diagnostics),
    drops: { total: a.drops.total + b.drops.total, byKind: addMaps(a.drops.byKind, b.drops.byKind) },
    probeErrors: a.probeErrors + b.probeErrors,
    foreign: a.foreign + b.foreign,
    forged: a.forged + b.forged,
    spliced: a.spliced + b.spliced,
    blank: a.blank + b.blank,
    parseErrors: a.parseErrors + b.parseErrors,
    late: a.late + b.late,
    authenticated: a.authenticated,
    nonce: a.nonce ?? b.nonce,
    os: a.os,
    accounting: {
      lines: a.accounting.lines + b.accounting.lines,
      record: a.accounting.record + b.accounting.record,
      diagnostic: a.accounting.diagnostic + b.accounting.diagnostic,
      foreign: a.accounting.foreign + b.accounting.foreign,
      blank: a.accounting.blank + b.accounting.blank,
    },
  };
}

/** Replay byte streams (a capture's stdout and stderr, or one mixed raw trace) through a fresh pipeline. */
export async function replayStreams(
  sources: { stdout: Readable; stderr?: Readable },
  opts: PipelineOptions,
  extra?: { notAttached?: readonly NotAttached[]; started?: (p: Pipeline) => void },
): Promise<PipelineResult> {
  const p = createPipeline(opts);
  const feed = (src: Readable | undefined, dst: Writable) => (src ? pipe(src, dst) : Promise.resolve(void dst.end()));
  const feeding = Promise.all([feed(sources.stdout, p.stdout), feed(sources.stderr, p.stderr)]);
  // Once the sources are piped: a listener added before would start them flowing on its own.
  extra?.started?.(p);
  try {
    await feeding;
  } catch (err) {
    // A source that fails (unreadable, gone) ends the replay: nothing is left reading or waiting.
    for (const s of [sources.stdout, sources.stderr, p.stdout, p.stderr]) s?.destroy();
    throw err;
  }
  return p.finish(extra);
}

/** Replay a raw trace file ('-' for stdin) through a fresh pipeline. */
export async function replayFile(path: string, opts: PipelineOptions): Promise<PipelineResult> {
  const stdout = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: TRACE_READ_CHUNK });
  return replayStreams({ stdout }, opts);
}

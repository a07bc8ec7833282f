/** What the pipeline takes and gives, on one thread or two. */
import type { Baseline } from '../baseline/index.ts';
import type { EngineLimits, Finding, NotAttached, Report } from '../engine/index.ts';
import type { ParseSummary, ParserStream } from '../parse/index.ts';
import type { Os, Backend } from '../protocol/flags.ts';
import type { TraceEvent } from '../protocol/registry.ts';

export interface PipelineOptions {
  /** Session nonce; null for a raw trace whose nonce is not known (records are then unauthenticated). */
  readonly nonce: string | null;
  /** Platform of the trace when no begin record says it (default darwin). */
  readonly os?: Os;
  /** String escaping until a begin record says otherwise (default dtrace). */
  readonly backend?: Backend;
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
  /**
   * Replay on one thread or two (replayStreams only; default: two for files of at least
   * WORKER_MIN_BYTES). The environment variable LOADTRACE_REPLAY_THREADS=1|2 decides the same.
   */
  readonly replayThreads?: 1 | 2;
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


/**
 * loadtrace's library API: the one public entry point. A test suite can
 * replay a recorded trace and assert on its findings in a few lines:
 *
 *   import { replay } from 'loadtrace';
 *   const { findings } = await replay('captures/my-session');
 *   expect(findings.map((f) => f.name)).toEqual(['wx-transition']);
 */
import type { Baseline } from './baseline/index.ts';
import { chooseBaseline, type BaselineOrigin } from './pipeline/baseline-choice.ts';
import type { Finding, BlindSpot, Report } from './engine/index.ts';
import type { ParseSummary } from './parse/index.ts';
import { replayStreams, type PipelineOptions } from './pipeline/index.ts';
import { checkIsTrace, inputName, InputError, openInput } from './pipeline/input.ts';
import { CaptureDirError } from './pipeline/capture-dir.ts';
import { BaselineError } from './baseline/index.ts';
import type { Os } from './protocol/flags.ts';
import type { TraceEvent } from './protocol/registry.ts';

// Records and events.
export {
  RECORDS,
  RECORD_KINDS,
  COMMON_FIELDS,
  PROTOCOL_VERSION,
  MARKER_PREFIX,
  type RecordKind,
  type TraceEvent,
  type EventOf,
} from './protocol/registry.ts';
export { eventSchema, eventSchemas } from './protocol/schema.ts';
export type { Diagnostic, DiagnosticFamily, DropKind } from './protocol/diagnostics.ts';
export * as flags from './protocol/flags.ts';
export type { Os } from './protocol/flags.ts';

// Parse stage.
export {
  createParser,
  createReorder,
  parseText,
  parseFile,
  parseStream,
  formatRecord,
  decodeField,
  type ParseItem,
  type ParseResult,
  type ParseSummary,
  type ParserOptions,
} from './parse/index.ts';

// Generate stage.
export { generate, generateFollow, newNonce, TOOLS, toolOptionsSchema, GenerateError } from './generate/index.ts';

// Detection.
export { createEngine, runEngine, type Engine, type Finding, type BlindSpot, type Report } from './engine/index.ts';
export { RULES } from './rules/index.ts';
export {
  loadBaseline,
  loadDefaultBaseline,
  parseBaseline,
  mergeBaselines,
  diffBaselines,
  BaselineError,
  type Baseline,
} from './baseline/index.ts';
export { formatTable, formatJsonLines, summaryObject, failOn, filterFindings } from './report/index.ts';

// Pipeline, replay and capture.
export { createPipeline, replayStreams, replayFile, type Pipeline, type PipelineOptions, type PipelineResult } from './pipeline/index.ts';
export { openCaptureDir, CaptureDirError } from './pipeline/capture-dir.ts';
export { openInput, InputError } from './pipeline/input.ts';
export { readEvents } from './pipeline/events.ts';
export { learnBaseline, LearnLossError } from './pipeline/learn.ts';
export { CaptureError } from './capture/errors.ts';
export { runCapture, type CaptureOptions, type CaptureResult } from './capture/capture.ts';

export interface ReplayOptions {
  /**
   * A baseline object or the path of a baseline file. Default: the one a capture directory recorded
   * (the baseline it was judged with live), else the shipped one for the trace's platform.
   */
  readonly baseline?: Baseline | string;
  /** Nonce of a raw trace; a capture directory supplies its own. */
  readonly nonce?: string | null;
  readonly os?: Os;
  /** Keep every event in the result (default false: memory stays flat for long traces). */
  readonly keepEvents?: boolean;
  readonly reorderWindowMs?: number;
  readonly pipeline?: Partial<Omit<PipelineOptions, 'baseline' | 'nonce' | 'os'>>;
  /** Accept input that holds no records or no begin record (default false: an InputError). */
  readonly allowEmpty?: boolean;
}

export interface ReplayResult {
  readonly findings: Finding[];
  readonly blindSpots: BlindSpot[];
  readonly report: Report;
  readonly parse: ParseSummary;
  /** Events in time order, when keepEvents was set. */
  readonly events: TraceEvent[];
  /** Which baseline judged: given in the options, recorded with the capture directory, or the shipped default. */
  readonly baseline: { readonly source: string; readonly origin: BaselineOrigin };
}

/**
 * Replay a capture directory, a raw trace file, or trace text (a Buffer, or a
 * string holding newlines) through the whole pipeline.
 *
 * Rejects, never throws past the promise, with: CaptureDirError (a capture
 * directory that cannot be replayed), InputError (missing or unreadable input,
 * or input that is not a trace), BaselineError (the baseline file).
 */
export async function replay(input: string | Buffer, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const text = typeof input === 'string' && input.includes('\n') ? Buffer.from(input) : input;
  const name = inputName(text);
  const opened = openInput(text, { nonce: opts.nonce, os: opts.os });
  const chosen = chooseBaseline(opts.baseline, opened);
  const baseline = chosen.baseline;
  const events: TraceEvent[] = [];
  let result;
  try {
    result = await replayStreams(opened.sources, {
      ...opts.pipeline,
      nonce: opened.nonce,
      os: opened.os,
      backend: opened.backend,
      baseline,
      reorderWindowMs: opts.reorderWindowMs,
      onEvent: opts.keepEvents ? (e) => void events.push(e) : opts.pipeline?.onEvent,
    }, { notAttached: opened.notAttached });
  } catch (err) {
    if (err instanceof CaptureDirError || err instanceof InputError || err instanceof BaselineError) throw err;
    throw new InputError(`${name}: cannot read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  checkIsTrace(name, result.parse, opts.allowEmpty ?? false);
  return {
    findings: result.report.findings,
    blindSpots: result.report.blindSpots,
    report: result.report,
    parse: result.parse,
    events,
    baseline: { source: chosen.source, origin: chosen.origin },
  };
}

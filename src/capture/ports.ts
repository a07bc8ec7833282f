/**
 * What capture needs from the rest of loadtrace, as narrow interfaces: the
 * script generator and the analysis (pipeline + baseline + reports).
 * The capture core (process, files, signals, metadata) depends only on these,
 * so it is tested without the analysis and the analysis is swapped in whole.
 */
import type { Writable } from 'node:stream';
import type { EngineLimits } from '../engine/index.ts';
import type { Os } from '../protocol/flags.ts';
import type { Backend, Target } from '../generate/options.ts';

export type { Target } from '../generate/options.ts';

export interface GenerateRequest {
  readonly tool: string;
  readonly backend: Backend;
  readonly target: Target;
  readonly options: Readonly<Record<string, unknown>>;
  readonly nonce?: string;
  /** The system a D script runs on (its flag values and probes). */
  readonly os?: Os;
}

export interface Generated {
  readonly script: string;
  readonly nonce: string;
  /** The tracer's arguments, with `{script}` where the script's path goes. */
  readonly tracerArgs: readonly string[];
  /** Environment the tracer needs (bpftrace string and map limits). */
  readonly env?: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

export type GenerateFn = (req: GenerateRequest) => Generated;

/** The follow-mode watcher script (generate's generateFollow). */
export type FollowGenerateFn = (req: {
  readonly target: Extract<Target, { kind: 'name' | 'all' }>;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly nonce?: string;
  readonly os?: Os;
}) => Generated;

export interface AnalyzerProgress {
  readonly records: number;
  readonly drops: number;
  readonly findings: number;
  readonly lines: number;
}

/** The streaming analysis of one capture: raw bytes in, findings out. */
export interface Analyzer {
  readonly stdout: Writable;
  readonly stderr: Writable;
  progress(): AnalyzerProgress;
  /** Call after both streams have ended; `notAttached` lists processes follow mode could not trace. */
  finish(extra?: { notAttached?: readonly NotAttached[] }): Promise<{ report: unknown; parse: unknown }>;
}

/** A process follow mode could not trace (the engine lists these as blind spots). */
export interface NotAttached {
  readonly pid?: number;
  readonly name?: string;
  readonly reason: string;
}

export interface AnalyzerRequest {
  readonly nonce: string;
  readonly os: 'darwin' | 'linux';
  /** String escaping of the records: dtrace's %S or bpftrace's %r. */
  readonly backend: Backend;
  readonly onFinding: (finding: unknown) => void;
  /** Each line of the tracer's stdout that is not a record, as it is parsed (the -c program's output). */
  readonly onOutput?: (line: string) => void;
}

/** The analysis and the reporting choices (--format, --min-severity, --fail-on) it was built with. */
export interface CaptureAnalysis {
  /** The baseline file the findings are judged with, as read: the capture keeps a copy so a replay judges alike. */
  readonly baseline?: { readonly source: string; readonly text: string };
  createAnalyzer(req: AnalyzerRequest): Analyzer;
  /** Text for stdout as a finding arrives ('' to print nothing live, e.g. --format json). */
  renderLiveFinding(finding: unknown): string;
  /** Text for stdout once the capture is over (the table's summary, the JSON document…), as replay prints it. */
  renderFinal(report: unknown, capture: { readonly dir: string; readonly tool: string; readonly ending: string }): string;
  /** findings.jsonl for the capture directory. */
  findingsJsonl(report: unknown): string;
  /** summary.json for the capture directory. */
  summaryJson(report: unknown): unknown;
  /** report.html for the capture directory (with --html), from the report and the final meta.json; absent or null: none. */
  reportHtml?(report: unknown, meta: Readonly<Record<string, unknown>>): string | null;
  /** Counts for meta.json. */
  findingCounts(report: unknown): { total: number; bySeverity: Record<string, number> };
  /** Whether a finding is at or above --fail-on. */
  failsOn(report: unknown): boolean;
}

/** What the pipeline takes: parser and reorder bounds, and the engine's limits. */
export interface ResourceLimits {
  readonly maxLineLength?: number;
  readonly reorderMaxEvents?: number;
  readonly limits: Partial<EngineLimits>;
}

/** The reporting choices of a capture (--format, --min-severity, --fail-on, --baseline…), as the command line read them. */
export interface ReportChoices {
  readonly format: 'table' | 'jsonl' | 'json';
  readonly minSeverity: string;
  readonly failOn: string | null;
  /** Baseline file (absolute). */
  readonly baseline: string;
  /** Whether the baseline was named with --baseline or is the shipped default (for the report's note). */
  readonly baselineOrigin?: 'given' | 'default';
  /** Resource limits of the analysis (--max-line-length, --max-processes…); defaults when absent. */
  readonly resources?: ResourceLimits;
  /** Also write report.html into the capture directory (--html). */
  readonly html?: boolean;
  /** Times in the table in UTC instead of the local zone (--utc). */
  readonly utc?: boolean;
  /** ANSI colours in the table, decided from --color, NO_COLOR and the terminal. */
  readonly color?: boolean;
}

/**
 * Diagnostics: every line that is not a record but says something about the
 * trace (the tracer's own messages, malformed records). Families and their
 * extracted numbers are the contract between the parser, the engine's blind
 * spots, capture's drop policy and the reports.
 */

/** Kinds of loss, one per message family in docs/platforms/macos.md §3 plus bpftrace's. */
export type DropKind =
  | 'principal' // N drops on CPU n
  | 'aggregation' // N aggregation drops on CPU n
  | 'dynvar' // N dynamic variable drops
  | 'dynvar_rinsing' // … with non-empty rinsing list
  | 'dynvar_dirty' // … with non-empty dirty list
  | 'speculative' // N speculative drops
  | 'spec_busy' // N failed speculations (available buffer(s) still busy)
  | 'spec_unavail' // N failed speculations (no speculative buffer available)
  | 'stack_strtab' // N jstack()/ustack() string table overflows
  | 'error_enabling' // N errors in ERROR probe enabling
  | 'lost_events'; // bpftrace: Lost N events

export type DiagnosticFamily =
  | 'probes_matched' // data: count, what ('script'|'description'), name
  | 'drops' // data: count, dropKind, cpu?
  | 'probe_error' // data: epid, probeId, probe, fault, addr?, action, difOffset?; Oracle DTrace for Linux: clause, bpfPc
  | 'sip_notice'
  | 'sip_restricted' // probe description … does not match any probes. System Integrity Protection is on; anonymous tracing refused
  | 'privileges' // DTrace requires additional privileges
  | 'exec_failed' // failed to execute <cmd>: <reason>
  | 'grab_failed' // failed to grab pid <P>: <reason>
  | 'invalid_pid'
  | 'compile_error' // failed to compile script; invalid probe specifier (multi-line)
  | 'enable_failed' // failed to enable '<name>': …; could not enable tracing: …
  | 'no_probes' // no probes matched / no probes specified
  | 'aborted' // processing aborted: …
  | 'option_failed' // failed to set -x opt: …
  | 'output_failed' // failed to open output file
  | 'pid_exit' // data: pid, status? | signal?  (has exited / exited with status / terminated by)
  | 'pid_notice' // data: pid, message  (pid P: msg; exec'd a set-id or unobservable program)
  | 'destructive' // allowing destructive actions
  | 'buffer_adjust' // data: what, value (buffer size lowered, cleaning rate …)
  | 'header' // CPU ID FUNCTION:NAME column header of non-quiet dtrace
  | 'attaching' // bpftrace: Attaching N probes...
  | 'memlock' // bpftrace: couldn't set RLIMIT_MEMLOCK (harmless notice)
  | 'tracer_error' // any other `dtrace: …` / bpftrace `ERROR: …` message, kept verbatim
  | 'tracer_notice' // any other recognised tracer chatter
  | 'parse_error'; // a record line that failed to decode; data.reason says why

export type DiagnosticSeverity = 'info' | 'warning' | 'error';

export interface Diagnostic {
  readonly type: 'diagnostic';
  readonly family: DiagnosticFamily;
  readonly severity: DiagnosticSeverity;
  /** 1-based number of the first input line of this diagnostic. */
  readonly line: number;
  /** How many input lines it spans (a multi-line compile error spans several). */
  readonly lines: number;
  /** The text as received, lines joined with \n (without escapes decoded). */
  readonly text: string;
  /** Extracted values: counts, pids, probe descriptions, reasons. */
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
}

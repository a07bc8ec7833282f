/**
 * Watches the tracer's stderr as it arrives for the few messages that decide
 * how a capture ended: refusals (privileges, SIP, compile errors), attach
 * failures, the target's exit, and drops. The full classification of every
 * line is the parser's job; this only needs enough to choose an ending and to
 * apply the drop policy while the tracer runs.
 *
 * Families come from the parser's classifyLine (docs/platforms/macos.md §3 and §6);
 * a few bpftrace 0.17 messages it leaves unclassified are recognised here.
 */
import type { DiagnosticFamily } from '../protocol/diagnostics.ts';
import { classifyLine } from '../parse/diagnostics.ts';

export type RefusalReason = 'privileges' | 'sip' | 'compile' | 'enable' | 'no-probes' | 'option' | 'invalid-pid' | 'output';

export interface StderrFacts {
  /** First message that means the tracer refused to trace, with why. */
  refusal: { reason: RefusalReason; text: string } | null;
  /** First failure to attach to or start the target (`failed to grab pid`, `failed to execute`). */
  attachFailure: { pid: number | null; text: string } | null;
  /** Target exit notices (`dtrace: pid N has exited`, `… exited with status n`, `… terminated by SIG`). */
  pidExits: { pid: number; text: string }[];
  /** Whether the SIP notice was printed (macOS with SIP's DTrace restriction on). */
  sipNotice: boolean;
  /** Drop totals by kind, summed over CPUs (same kinds as protocol diagnostics' DropKind). */
  drops: Record<string, number>;
  /** Lines seen so far. */
  lines: number;
}

const REFUSALS: Partial<Record<DiagnosticFamily, RefusalReason>> = {
  privileges: 'privileges',
  sip_restricted: 'sip',
  compile_error: 'compile',
  enable_failed: 'enable',
  no_probes: 'no-probes',
  option_failed: 'option',
  invalid_pid: 'invalid-pid',
  output_failed: 'output',
};

function refuse(facts: StderrFacts, reason: RefusalReason, line: string): void {
  // A multi-line `invalid probe specifier` may end with the SIP reason: SIP is the more useful diagnosis.
  if (!facts.refusal || (reason === 'sip' && facts.refusal.reason === 'compile')) facts.refusal = { reason, text: line };
}

// bpftrace messages the parser keeps as plain tracer_error (or not at all), observed with bpftrace 0.17.
const BPFTRACE_ROOT = /bpftrace currently only supports running as the root user/;
const BPFTRACE_COMPILE = /^\S*:\d+:\d+(?:-\d+)?: ERROR: /;
const BPFTRACE_NO_PROCESS = /^ERROR: .*No such process/;
// The closing line of a multi-line probe specifier error under SIP (reference §3).
const SIP_TAIL = /System Integrity Protection is on/;

/** Fresh, empty facts. */
export function emptyStderrFacts(): StderrFacts {
  return { refusal: null, attachFailure: null, pidExits: [], sipNotice: false, drops: {}, lines: 0 };
}

/** Total of all drop kinds. */
export function totalDrops(facts: StderrFacts): number {
  return Object.values(facts.drops).reduce((a, b) => a + b, 0);
}

/** Folds one stderr line (without its newline) into the facts; never throws. */
export function scanStderrLine(facts: StderrFacts, rawLine: string): void {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  facts.lines++;
  // The parser's classifier decides the family, so capture and reports never disagree on what a line is.
  const d = classifyLine(line, facts.lines);
  const family = d?.family;
  const refusal = family ? REFUSALS[family] : undefined;
  if (refusal) return refuse(facts, refusal, line);
  switch (family) {
    case 'grab_failed':
      facts.attachFailure ??= { pid: typeof d?.data.pid === 'number' ? d.data.pid : null, text: line };
      return;
    case 'exec_failed':
      facts.attachFailure ??= { pid: null, text: line };
      return;
    case 'pid_exit':
      if (typeof d?.data.pid === 'number') facts.pidExits.push({ pid: d.data.pid, text: line });
      return;
    case 'drops': {
      const kind = String(d?.data.dropKind ?? 'principal');
      facts.drops[kind] = (facts.drops[kind] ?? 0) + Number(d?.data.count ?? 0);
      return;
    }
    case 'sip_notice':
      facts.sipNotice = true;
      return;
    default:
      break;
  }
  if (BPFTRACE_ROOT.test(line)) refuse(facts, 'privileges', line);
  else if (BPFTRACE_COMPILE.test(line)) refuse(facts, 'compile', line);
  else if (BPFTRACE_NO_PROCESS.test(line)) facts.attachFailure ??= { pid: null, text: line };
  else if (SIP_TAIL.test(line) && facts.refusal?.reason === 'compile') refuse(facts, 'sip', line);
}

/** Splits a byte stream into lines for scanStderrLine, carrying partial lines across chunks. */
export class LineScanner {
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds a chunk; complete lines are delivered at once. */
  push(chunk: Uint8Array): void {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.onLine(l);
  }

  /** Delivers a last unterminated line, if any. */
  end(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    if (rest.length > 0) this.onLine(rest);
  }
}

/**
 * Loss and blind-spot reporting: what the trace says it lost (drops, probe
 * errors, processes not attached, tracer errors, malformed records, missing
 * end-of-run counters), what arrived out of order, what the engine could not
 * place, and which of its limits were reached, tallied as it happens and
 * written out as blind spots at the end. Counts are exact; only the first
 * examples of each are kept, so a hostile stderr cannot grow memory.
 */
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { Os, Backend } from '../protocol/flags.ts';
import type { EventOf, TraceEvent } from '../protocol/registry.ts';
import type { ProcessInfo } from '../state/process-table.ts';
import { platformBlindSpots, UNMAPPED_IMAGES, type BlindSpot } from './blind-spots.ts';

/** Distinct trailer counter names kept: a script prints about ten; a hostile capture could print millions. */
export const MAX_TRAILER_NAMES = 256;
/** The trailer counter that counts a script's other trailers (dtrace/fragments/trailer-end). */
const TRAILER_COUNT = 'trailers';

interface Tally {
  n: number;
  readonly examples: string[];
}

/** A process the capture could not attach (follow mode), reported with the trace's own. */
export interface NotAttached {
  readonly pid?: number;
  readonly name?: string;
  readonly reason: string;
}

/** What the engine's other parts counted against its limits, for the `limits` blind spot. */
export interface LimitCounts {
  readonly maxProcesses: number;
  readonly maxRegionsPerProcess: number;
  readonly maxFindings: number;
  readonly processesForgotten: number;
  readonly regionsForgotten: number;
  readonly findingsDropped: number;
  readonly invalidAddresses: number;
  readonly memfdsForgotten: number;
}

export interface BlindSpotInputs {
  readonly os: Os;
  readonly backend: Backend | null;
  /** Events the parser's reorder window delivered late. */
  readonly parserLate: number;
  readonly notAttached: readonly NotAttached[];
  readonly preexisting: number;
  readonly preexistingExamples: readonly string[];
  readonly limits: LimitCounts;
}

export class LossTally {
  diagnostics = 0;
  readonly diagnosticsByFamily: Record<string, number> = {};
  /** Events seen out of time order. */
  lateEvents = 0;
  /** Execution samples outside every region the trace saw mapped. */
  unattributed = 0;
  // No prototype: counter names come from the trace, and `__proto__` or `constructor` is a valid word.
  readonly trailers: Record<string, number> = Object.create(null) as Record<string, number>;
  trailersIgnored = 0;
  private readonly lateExamples: string[] = [];
  private readonly unattributedExamples: string[] = [];
  // A script prints begin first and its trailers at END: begins without any trailer mean the end was lost.
  private beginsSeen = 0;
  private trailersSeen = 0;
  // Scripts that print it end with a count of their other trailers (dtrace/fragments/trailer-end).
  private trailerCounts = 0;
  private trailersExpected = 0;
  private trailerNames = 0;
  private readonly dropsByKind = new Map<string, number>();
  private readonly dropExamples: string[] = [];
  private readonly probeErrors: Tally = { n: 0, examples: [] };
  private readonly notAttached: Tally = { n: 0, examples: [] };
  private readonly sip: Tally = { n: 0, examples: [] };
  private readonly tracerErrors: Tally = { n: 0, examples: [] };
  private readonly malformed: Tally = { n: 0, examples: [] };

  constructor(private readonly maxExamples: number) {}

  private example(list: string[], text: string): void {
    if (list.length < this.maxExamples) list.push(text);
  }

  private tally(c: Tally, text: string): void {
    c.n++;
    this.example(c.examples, text);
  }

  /** An event that arrived after a later one. */
  late(e: TraceEvent): void {
    this.lateEvents++;
    if (this.lateExamples.length < this.maxExamples) this.lateExamples.push(`line ${e.line}: ${e.kind} at ${e.ts}`);
  }

  /** A sample whose pc no region the trace saw can account for. */
  unattributedSample(p: ProcessInfo, pc: string): void {
    this.unattributed++;
    if (this.unattributedExamples.length < this.maxExamples) this.unattributedExamples.push(`pid ${p.pid} (${p.name}) pc ${pc}`);
  }

  begin(): void {
    this.beginsSeen++;
  }

  trailer(e: EventOf<'trailer'>): void {
    this.trailersSeen++;
    if (e.counter === TRAILER_COUNT) {
      // Each script's last trailer says how many others it printed: a shortfall means some were lost.
      this.trailerCounts++;
      if (e.value > 0) this.trailersExpected += e.value;
      return;
    }
    const t = this.trailers;
    if (e.counter in t || this.trailerNames < MAX_TRAILER_NAMES) {
      if (!(e.counter in t)) this.trailerNames++;
      t[e.counter] = (t[e.counter] ?? 0) + e.value;
    } else this.trailersIgnored++;
  }

  diagnostic(d: Diagnostic): void {
    this.diagnostics++;
    this.diagnosticsByFamily[d.family] = (this.diagnosticsByFamily[d.family] ?? 0) + 1;
    const data = d.data;
    switch (d.family) {
      case 'drops': {
        const n = typeof data.count === 'number' ? data.count : Number(data.count ?? 0);
        const k = String(data.dropKind ?? 'unknown');
        this.dropsByKind.set(k, (this.dropsByKind.get(k) ?? 0) + (Number.isFinite(n) ? n : 0));
        this.example(this.dropExamples, d.text);
        break;
      }
      case 'probe_error':
        this.tally(this.probeErrors, d.text);
        break;
      case 'grab_failed':
      case 'exec_failed':
      case 'invalid_pid':
        this.tally(this.notAttached, d.text);
        break;
      case 'pid_notice':
        if (/unobservable|set-id/.test(d.text)) this.tally(this.notAttached, d.text);
        break;
      case 'sip_notice':
      case 'sip_restricted':
        this.tally(this.sip, d.text);
        break;
      case 'privileges':
      case 'compile_error':
      case 'enable_failed':
      case 'no_probes':
      case 'aborted':
      case 'option_failed':
      case 'output_failed':
      case 'tracer_error':
        this.tally(this.tracerErrors, d.text);
        break;
      case 'parse_error':
        this.malformed.n++;
        this.example(this.malformed.examples, `line ${d.line}: ${String(data.reason ?? d.text)}`);
        break;
      default:
        break;
    }
  }

  /** Late events: the parser counts what its window delivered late, the engine what reached it out of order; the larger. */
  lateTotal(parserLate: number): number {
    return Math.max(this.lateEvents, parserLate);
  }

  /** The blind spots, in the order reports show them. */
  blindSpots(inputs: BlindSpotInputs): BlindSpot[] {
    const blind: BlindSpot[] = [];
    const ex = (list: readonly string[]) => list.slice(0, this.maxExamples);
    if (this.dropsByKind.size > 0) {
      let total = 0;
      const parts: string[] = [];
      for (const [k, n] of this.dropsByKind) {
        total += n;
        parts.push(`${k}: ${n}`);
      }
      blind.push({
        kind: 'drops',
        title: 'the tracer dropped data',
        detail: `Events were lost in the tracer's buffers (${parts.join(', ')}); findings may be missing and region state may be stale.`,
        count: total,
        examples: ex(this.dropExamples),
      });
    }
    if (this.probeErrors.n > 0) {
      blind.push({
        kind: 'probe_errors',
        title: 'probe errors',
        detail: 'Probe actions faulted (docs/platforms/macos.md §3, §5): the records those firings would have printed are missing.',
        count: this.probeErrors.n,
        examples: ex(this.probeErrors.examples),
      });
    }
    const extraNotAttached = inputs.notAttached.map((n) =>
      `${n.pid !== undefined ? `pid ${n.pid}` : ''}${n.name !== undefined ? ` ${n.name}` : ''}: ${n.reason}`.trim(),
    );
    const notAttachedExamples = [...this.notAttached.examples, ...extraNotAttached.slice(0, this.maxExamples)];
    const notAttachedCount = this.notAttached.n + extraNotAttached.length;
    if (notAttachedCount > 0) {
      blind.push({
        kind: 'not_attached',
        title: 'processes that could not be traced',
        detail: 'The tracer could not attach to or start these processes (restricted entitlements, translated or SIP-protected binaries): nothing they did is in the trace.',
        count: notAttachedCount,
        examples: ex(notAttachedExamples),
      });
    }
    if (this.sip.n > 0) {
      blind.push({
        kind: 'sip',
        title: 'System Integrity Protection restricts DTrace',
        detail: 'With SIP on, kernel reads fault, fbt probes are absent and restricted processes cannot be instrumented (docs/platforms/macos.md §6).',
        count: this.sip.n,
        examples: ex(this.sip.examples),
      });
    }
    if (this.tracerErrors.n > 0) {
      blind.push({ kind: 'tracer_errors', title: 'tracer errors', detail: 'The tracer reported errors: parts of the script may not have run.', count: this.tracerErrors.n, examples: ex(this.tracerErrors.examples) });
    }
    if (this.malformed.n > 0) {
      blind.push({ kind: 'malformed_records', title: 'malformed records', detail: 'Record lines that could not be decoded were skipped.', count: this.malformed.n, examples: ex(this.malformed.examples) });
    }
    if (inputs.preexisting > 0) {
      blind.push({
        kind: 'preexisting_regions',
        title: 'regions of unknown origin (mapped before tracing began, or never tracked)',
        detail:
          'Protection changes touched memory the trace never saw mapped and the script did not track: memory mapped before tracing began, a sub-range of a larger mapping, or a PROT_NONE reservation (JITs such as V8 reserve address space that way). Its origin (anonymous or file) and previous protection are unknown, so W→X cannot be judged there; execution there, once made executable, is reported by LT-006 at medium unless the baseline expects generated code.',
        count: inputs.preexisting,
        examples: ex(inputs.preexistingExamples),
      });
    }
    if (this.unattributed > 0) {
      blind.push({
        kind: 'unattributed_samples',
        title: 'samples outside known regions',
        detail: `Execution samples whose PC lies in no region the trace saw mapped (${UNMAPPED_IMAGES[inputs.os]}): they cannot be judged unless the tracer named no module for them.`,
        count: this.unattributed,
        examples: ex(this.unattributedExamples),
      });
    }
    const late = this.lateTotal(inputs.parserLate);
    if (late > 0) {
      blind.push({
        kind: 'late_events',
        title: 'events arrived later than the reorder window',
        detail: 'Some events reached the engine out of time order: state changes they carry were applied late, which can hide or misplace findings. Widen the reorder window or use -x temporal.',
        count: late,
        examples: ex(this.lateExamples),
      });
    }
    const limitsSpot = this.limitsBlindSpot(inputs.limits);
    if (limitsSpot !== null) blind.push(limitsSpot);
    const counters = Object.entries(this.trailers).filter(([k, v]) => v > 0 && /drop|lost|full|overflow|miss/i.test(k));
    if (counters.length > 0) {
      blind.push({
        kind: 'script_counters',
        title: "the script's own loss counters are not zero",
        detail: counters.map(([k, v]) => `${k}=${v}`).join(', '),
        count: counters.reduce((a, [, v]) => a + v, 0),
        examples: [],
      });
    }
    const lostEnds = Math.max(0, this.beginsSeen - this.trailerCounts);
    const arrived = this.trailersSeen - this.trailerCounts;
    const lostCounters = Math.max(0, this.trailersExpected - arrived);
    if (this.trailersSeen > 0 && this.trailerCounts > 0 && (lostEnds > 0 || lostCounters > 0)) {
      const expected = this.trailersExpected;
      blind.push({
        kind: 'partial_trailer',
        title: "some of the scripts' end-of-run counters never arrived",
        detail: `The scripts said they would print ${expected} end-of-run counter${expected === 1 ? '' : 's'} and ${arrived} arrived${lostEnds > 0 ? `; ${lostEnds} of ${this.beginsSeen} scripts' counts never arrived at all` : ''}. Their END output was lost to drops, or a script was killed: the counters (statistics.trailers) are incomplete, and so is what they say the kernel side filtered.`,
        count: lostCounters + lostEnds,
        examples: [],
      });
    }
    if (this.beginsSeen > 0 && this.trailersSeen === 0) {
      blind.push({
        kind: 'missing_trailer',
        title: "the script's end-of-run counters never arrived",
        detail:
          'The trace has begin records but no trailer: the tracer was killed or crashed, the capture was cut short, or its END output was lost to drops. What the kernel side filtered, remembered or rate-limited is unknown, and the last events before the cut may be missing too.',
        count: this.beginsSeen,
        examples: [],
      });
    }
    for (const ps of platformBlindSpots(inputs.os, inputs.backend)) blind.push({ kind: 'platform', title: ps.title, detail: ps.detail, count: null, examples: [] });
    return blind;
  }

  private limitsBlindSpot(c: LimitCounts): BlindSpot | null {
    const parts: string[] = [];
    if (c.processesForgotten > 0) parts.push(`${c.processesForgotten} live processes forgotten (maxProcesses ${c.maxProcesses})`);
    if (c.regionsForgotten > 0) parts.push(`${c.regionsForgotten} regions forgotten (maxRegionsPerProcess ${c.maxRegionsPerProcess})`);
    if (c.findingsDropped > 0) parts.push(`${c.findingsDropped} new findings not kept (maxFindings ${c.maxFindings})`);
    if (c.invalidAddresses > 0) parts.push(`${c.invalidAddresses} events with addresses beyond 2^53 ignored for region tracking`);
    if (c.memfdsForgotten > 0) parts.push(`${c.memfdsForgotten} memfd names not kept (maxRegionsPerProcess ${c.maxRegionsPerProcess} per process)`);
    if (this.trailersIgnored > 0) parts.push(`${this.trailersIgnored} trailer records beyond ${MAX_TRAILER_NAMES} distinct counter names ignored`);
    if (parts.length === 0) return null;
    const count = c.processesForgotten + c.regionsForgotten + c.findingsDropped + c.invalidAddresses + c.memfdsForgotten + this.trailersIgnored;
    return { kind: 'limits', title: 'engine limits reached', detail: parts.join('; '), count, examples: [] };
  }
}

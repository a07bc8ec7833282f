/**
 * The detection engine: events in time order -> process table and region
 * maps (memory.ts) -> rules + baseline -> de-duplicated findings (findings.ts),
 * correlation (rules/correlation.ts), blind spots (losses.ts).
 * Hot path rules: no zod, no per-event allocation beyond what a change needs,
 * a Map lookup per event and a binary search per region question.
 */
import { compileBaseline, type CompiledBaseline, type CompiledEntry } from '../baseline/compile.ts';
import type { Baseline } from '../baseline/schema.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import { PROT_EXEC, type Os, type Backend } from '../protocol/flags.ts';
import type { EventOf, RecordKind, TraceEvent } from '../protocol/registry.ts';
import { RECORD_KINDS } from '../protocol/registry.ts';
import { Correlator, DEFAULT_CORRELATION_MIN_RULES, DEFAULT_CORRELATION_WINDOW_MS, type CorrelationState } from '../rules/correlation.ts';
import type { Finding } from '../rules/finding.ts';
import { RULES } from '../rules/index.ts';
import { u64, type Behaviour, type ExpectOptions, type Judged, type MemoryChange, type Rule, type RuleContext, type RuleMeta, type Subject, type Verdict } from '../rules/types.ts';
import { ProcessTable, type ProcessInfo } from '../state/process-table.ts';
import { snapshot, type Region } from '../state/region-map.ts';
import type { BlindSpot } from './blind-spots.ts';
import { FindingStore } from './findings.ts';
import { LossTally, type NotAttached } from './losses.ts';
import { MemoryState } from './memory.ts';

export type { BlindSpot, BlindSpotKind } from './blind-spots.ts';
export { platformBlindSpots } from './blind-spots.ts';
export type { NotAttached } from './losses.ts';
export type { EvidenceEvent, Finding, ProcessIdentity, RegionEvidence } from '../rules/finding.ts';
export type { Judged } from '../rules/types.ts';

/** Resource bounds. Each has a defined behaviour when reached, reported as a blind spot. */
export interface EngineLimits {
  /** Processes kept (default 65536). Full: exited processes are evicted first, then the oldest live ones. */
  readonly maxProcesses: number;
  /** Regions per process (default 16384). Full: file-backed, then unknown, then non-executable regions are forgotten. */
  readonly maxRegionsPerProcess: number;
  /** Distinct findings (default 10000). Full: new ones are counted, not kept; existing ones still count repeats. */
  readonly maxFindings: number;
  /** Events kept as evidence per finding (default 5, the first ones); `count` keeps counting. */
  readonly maxEvidence: number;
  /** Examples listed per blind spot (default 10). */
  readonly maxExamples: number;
  /** Page size lengths are rounded up to (default 4096, the smallest page on both platforms). */
  readonly pageSize: number;
  /** Distinct rules in one process within the window that make a combined finding (default 2). */
  readonly correlationMinRules: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxProcesses: 65536,
  maxRegionsPerProcess: 16384,
  maxFindings: 10000,
  maxEvidence: 5,
  maxExamples: 10,
  pageSize: 4096,
  correlationMinRules: DEFAULT_CORRELATION_MIN_RULES,
};

export interface EngineOptions {
  /** The baseline that says what is expected (validated; see loadBaseline). */
  readonly baseline: Baseline;
  /** Platform of the trace; default: the begin record's, else darwin. */
  readonly os?: Os;
  /** Tracer that recorded the trace, when no begin record names it. */
  readonly backend?: Backend;
  /** Correlation window in ms (default 60000). */
  readonly windowMs?: number;
  readonly limits?: Partial<EngineLimits>;
  /** Called once when a finding is first created (for live display); it keeps being updated afterwards. */
  readonly onFinding?: (f: Finding) => void;
}

/** What the caller adds at the end: the parser's own count of late events, processes a capture could not attach. */
export interface FinishInput {
  /** The parser's summary; its `late` events (delivered later than the reorder window) feed the late-events blind spot. */
  readonly parse?: { readonly late: number };
  readonly notAttached?: readonly NotAttached[];
}

export interface EngineStats {
  readonly os: Os;
  readonly events: number;
  readonly eventsByKind: Readonly<Partial<Record<RecordKind, number>>>;
  readonly diagnostics: number;
  readonly diagnosticsByFamily: Readonly<Record<string, number>>;
  readonly processes: number;
  readonly findings: number;
  readonly findingsBySeverity: Readonly<Record<string, number>>;
  readonly findingsDropped: number;
  readonly lateEvents: number;
  readonly preexistingRegions: number;
  readonly unattributedSamples: number;
  readonly invalidAddresses: number;
  readonly processesEvicted: number;
  readonly regionsEvicted: number;
  readonly trailers: Readonly<Record<string, number>>;
  readonly windowMs: number;
  readonly limits: EngineLimits;
  /** First and last event times (ms), null without events. */
  readonly firstEvent: number | null;
  readonly lastEvent: number | null;
}

export interface Report {
  readonly findings: Finding[];
  readonly blindSpots: BlindSpot[];
  readonly stats: EngineStats;
  /**
   * What each rule finding judged: the baseline behaviour an entry must allow to expect it, and the
   * library or symbol when the rule asked about one (what learning learns). Correlated findings have none.
   */
  judged(f: Finding): Judged | undefined;
}

export interface Engine {
  event(e: TraceEvent): void;
  diagnostic(d: Diagnostic): void;
  finish(extra?: FinishInput): Report;
}

/** What the engine keeps per process (ProcessInfo.cache). */
interface ProcessCache {
  /** Baseline entries matching the process, null until first asked. */
  matched: CompiledEntry[] | null;
  /** Verdicts without a subject, by rule and behaviour. */
  verdicts: Map<string, Verdict>;
  correlation: CorrelationState | null;
}

function processCache(p: ProcessInfo): ProcessCache {
  let c = p.cache as ProcessCache | null;
  if (c === null) {
    c = { matched: null, verdicts: new Map(), correlation: null };
    p.cache = c;
  }
  return c;
}

/** Create an engine; feed it events in time order (the parser's reorder window does that). */
export function createEngine(opts: EngineOptions): Engine {
  const limits: EngineLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const windowMs = opts.windowMs ?? DEFAULT_CORRELATION_WINDOW_MS;
  const baseline: CompiledBaseline = compileBaseline(opts.baseline);
  let os: Os = opts.os ?? 'darwin';
  let osKnown = opts.os !== undefined;
  // The backend decides what a Linux trace cannot see of dlopen: the first begin record's, else the caller's.
  let beginBackend: Backend | null = null;
  const table = new ProcessTable({ maxProcesses: limits.maxProcesses, maxRegionsPerProcess: limits.maxRegionsPerProcess });
  const memory = new MemoryState({ pageSize: limits.pageSize, maxExamples: limits.maxExamples, maxMemfds: limits.maxRegionsPerProcess }, os);
  const store = new FindingStore({ maxFindings: limits.maxFindings, maxEvidence: limits.maxEvidence, onFinding: opts.onFinding }, os);
  const correlator = new Correlator(store, { windowMs, minRules: limits.correlationMinRules, maxEvidence: limits.maxEvidence });
  const losses = new LossTally(limits.maxExamples);

  // Rules per kind, bound to constants so the hot path never looks a kind up by name.
  const rulesFor = (k: RecordKind): readonly Rule[] => RULES.filter((r) => r.kinds.includes(k));
  const rulesByKind = Object.fromEntries(RECORD_KINDS.map((k) => [k, rulesFor(k)])) as Record<RecordKind, readonly Rule[]>;
  const SAMPLE_RULES = rulesByKind.sample;
  const KIND_INDEX = new Map(RECORD_KINDS.map((k, i) => [k, i]));
  const eventsOfKind = new Float64Array(RECORD_KINDS.length);
  const SAMPLE = KIND_INDEX.get('sample')!;
  const MMAP = KIND_INDEX.get('mmap')!;
  const MPROTECT = KIND_INDEX.get('mprotect')!;
  const BEGIN = KIND_INDEX.get('begin')!;
  const TRAILER = KIND_INDEX.get('trailer')!;
  const EXEC = KIND_INDEX.get('exec')!;
  const FORK = KIND_INDEX.get('fork')!;
  const EXIT = KIND_INDEX.get('exit')!;
  const MEMFD = KIND_INDEX.get('memfd')!;
  const BYTES = KIND_INDEX.get('bytes')!;
  const countKind = (i: number) => {
    eventsOfKind[i] = eventsOfKind[i]! + 1;
  };

  let events = 0;
  let firstTime: number | null = null;
  // Numbers written for every event live in typed arrays: a number held in a closure variable is boxed, so each
  // new value of one was an allocation, and samples are most events.
  const latestTime = new Float64Array([-Infinity]);
  /** The address whose region `ctx.region` looked up last (-1: none), so that rules asking again cost nothing. */
  const regionAddr = new Float64Array([-1]);
  let regionAtAddr: Region | null = null;

  // The context object is reused for every event: rules must not keep it.
  let current: ProcessInfo = null as unknown as ProcessInfo;
  const ctx: { -readonly [K in keyof RuleContext]: RuleContext[K] } & { proc: ProcessInfo } = {
    os,
    proc: current,
    change: null,
    region(addr) {
      if (addr !== regionAddr[0]) {
        regionAddr[0] = addr;
        regionAtAddr = current.regions.find(addr);
      }
      return regionAtAddr;
    },
    memfdName(fd) {
      return current.memfds?.get(fd) ?? null;
    },
    objectName(object) {
      return memory.objectName(object);
    },
    views(object) {
      // Asked only about mappings of a known object (memfd views): rare, so a scan of the process's regions.
      if (object === 0) return [];
      return current.regions
        .all()
        .filter((r) => r.object === object)
        .map(snapshot);
    },
    expect(rule: RuleMeta, behaviour: Behaviour, subject?: Subject, eopts?: ExpectOptions) {
      const c = processCache(current);
      if (c.matched === null) c.matched = baseline.matchProcess(identity(current));
      if (subject === undefined && eopts === undefined) {
        const k = `${rule.id}\0${behaviour}`;
        let v = c.verdicts.get(k);
        if (v === undefined) {
          v = baseline.verdict(c.matched, identity(current), rule, behaviour);
          c.verdicts.set(k, v);
        }
        return v;
      }
      return baseline.verdict(c.matched, identity(current), rule, behaviour, subject, eopts);
    },
  };

  function setOs(next: Os): void {
    os = next;
    ctx.os = next;
    memory.os = next;
    store.os = next;
  }

  // On Linux comm is per thread; only the main thread's comm names the process. macOS execname is per process.
  // A new name can change which baseline entries match, so the cached verdicts go.
  function rename(p: ProcessInfo, e: TraceEvent): void {
    if (os !== 'darwin' && e.tid !== e.pid) return;
    p.name = e.comm;
    const c = p.cache as ProcessCache | null;
    if (c !== null) {
      c.matched = null;
      c.verdicts.clear();
    }
  }

  function identity(p: ProcessInfo) {
    const parent = table.get(p.ppid);
    return { name: p.name, path: p.path, pname: parent !== undefined && parent !== p ? parent.name : null };
  }

  /** Counts the event and notes whether it came after a later one. */
  function clock(e: TraceEvent): void {
    events++;
    const t = e.t;
    if (t < latestTime[0]!) losses.late(e);
    else latestTime[0] = t;
    if (firstTime === null) firstTime = t;
  }

  function runRules(rules: readonly Rule[], e: TraceEvent, p: ProcessInfo, change: MemoryChange | null): void {
    current = p;
    ctx.proc = p;
    ctx.change = change;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const candidates = rule.match(e, ctx);
      if (candidates === null) continue;
      for (const c of candidates) {
        const f = store.record(rule, e, p, c, change);
        if (f !== null && c.severity !== 'info') correlator.observe(processCache(p), p, rule, f, e);
      }
    }
    regionAddr[0] = -1;
  }

  /**
   * A sample: what `event` does for one, on its own path. Samples are most of
   * a trace, and here every property read sees the one event shape of a
   * sample instead of going through a lookup shared by all kinds.
   */
  function sample(e: EventOf<'sample'>): void {
    clock(e);
    const p = table.ensure(e.pid, e.ppid, e.uid, e.comm, e.t, e.ts);
    if (p.name !== e.comm) rename(p, e);
    countKind(SAMPLE);
    const pc = u64(e.pc);
    if (pc > 0) {
      const r = p.regions.find(pc);
      regionAddr[0] = pc;
      regionAtAddr = r;
      // Executable memory of unknown origin is judged by LT-006 (the trace saw it made executable); the rest cannot be.
      if (r === null || (r.anon === null && (r.prot & PROT_EXEC) === 0)) losses.unattributedSample(p, e.pc);
    }
    if (SAMPLE_RULES.length === 0) {
      regionAddr[0] = -1;
      return;
    }
    runRules(SAMPLE_RULES, e, p, null);
  }

  function event(e: TraceEvent): void {
    if (e.kind === 'sample') {
      sample(e);
      return;
    }
    clock(e);
    if (e.kind === 'begin') {
      countKind(BEGIN);
      losses.begin();
      if (beginBackend === null && (e.backend === 'dtrace' || e.backend === 'bpftrace')) beginBackend = e.backend;
      if (!osKnown && (e.os === 'darwin' || e.os === 'linux')) {
        setOs(e.os);
        osKnown = true;
      }
      return;
    }
    if (e.kind === 'trailer') {
      countKind(TRAILER);
      losses.trailer(e);
      return;
    }
    let p = table.ensure(e.pid, e.ppid, e.uid, e.comm, e.t, e.ts);
    if (p.name !== e.comm) rename(p, e);
    let change: MemoryChange | null = null;
    switch (e.kind) {
      case 'exec':
        countKind(EXEC);
        p = table.exec(p, e.path, e.comm, e.t, e.ts);
        break;
      case 'fork':
        countKind(FORK);
        table.fork(p, e.child, e.t, e.ts);
        return;
      case 'exit':
        countKind(EXIT);
        table.exit(p, e.status, e.t);
        return;
      case 'memfd':
        countKind(MEMFD);
        memory.memfd(p, e);
        return;
      case 'shm':
      case 'dup':
      case 'close':
        countKind(KIND_INDEX.get(e.kind)!);
        memory.objectFd(p, e);
        return;
      case 'bytes': {
        countKind(BYTES);
        const r = memory.bytes(p, e);
        if (r !== null) store.bytesArrived(p, r);
        break;
      }
      case 'mmap':
        countKind(MMAP);
        change = memory.apply(p, e);
        break;
      case 'mprotect':
        countKind(MPROTECT);
        change = memory.apply(p, e);
        break;
      default:
        countKind(KIND_INDEX.get(e.kind)!);
        change = memory.apply(p, e);
    }
    const rules = rulesByKind[e.kind];
    if (rules.length === 0) return;
    regionAddr[0] = -1;
    runRules(rules, e, p, change);
  }

  function finish(extra: FinishInput = {}): Report {
    const late = losses.lateTotal(extra.parse?.late ?? 0);
    const blindSpots = losses.blindSpots({
      os,
      backend: beginBackend ?? opts.backend ?? null,
      parserLate: extra.parse?.late ?? 0,
      notAttached: extra.notAttached ?? [],
      preexisting: memory.preexisting,
      preexistingExamples: memory.preexistingExamples,
      limits: {
        maxProcesses: limits.maxProcesses,
        maxRegionsPerProcess: limits.maxRegionsPerProcess,
        maxFindings: limits.maxFindings,
        processesForgotten: table.evictedLive,
        regionsForgotten: table.regionCounter.evicted,
        findingsDropped: store.dropped,
        invalidAddresses: memory.invalidAddresses,
        memfdsForgotten: memory.memfdsForgotten,
      },
    });
    const findings = store.order;
    return {
      findings: [...findings],
      blindSpots,
      judged: (f) => store.judged(f),
      stats: {
        os,
        events,
        eventsByKind: Object.fromEntries(RECORD_KINDS.map((k, i) => [k, eventsOfKind[i]!]).filter(([, n]) => (n as number) > 0)),
        diagnostics: losses.diagnostics,
        diagnosticsByFamily: { ...losses.diagnosticsByFamily },
        processes: table.created,
        findings: findings.length,
        findingsBySeverity: store.bySeverity(),
        findingsDropped: store.dropped,
        lateEvents: late,
        preexistingRegions: memory.preexisting,
        unattributedSamples: losses.unattributed,
        invalidAddresses: memory.invalidAddresses,
        processesEvicted: table.evictedLive + table.evictedExited,
        regionsEvicted: table.regionCounter.evicted,
        trailers: { ...losses.trailers },
        windowMs,
        limits,
        firstEvent: firstTime,
        lastEvent: Number.isFinite(latestTime[0]!) ? latestTime[0]! : null,
      },
    };
  }

  return { event, diagnostic: (d) => losses.diagnostic(d), finish };
}

/** Run a whole event list through a fresh engine (tests, replay of small traces). */
export function runEngine(events: Iterable<TraceEvent>, diagnostics: Iterable<Diagnostic>, opts: EngineOptions, extra?: FinishInput): Report {
  const engine = createEngine(opts);
  for (const d of diagnostics) engine.diagnostic(d);
  for (const e of events) engine.event(e);
  return engine.finish(extra);
}

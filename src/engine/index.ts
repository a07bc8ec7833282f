/**
 * The detection engine: events in time order -> process table and region
 * maps -> rules + baseline -> de-duplicated findings, correlation, blind spots.
 * Hot path rules: no zod, no per-event allocation beyond what a change needs,
 * a Map lookup per event and a binary search per region question.
 */
import { compileBaseline, type CompiledBaseline, type CompiledEntry } from '../baseline/compile.ts';
import type { Baseline } from '../baseline/schema.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import { MAP_FAILED, mmapTraits, PROT_EXEC, type Os } from '../protocol/flags.ts';
import type { EventOf, RecordKind, TraceEvent } from '../protocol/registry.ts';
import { RECORD_KINDS } from '../protocol/registry.ts';
import { CORRELATION_RULE, RULES } from '../rules/index.ts';
import { combinedSeverity } from '../rules/correlation.ts';
import {
  hex,
  severityRank,
  u64,
  type Behaviour,
  type Candidate,
  type ExpectOptions,
  type MemoryChange,
  type Rule,
  type RuleContext,
  type RuleMeta,
  type Subject,
  type Verdict,
} from '../rules/types.ts';
import { ProcessTable, type ProcessInfo } from '../state/process-table.ts';
import { snapshot, type GapFill, type ProtectPiece, type Region } from '../state/region-map.ts';
import { platformBlindSpots, UNMAPPED_IMAGES, type BlindSpot } from './blind-spots.ts';
import { detach, detachString } from './detach.ts';
import { evidenceOf, regionEvidence, type Finding } from './finding.ts';

export type { BlindSpot, BlindSpotKind } from './blind-spots.ts';
export { platformBlindSpots } from './blind-spots.ts';
export type { EvidenceEvent, Finding, ProcessIdentity, RegionEvidence } from './finding.ts';

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
  correlationMinRules: 2,
};

export interface EngineOptions {
  /** The baseline that says what is expected (validated; see loadBaseline). */
  readonly baseline: Baseline;
  /** Platform of the trace; default: the begin record's, else darwin. */
  readonly os?: Os;
  /** Tracer that recorded the trace, when no begin record names it. */
  readonly backend?: 'dtrace' | 'bpftrace';
  /** Correlation window in ms (default 60000). */
  readonly windowMs?: number;
  readonly limits?: Partial<EngineLimits>;
  /** Called once when a finding is first created (for live display); it keeps being updated afterwards. */
  readonly onFinding?: (f: Finding) => void;
}

/** Whatever the parser's summary holds; numbers named `late`/`lateEvents` feed the late-events blind spot. */
export type ParseSummaryLike = Readonly<Record<string, unknown>>;

export interface NotAttached {
  readonly pid?: number;
  readonly name?: string;
  readonly reason: string;
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
}

export interface Engine {
  event(e: TraceEvent): void;
  diagnostic(d: Diagnostic): void;
  finish(extra?: { parse?: ParseSummaryLike; notAttached?: readonly NotAttached[] }): Report;
}

interface ProcCache {
  matched: CompiledEntry[] | null;
  verdicts: Map<string, Verdict>;
  /** Correlation state of the process (null until a non-info finding). */
  corr: Correlation | null;
}

/** One call the engine saw, as rules report it: a thread and the exact timestamp its probe firing printed. */
interface Call {
  readonly id: string;
  t: number;
  /** The finding the rule made or updated on this call. */
  f: Finding;
}

interface Correlation {
  /** rule id -> its most recent distinct calls (at most correlationMinRules), oldest first. */
  readonly byRule: Map<string, Call[]>;
  /** The last call counted into the combined finding, so that several rules' views of it count once. */
  lastCall: string;
}

/**
 * Records printed by one probe firing (a call and the first bytes it printed) carry the same thread and
 * timestamp: that is one behaviour, however many rules report it.
 */
function callOf(e: TraceEvent): string {
  return `${e.tid}\0${e.ts}`;
}

/**
 * The largest number of rules that can each be paired with a call of their own (bipartite matching by augmenting
 * paths; a handful of rules with a few calls each).
 */
function distinctBehaviours(rules: readonly (readonly string[])[]): number {
  const owner = new Map<string, number>();
  const tryRule = (i: number, seen: Set<string>): boolean => {
    for (const c of rules[i]!) {
      if (seen.has(c)) continue;
      seen.add(c);
      const o = owner.get(c);
      if (o === undefined || tryRule(o, seen)) {
        owner.set(c, i);
        return true;
      }
    }
    return false;
  };
  let n = 0;
  for (let i = 0; i < rules.length; i++) if (tryRule(i, new Set())) n++;
  return n;
}

const NO_PIECES: readonly ProtectPiece[] = [];
/** Distinct trailer counter names kept: a script prints about ten; a hostile capture could print millions. */
const MAX_TRAILER_NAMES = 256;
/** The trailer counter that counts a script's other trailers (dtrace/fragments/trailer-end). */
const TRAILER_COUNT = 'trailers';
const RWX_BITS = 0x7;
const VM_PROT_DEFAULT = 0x3;

function procCache(p: ProcessInfo): ProcCache {
  let c = p.cache as ProcCache | null;
  if (c === null) {
    c = { matched: null, verdicts: new Map(), corr: null };
    p.cache = c;
  }
  return c;
}

/** Create an engine; feed it events in time order (the parser's reorder window does that). */
export function createEngine(opts: EngineOptions): Engine {
  const limits: EngineLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const windowMs = opts.windowMs ?? 60_000;
  const baseline: CompiledBaseline = compileBaseline(opts.baseline);
  let os: Os = opts.os ?? 'darwin';
  let osKnown = opts.os !== undefined;
  // The backend decides what a Linux trace cannot see of dlopen: the first begin record's, else the caller's.
  let beginBackend: 'dtrace' | 'bpftrace' | null = null;
  const table = new ProcessTable({ maxProcesses: limits.maxProcesses, maxRegionsPerProcess: limits.maxRegionsPerProcess });
  const page = limits.pageSize;

  // Rules per kind, bound to constants so the hot path never looks a kind up by name.
  const rulesFor = (k: RecordKind): readonly Rule[] => RULES.filter((r) => r.kinds.includes(k));
  const R: Record<RecordKind, readonly Rule[]> = Object.fromEntries(RECORD_KINDS.map((k) => [k, rulesFor(k)])) as Record<RecordKind, readonly Rule[]>;
  const R_SAMPLE = R.sample;
  const R_MMAP = R.mmap;
  const R_MPROTECT = R.mprotect;
  const KIND_INDEX = new Map(RECORD_KINDS.map((k, i) => [k, i]));
  const kindCounts = new Float64Array(RECORD_KINDS.length);
  const I_SAMPLE = KIND_INDEX.get('sample')!;
  const I_MMAP = KIND_INDEX.get('mmap')!;
  const I_MPROTECT = KIND_INDEX.get('mprotect')!;
  const bump = (i: number) => {
    kindCounts[i] = kindCounts[i]! + 1;
  };

  const findings = new Map<string, Finding>();
  const order: Finding[] = [];
  const regionFindings = new Map<string, Finding[]>();
  let findingsDropped = 0;

  let events = 0;
  // Numbers written for every event live in a typed array: a number held in a closure variable is boxed, so each
  // new value of one was an allocation, and samples are most events.
  const hot = new Float64Array(2);
  const MAX_T = 0;
  const LAST_ADDR = 1;
  hot[MAX_T] = -Infinity;
  hot[LAST_ADDR] = -1;
  let firstT: number | null = null;
  let lateEvents = 0;
  const lateExamples: string[] = [];
  let preexisting = 0;
  const preexistingExamples: string[] = [];
  let unattributed = 0;
  const unattributedExamples: string[] = [];
  let invalidAddresses = 0;
  // No prototype: counter names come from the trace, and `__proto__` or `constructor` is a valid word.
  const trailers: Record<string, number> = Object.create(null) as Record<string, number>;
  // A script prints begin first and its trailers at END: begins without any trailer mean the end was lost.
  let beginsSeen = 0;
  let trailersSeen = 0;
  // Scripts that print it end with a count of their other trailers (dtrace/fragments/trailer-end).
  let trailerCounts = 0;
  let trailersExpected = 0;
  let trailerNames = 0;
  let trailersIgnored = 0;
  let memfdsForgotten = 0;

  let diagnostics = 0;
  const byFamily: Record<string, number> = {};
  const dropsByKind = new Map<string, number>();
  const dropExamples: string[] = [];
  let probeErrors = 0;
  const probeErrorExamples: string[] = [];
  // Counted, with only the first texts kept: millions of such lines in a hostile stderr must not grow memory.
  const counted = () => ({ n: 0, examples: [] as string[] });
  const notAttached = counted();
  const sip = counted();
  const tracerErrors = counted();
  const tally = (c: { n: number; examples: string[] }, text: string) => {
    c.n++;
    pushExample(c.examples, text);
  };
  let malformed = 0;
  const malformedExamples: string[] = [];

  const pushExample = (list: string[], s: string) => {
    if (list.length < limits.maxExamples) list.push(s);
  };

  // The context object is reused for every event: rules must not keep it.
  let cur: ProcessInfo = null as unknown as ProcessInfo;
  let lastRegion: Region | null = null;
  const ctx: { -readonly [K in keyof RuleContext]: RuleContext[K] } & { proc: ProcessInfo } = {
    os,
    proc: cur,
    change: null,
    region(addr) {
      if (addr !== hot[LAST_ADDR]) {
        hot[LAST_ADDR] = addr;
        lastRegion = cur.regions.find(addr);
      }
      return lastRegion;
    },
    memfdName(fd) {
      return cur.memfds?.get(fd) ?? null;
    },
    views(object) {
      // Asked only about mappings of a known object (memfd views): rare, so a scan of the process's regions.
      if (object === 0) return [];
      return cur.regions
        .all()
        .filter((r) => r.object === object)
        .map(snapshot);
    },
    objectName(object) {
      return objectNames.get(object) ?? null;
    },
    expect(rule: RuleMeta, behaviour: Behaviour, subject?: Subject, eopts?: ExpectOptions) {
      const c = procCache(cur);
      if (c.matched === null) c.matched = baseline.matchProcess(identity(cur));
      if (subject === undefined && eopts === undefined) {
        const k = `${rule.id}\0${behaviour}`;
        let v = c.verdicts.get(k);
        if (v === undefined) {
          v = baseline.verdict(c.matched, identity(cur), rule, behaviour);
          c.verdicts.set(k, v);
        }
        return v;
      }
      return baseline.verdict(c.matched, identity(cur), rule, behaviour, subject, eopts);
    },
  };

  // On Linux comm is per thread; only the main thread's comm names the process. macOS execname is per process.
  // A new name can change which baseline entries match, so the cached verdicts go.
  function rename(p: ProcessInfo, e: TraceEvent): void {
    if (os !== 'darwin' && e.tid !== e.pid) return;
    p.name = e.comm;
    const c = p.cache as ProcCache | null;
    if (c !== null) {
      c.matched = null;
      c.verdicts.clear();
    }
  }

  function identity(p: ProcessInfo) {
    const parent = table.get(p.ppid);
    return { name: p.name, path: p.path, pname: parent !== undefined && parent !== p ? parent.name : null };
  }

  function roundLen(len: number): number {
    return Math.ceil(len / page) * page;
  }

  /** Start and end of [addr, addr+len) rounded to pages, or null when not exact numbers. */
  function range(addr: string, len: string): [number, number] | null {
    const a = u64(addr);
    const l = u64(len);
    if (!Number.isFinite(a) || !Number.isFinite(l) || a + l > Number.MAX_SAFE_INTEGER) {
      invalidAddresses++;
      return null;
    }
    const start = a - (a % page);
    return [start, start + roundLen(a + l - start)];
  }

  function protect(p: ProcessInfo, e: TraceEvent & { addr: string; prevProt: number; prevFlags: number; prevAnon: boolean | null }, len: string, prot: number, ok: boolean): MemoryChange {
    if (!ok) return { op: 'protect', start: 0, end: 0, prot, ok: false, region: null, pieces: NO_PIECES };
    const r = range(e.addr, len);
    if (r === null) return { op: 'protect', start: 0, end: 0, prot, ok: false, region: null, pieces: NO_PIECES };
    let fill: GapFill | null = null;
    if (e.prevProt >= 0) {
      // The script tracked this range in its in-kernel table (anonymous writable mappings are not printed).
      const traits = e.kind === 'mprotect' && e.prevFlags >= 0 ? mmapTraits(e.prevFlags, os) : null;
      fill = {
        prot: e.prevProt & RWX_BITS,
        origin: e.kind === 'vm_protect' ? 'vm_allocate' : 'mmap',
        anon: e.prevAnon,
        memfd: false,
        jit: traits?.jit ?? false,
        shared: traits?.shared ?? false,
        fd: -1,
      };
    }
    const pieces = p.regions.protect(r[0], r[1], prot, fill, e.t);
    for (const piece of pieces) {
      if (piece.before === null) {
        preexisting++;
        pushExample(preexistingExamples, `pid ${p.pid} (${p.name}): ${hex(piece.start)}-${hex(piece.end)} made ${prot & PROT_EXEC ? 'executable' : 'non-executable'} at ${e.ts}`);
      }
    }
    return { op: 'protect', start: r[0], end: r[1], prot, ok: true, region: null, pieces };
  }

  function map(p: ProcessInfo, addr: string, len: string, attrs: Omit<Region, 'start' | 'end' | 'everWritable' | 'wasWX' | 'object'> & { object?: number }, op: 'map' | 'allocate'): MemoryChange | null {
    const r = range(addr, len);
    if (r === null) return null;
    const region = p.regions.map(r[0], r[1], attrs);
    return { op, start: r[0], end: r[1], prot: attrs.prot, ok: true, region: region && snapshot(region), pieces: NO_PIECES };
  }

  function applyState(p: ProcessInfo, e: TraceEvent): MemoryChange | null {
    switch (e.kind) {
      case 'mmap': {
        const prot = e.prot & RWX_BITS;
        if (e.ret === MAP_FAILED) return { op: 'map', start: 0, end: 0, prot, ok: false, region: null, pieces: NO_PIECES };
        const memfd = !e.anon && e.fd >= 0 && p.memfds !== null && p.memfds.has(e.fd);
        // A memfd's views share its identity (the fd at mmap time names the object memfd_create made).
        const object = !e.anon && e.fd >= 0 ? (p.memfdIds?.get(e.fd) ?? 0) : 0;
        return map(
          p,
          e.ret,
          e.len,
          { prot, origin: 'mmap', anon: e.anon, memfd, jit: e.jit, shared: e.shared, fd: e.anon ? -1 : e.fd, object, preexisting: false, bytes: null, since: e.t },
          'map',
        );
      }
      case 'mprotect':
        return protect(p, e, e.len, e.prot & RWX_BITS, e.ret === 0);
      case 'vm_protect':
        // set_maximum changes the ceiling, not the current protection.
        if (e.setMax !== 0) return null;
        return protect(p, e, e.size, e.prot & RWX_BITS, e.kr === 0);
      case 'munmap':
      case 'vm_deallocate': {
        const ok = e.kind === 'munmap' ? e.ret === 0 : e.kr === 0;
        const r = ok ? range(e.addr, e.kind === 'munmap' ? e.len : e.size) : null;
        if (r !== null) p.regions.unmap(r[0], r[1]);
        return null;
      }
      case 'mremap': {
        // The region moves with its history; MREMAP_DONTUNMAP (4) leaves the old range mapped.
        if (e.ret === MAP_FAILED) return null;
        const from = range(e.addr, e.oldLen);
        const to = from !== null ? range(e.ret, e.newLen) : null;
        if (from !== null && to !== null) p.regions.move(from[0], from[1], to[0], to[1], (e.flags & 4) !== 0);
        return null;
      }
      case 'vm_remap':
        return remapView(p, e);
      case 'vm_allocate':
        if (e.kr !== 0) return null;
        // vm_allocate gives VM_PROT_DEFAULT (rw-) anonymous memory (docs/platforms/macos.md §2).
        return map(
          p,
          e.addr,
          e.size,
          { prot: VM_PROT_DEFAULT, origin: 'vm_allocate', anon: true, memfd: false, jit: false, shared: false, fd: -1, preexisting: false, bytes: null, since: e.t },
          'allocate',
        );
      case 'vm_map':
        if (e.kr !== 0) return { op: 'map', start: 0, end: 0, prot: e.prot & RWX_BITS, ok: false, region: null, pieces: NO_PIECES };
        // The trap path maps no memory object: always anonymous (docs/platforms/macos.md §2).
        return map(
          p,
          e.addr,
          e.size,
          { prot: e.prot & RWX_BITS, origin: 'vm_map', anon: true, memfd: false, jit: false, shared: false, fd: -1, preexisting: false, bytes: null, since: e.t },
          'map',
        );
      default:
        return null;
    }
  }

  // ---- Aliases: views of one memory object that are not a memfd's (shm objects, Mach remaps) ----
  // Kept apart so it can move with the region state as one piece.

  /** Object identities of /dev/shm names (one per name, in every process) and the names of such objects. */
  const shmObjects = new Map<string, number>();
  const objectNames = new Map<number, string>();
  const MAX_SHM_NAMES = 4096;
  const O_CREAT_EXCL = 0x40 | 0x80;

  /**
   * shm: the fd names the object of its /dev/shm path, so every view of that name in a process is
   * one object (O_CREAT|O_EXCL made a new one). dup: a second fd for the same object. close: the fd
   * names nothing any more, so a later file mapped through the same number is not taken for a view.
   */
  function objectFd(p: ProcessInfo, e: EventOf<'shm'> | EventOf<'dup'> | EventOf<'close'>): void {
    if (e.kind === 'close') {
      p.memfds?.delete(e.fd);
      p.memfdIds?.delete(e.fd);
      return;
    }
    if (e.kind === 'dup') {
      // The new fd names the object the old one names (and a memfd keeps its name through it).
      const id = p.memfdIds?.get(e.fd);
      if (e.newFd < 0 || id === undefined) return;
      const name = p.memfds?.get(e.fd);
      if (name !== undefined) p.memfds!.set(e.newFd, name);
      else p.memfds?.delete(e.newFd);
      p.memfdIds!.set(e.newFd, id);
      return;
    }
    if (e.fd < 0) return;
    let id = shmObjects.get(e.path);
    if (id === undefined || (e.oflags & O_CREAT_EXCL) === O_CREAT_EXCL) {
      if (!shmObjects.has(e.path) && shmObjects.size >= MAX_SHM_NAMES) {
        memfdsForgotten++;
        return;
      }
      id = e.seq + 1;
      shmObjects.set(detachString(e.path), id);
      objectNames.set(id, detachString(`shm:${e.path}`));
    }
    p.memfds?.delete(e.fd);
    (p.memfdIds ??= new Map()).set(e.fd, id);
  }

  /**
   * A Mach remap in the caller's own task: the new view takes the source's pieces with their
   * history (as the kernel copies the source entries: docs/platforms/macos.md §2). copy 0 shares
   * the memory, so source and view become one object; copy 1 is a new object. A source the trace
   * never saw is filled from the script's ring (prevProt/prevFlags), else from the returned
   * protection, so both views exist for the rules.
   */
  function remapView(p: ProcessInfo, e: EventOf<'vm_remap'>): MemoryChange | null {
    const cur = e.cur & RWX_BITS;
    if (e.kr !== 0 || e.task !== e.srcTask) return { op: 'map', start: 0, end: 0, prot: cur, ok: false, region: null, pieces: NO_PIECES };
    const src = range(e.srcAddr, e.size);
    const dst = src !== null ? range(e.addr, e.size) : null;
    if (src === null || dst === null) return null;
    const [s0, s1] = src;
    const known = p.regions.all().filter((r) => r.end > s0 && r.start < s1).map(snapshot);
    if (known.length === 0) {
      const tracked = e.prevProt >= 0;
      const traits = tracked && e.prevFlags >= 0 ? mmapTraits(e.prevFlags, os) : null;
      known.push(
        snapshot(
          p.regions.map(s0, s1, {
            prot: tracked ? e.prevProt & RWX_BITS : cur,
            origin: tracked ? 'mmap' : 'unknown',
            anon: traits?.anon ?? null,
            memfd: false,
            jit: traits?.jit ?? false,
            shared: traits?.shared ?? false,
            fd: -1,
            preexisting: !tracked,
            bytes: null,
            since: e.t,
          })!,
        ),
      );
    }
    let object = 0;
    if (e.copy === 0) {
      object = known.find((r) => r.object !== 0)?.object ?? e.seq + 1;
      if (!objectNames.has(object) && object === e.seq + 1) objectNames.set(object, e.fn);
      for (const r of known) p.regions.map(Math.max(r.start, s0), Math.min(r.end, s1), { ...r, object, bytes: r.start >= s0 ? r.bytes : null });
    }
    const delta = dst[0] - s0;
    // The _new calls give the view the protection asked for; the others keep each source entry's own.
    const fixed = e.fn.endsWith('_new');
    p.regions.unmap(dst[0], dst[1]);
    for (const r of known) {
      const a = Math.max(r.start, s0) + delta;
      const b = Math.min(r.end, s1, s0 + (dst[1] - dst[0])) + delta;
      if (!(b > a)) continue;
      p.regions.map(a, b, { ...r, prot: fixed ? cur : r.prot, origin: 'vm_remap', shared: e.copy === 0 || r.shared, object, preexisting: false, bytes: null, since: e.t });
    }
    const view = p.regions.find(dst[0]);
    return { op: 'map', start: dst[0], end: dst[1], prot: view?.prot ?? cur, ok: true, region: view && snapshot(view), pieces: NO_PIECES };
  }

  function regionKey(p: ProcessInfo, start: number): string {
    return `${p.key}:${start}`;
  }

  function record(rule: RuleMeta, e: TraceEvent, p: ProcessInfo, c: Candidate, change: MemoryChange | null): void {
    const key = `${rule.id}\0${p.key}\0${c.key}`;
    let f = findings.get(key);
    if (f !== undefined) {
      f.count++;
      f.lastSeen = e.t;
      f.lastTs = detachString(e.ts);
      if (f.evidence.length < limits.maxEvidence) f.evidence.push(detach(evidenceOf(e, os)));
      if (severityRank(c.severity) > severityRank(f.severity)) {
        f.severity = c.severity;
        f.summary = detachString(c.summary);
      }
      if (f.ustack === null && e.ustack !== undefined && e.ustack.length > 0) f.ustack = [...e.ustack];
    } else {
      if (findings.size >= limits.maxFindings) {
        findingsDropped++;
        return;
      }
      let region: Region | null = (c.region as Region | null | undefined) ?? null;
      if (region === null && change !== null && change.ok) region = change.region ?? p.regions.find(change.start);
      f = {
        id: detachString(`${rule.id}:${p.pid}:${p.key}:${c.key}`),
        rule: rule.id,
        name: rule.name,
        title: rule.title,
        severity: c.severity,
        attack: rule.attack,
        maturity: rule.maturity,
        // What a finding keeps is detached from the input chunks (detach.ts): findings outlive them.
        summary: detachString(c.summary),
        process: { pid: p.pid, ppid: p.ppid, uid: p.uid, name: p.name, path: p.path, key: p.key },
        key: detachString(c.key),
        evidence: [detach(evidenceOf(e, os))],
        region: region !== null ? regionEvidence(region) : null,
        bytes: region?.bytes ?? (e.kind === 'bytes' ? detachString(e.data) : null),
        ustack: e.ustack !== undefined && e.ustack.length > 0 ? [...e.ustack] : null,
        detail: detach(c.detail ?? {}),
        baseline: detach(c.verdict),
        count: 1,
        firstSeen: e.t,
        lastSeen: e.t,
        firstTs: detachString(e.ts),
        lastTs: detachString(e.ts),
      };
      // The lookup key holds c.key, often a slice of the input: the map keeps a copy (detach.ts).
      findings.set(detachString(key), f);
      order.push(f);
      if (region !== null && f.bytes === null) {
        const rk = regionKey(p, region.start);
        const list = regionFindings.get(rk);
        if (list === undefined) regionFindings.set(rk, [f]);
        else list.push(f);
      }
      opts.onFinding?.(f);
    }
    if (c.severity !== 'info') correlate(p, rule, f, e);
  }

  function correlate(p: ProcessInfo, rule: RuleMeta, f: Finding, e: TraceEvent): void {
    const cache = procCache(p);
    const corr: Correlation = (cache.corr ??= { byRule: new Map(), lastCall: '' });
    const call = callOf(e);
    let mine = corr.byRule.get(rule.id);
    if (mine === undefined) {
      mine = [];
      corr.byRule.set(rule.id, mine);
    }
    const i = mine.findIndex((c) => c.id === call);
    if (i >= 0) mine.splice(i, 1);
    mine.push({ id: call, t: e.t, f });
    // A matching of k rules never needs more than k calls of one rule: keep the newest.
    if (mine.length > limits.correlationMinRules) mine.shift();
    if (corr.byRule.size < limits.correlationMinRules) return;
    const since = e.t - windowMs;
    const members: Finding[] = [];
    const callsOf: string[][] = [];
    for (const calls of corr.byRule.values()) {
      const recent = calls.filter((c) => c.t >= since);
      if (recent.length === 0) continue;
      for (const c of recent) if (!members.includes(c.f)) members.push(c.f);
      callsOf.push(recent.map((c) => c.id));
    }
    if (callsOf.length < limits.correlationMinRules) return;
    const behaviours = distinctBehaviours(callsOf);
    if (behaviours < limits.correlationMinRules) return;
    const key = `${CORRELATION_RULE.id}\0${p.key}`;
    const severity = combinedSeverity(members.map((m) => m.severity));
    const names = [...new Set(members.map((m) => m.name))].sort();
    let combined = findings.get(key);
    if (combined === undefined) {
      if (findings.size >= limits.maxFindings) {
        findingsDropped++;
        return;
      }
      corr.lastCall = call;
      combined = {
        id: `${CORRELATION_RULE.id}:${p.pid}:${p.key}`,
        rule: CORRELATION_RULE.id,
        name: CORRELATION_RULE.name,
        title: CORRELATION_RULE.title,
        severity,
        attack: [...new Set(members.flatMap((m) => m.attack))],
        maturity: CORRELATION_RULE.maturity,
        summary: correlationSummary(names, behaviours),
        process: { pid: p.pid, ppid: p.ppid, uid: p.uid, name: p.name, path: p.path, key: p.key },
        key: 'process',
        evidence: [detach(evidenceOf(e, os))],
        region: null,
        bytes: null,
        ustack: null,
        detail: { rules: names, behaviours, windowMs },
        baseline: { expected: false, entry: null, reason: 'each member finding carries its own baseline verdict' },
        // Calls of member rules: the ones that made the combination, then each later one.
        count: behaviours,
        firstSeen: Math.min(...members.map((m) => m.firstSeen)),
        lastSeen: e.t,
        firstTs: members.reduce((a, m) => (m.firstSeen < a.t ? { t: m.firstSeen, ts: m.firstTs } : a), { t: Infinity, ts: e.ts }).ts,
        lastTs: detachString(e.ts),
        related: members.map((m) => m.id),
      };
      findings.set(key, combined);
      order.push(combined);
      opts.onFinding?.(combined);
      return;
    }
    if (call !== corr.lastCall) {
      // Another rule's view of the call just counted is the same behaviour.
      corr.lastCall = call;
      combined.count++;
      if (combined.evidence.length < limits.maxEvidence) combined.evidence.push(detach(evidenceOf(e, os)));
    }
    combined.lastSeen = e.t;
    combined.lastTs = detachString(e.ts);
    if (severityRank(severity) > severityRank(combined.severity)) combined.severity = severity;
    const related = combined.related!;
    let grew = false;
    for (const m of members) {
      if (!related.includes(m.id)) {
        related.push(m.id);
        grew = true;
      }
    }
    const most = Math.max(behaviours, Number(combined.detail.behaviours));
    if (grew || most !== combined.detail.behaviours) {
      const all = [...new Set([...(combined.detail.rules as readonly string[]), ...names])].sort();
      combined.detail = { rules: all, behaviours: most, windowMs };
      combined.summary = correlationSummary(all, most);
      (combined as { attack: readonly string[] }).attack = [...new Set([...combined.attack, ...members.flatMap((m) => m.attack)])];
    }
  }

  function correlationSummary(names: readonly string[], behaviours: number): string {
    const rules = names.length === behaviours ? '' : ` (${names.length} rules)`;
    return `${behaviours} distinct behaviours${rules} within ${windowMs / 1000} s: ${names.join(', ')}`;
  }

  /**
   * A sample: what `event` does for one, on its own path. Samples are most of
   * a trace, and here every property read sees the one event shape of a
   * sample instead of going through a lookup shared by all kinds.
   */
  function sample(e: EventOf<'sample'>): void {
    events++;
    const t = e.t;
    if (t < hot[MAX_T]!) {
      lateEvents++;
      if (lateExamples.length < limits.maxExamples) lateExamples.push(`line ${e.line}: ${e.kind} at ${e.ts}`);
    } else {
      hot[MAX_T] = t;
    }
    if (firstT === null) firstT = t;
    const p = table.ensure(e.pid, e.ppid, e.uid, e.comm, t, e.ts);
    if (p.name !== e.comm) rename(p, e);
    bump(I_SAMPLE);
    const pc = u64(e.pc);
    if (pc > 0) {
      const r = p.regions.find(pc);
      hot[LAST_ADDR] = pc;
      lastRegion = r;
      // Executable memory of unknown origin is judged by LT-006 (the trace saw it made executable); the rest cannot be.
      if (r === null || (r.anon === null && (r.prot & PROT_EXEC) === 0)) {
        unattributed++;
        if (unattributedExamples.length < limits.maxExamples) unattributedExamples.push(`pid ${p.pid} (${p.name}) pc ${e.pc}`);
      }
    }
    const rules = R_SAMPLE;
    if (rules.length === 0) return;
    cur = p;
    ctx.proc = p;
    ctx.change = null;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const cands = rule.match(e, ctx);
      if (cands === null) continue;
      for (const c of cands) record(rule, e, p, c, null);
    }
    hot[LAST_ADDR] = -1;
  }

  function event(e: TraceEvent): void {
    if (e.kind === 'sample') {
      sample(e);
      return;
    }
    events++;
    if (e.t < hot[MAX_T]!) {
      lateEvents++;
      if (lateExamples.length < limits.maxExamples) lateExamples.push(`line ${e.line}: ${e.kind} at ${e.ts}`);
    } else {
      hot[MAX_T] = e.t;
    }
    if (firstT === null) firstT = e.t;
    if (e.kind === 'begin') {
      bump(KIND_INDEX.get('begin')!);
      beginsSeen++;
      if (beginBackend === null && (e.backend === 'dtrace' || e.backend === 'bpftrace')) beginBackend = e.backend;
      if (!osKnown && (e.os === 'darwin' || e.os === 'linux')) {
        os = e.os;
        ctx.os = os;
        osKnown = true;
      }
      return;
    }
    if (e.kind === 'trailer') {
      bump(KIND_INDEX.get('trailer')!);
      trailersSeen++;
      if (e.counter === TRAILER_COUNT) {
        // Each script's last trailer says how many others it printed: a shortfall means some were lost.
        trailerCounts++;
        if (e.value > 0) trailersExpected += e.value;
        return;
      }
      if (e.counter in trailers || trailerNames < MAX_TRAILER_NAMES) {
        if (!(e.counter in trailers)) trailerNames++;
        trailers[e.counter] = (trailers[e.counter] ?? 0) + e.value;
      } else trailersIgnored++;
      return;
    }
    let p = table.ensure(e.pid, e.ppid, e.uid, e.comm, e.t, e.ts);
    if (p.name !== e.comm) rename(p, e);
    let change: MemoryChange | null = null;
    let rules: readonly Rule[];
    switch (e.kind) {
      case 'exec':
        bump(KIND_INDEX.get('exec')!);
        p = table.exec(p, e.path, e.comm, e.t, e.ts);
        rules = R.exec;
        break;
      case 'fork':
        bump(KIND_INDEX.get('fork')!);
        table.fork(p, e.child, e.t, e.ts);
        return;
      case 'exit':
        bump(KIND_INDEX.get('exit')!);
        table.exit(p, e.status, e.t);
        return;
      case 'memfd':
        bump(KIND_INDEX.get('memfd')!);
        if (e.fd >= 0) {
          const m = (p.memfds ??= new Map());
          if (m.size < limits.maxRegionsPerProcess || m.has(e.fd)) {
            m.set(e.fd, e.name);
            // Each memfd_create makes a new object, even when its fd number was used before.
            (p.memfdIds ??= new Map()).set(e.fd, e.seq + 1);
          } else memfdsForgotten++;
        }
        return;
      case 'shm':
      case 'dup':
      case 'close':
        bump(KIND_INDEX.get(e.kind)!);
        objectFd(p, e);
        return;
      case 'bytes': {
        bump(KIND_INDEX.get('bytes')!);
        rules = R.bytes;
        const a = u64(e.addr);
        if (Number.isNaN(a)) {
          invalidAddresses++;
          break;
        }
        const r = p.regions.setBytes(a, e.data);
        if (r !== null) {
          const list = regionFindings.get(regionKey(p, r.start));
          if (list !== undefined) {
            for (const f of list) if (f.bytes === null) f.bytes = r.bytes;
            regionFindings.delete(regionKey(p, r.start));
          }
        }
        break;
      }
      case 'mmap':
        bump(I_MMAP);
        rules = R_MMAP;
        change = applyState(p, e);
        break;
      case 'mprotect':
        bump(I_MPROTECT);
        rules = R_MPROTECT;
        change = applyState(p, e);
        break;
      default:
        bump(KIND_INDEX.get(e.kind)!);
        rules = R[e.kind];
        change = applyState(p, e);
    }
    if (rules.length === 0) return;
    cur = p;
    ctx.proc = p;
    ctx.change = change;
    hot[LAST_ADDR] = -1;
    for (const rule of rules) {
      const cands = rule.match(e, ctx);
      if (cands === null) continue;
      for (const c of cands) record(rule, e, p, c, change);
    }
    hot[LAST_ADDR] = -1;
  }

  function diagnostic(d: Diagnostic): void {
    diagnostics++;
    byFamily[d.family] = (byFamily[d.family] ?? 0) + 1;
    const data = d.data;
    switch (d.family) {
      case 'drops': {
        const n = typeof data.count === 'number' ? data.count : Number(data.count ?? 0);
        const k = String(data.dropKind ?? 'unknown');
        dropsByKind.set(k, (dropsByKind.get(k) ?? 0) + (Number.isFinite(n) ? n : 0));
        pushExample(dropExamples, d.text);
        break;
      }
      case 'probe_error':
        probeErrors++;
        pushExample(probeErrorExamples, d.text);
        break;
      case 'grab_failed':
      case 'exec_failed':
      case 'invalid_pid':
        tally(notAttached, d.text);
        break;
      case 'pid_notice':
        if (/unobservable|set-id/.test(d.text)) tally(notAttached, d.text);
        break;
      case 'sip_notice':
      case 'sip_restricted':
        tally(sip, d.text);
        break;
      case 'privileges':
      case 'compile_error':
      case 'enable_failed':
      case 'no_probes':
      case 'aborted':
      case 'option_failed':
      case 'output_failed':
      case 'tracer_error':
        tally(tracerErrors, d.text);
        break;
      case 'parse_error':
        malformed++;
        pushExample(malformedExamples, `line ${d.line}: ${String(data.reason ?? d.text)}`);
        break;
      default:
        break;
    }
  }

  function finish(extra?: { parse?: ParseSummaryLike; notAttached?: readonly NotAttached[] }): Report {
    const blind: BlindSpot[] = [];
    const ex = (list: readonly string[]) => list.slice(0, limits.maxExamples);
    if (dropsByKind.size > 0) {
      let total = 0;
      const parts: string[] = [];
      for (const [k, n] of dropsByKind) {
        total += n;
        parts.push(`${k}: ${n}`);
      }
      blind.push({
        kind: 'drops',
        title: 'the tracer dropped data',
        detail: `Events were lost in the tracer's buffers (${parts.join(', ')}); findings may be missing and region state may be stale.`,
        count: total,
        examples: ex(dropExamples),
      });
    }
    if (probeErrors > 0) {
      blind.push({
        kind: 'probe_errors',
        title: 'probe errors',
        detail: 'Probe actions faulted (docs/platforms/macos.md §3, §5): the records those firings would have printed are missing.',
        count: probeErrors,
        examples: ex(probeErrorExamples),
      });
    }
    const extraNa = (extra?.notAttached ?? []).map((n) => `${n.pid !== undefined ? `pid ${n.pid}` : ''}${n.name !== undefined ? ` ${n.name}` : ''}: ${n.reason}`.trim());
    const na = [...notAttached.examples, ...extraNa.slice(0, limits.maxExamples)];
    const naCount = notAttached.n + extraNa.length;
    if (naCount > 0) {
      blind.push({
        kind: 'not_attached',
        title: 'processes that could not be traced',
        detail: 'The tracer could not attach to or start these processes (restricted entitlements, translated or SIP-protected binaries): nothing they did is in the trace.',
        count: naCount,
        examples: ex(na),
      });
    }
    if (sip.n > 0) {
      blind.push({
        kind: 'sip',
        title: 'System Integrity Protection restricts DTrace',
        detail: 'With SIP on, kernel reads fault, fbt probes are absent and restricted processes cannot be instrumented (docs/platforms/macos.md §6).',
        count: sip.n,
        examples: ex(sip.examples),
      });
    }
    if (tracerErrors.n > 0) {
      blind.push({ kind: 'tracer_errors', title: 'tracer errors', detail: 'The tracer reported errors: parts of the script may not have run.', count: tracerErrors.n, examples: ex(tracerErrors.examples) });
    }
    if (malformed > 0) {
      blind.push({ kind: 'malformed_records', title: 'malformed records', detail: 'Record lines that could not be decoded were skipped.', count: malformed, examples: ex(malformedExamples) });
    }
    if (preexisting > 0) {
      blind.push({
        kind: 'preexisting_regions',
        title: 'regions of unknown origin (mapped before tracing began, or never tracked)',
        detail:
          'Protection changes touched memory the trace never saw mapped and the script did not track: memory mapped before tracing began, a sub-range of a larger mapping, or a PROT_NONE reservation (JITs such as V8 reserve address space that way). Its origin (anonymous or file) and previous protection are unknown, so W→X cannot be judged there; execution there, once made executable, is reported by LT-006 at medium unless the baseline expects generated code.',
        count: preexisting,
        examples: ex(preexistingExamples),
      });
    }
    if (unattributed > 0) {
      blind.push({
        kind: 'unattributed_samples',
        title: 'samples outside known regions',
        detail: `Execution samples whose PC lies in no region the trace saw mapped (${UNMAPPED_IMAGES[os]}): they cannot be judged unless the tracer named no module for them.`,
        count: unattributed,
        examples: ex(unattributedExamples),
      });
    }
    const parseLate = numberField(extra?.parse, "late") ?? numberField(extra?.parse, "lateEvents") ?? 0;
    // The parser counts what its window delivered late; the engine sees the same events out of order, so take the larger.
    const late = Math.max(lateEvents, parseLate);
    if (late > 0) {
      blind.push({
        kind: 'late_events',
        title: 'events arrived later than the reorder window',
        detail: 'Some events reached the engine out of time order: state changes they carry were applied late, which can hide or misplace findings. Widen the reorder window or use -x temporal.',
        count: late,
        examples: ex(lateExamples),
      });
    }
    const limitParts: string[] = [];
    if (table.evictedLive > 0) limitParts.push(`${table.evictedLive} live processes forgotten (maxProcesses ${limits.maxProcesses})`);
    if (table.regionCounter.evicted > 0) limitParts.push(`${table.regionCounter.evicted} regions forgotten (maxRegionsPerProcess ${limits.maxRegionsPerProcess})`);
    if (findingsDropped > 0) limitParts.push(`${findingsDropped} new findings not kept (maxFindings ${limits.maxFindings})`);
    if (invalidAddresses > 0) limitParts.push(`${invalidAddresses} events with addresses beyond 2^53 ignored for region tracking`);
    if (memfdsForgotten > 0) limitParts.push(`${memfdsForgotten} memfd names not kept (maxRegionsPerProcess ${limits.maxRegionsPerProcess} per process)`);
    if (trailersIgnored > 0) limitParts.push(`${trailersIgnored} trailer records beyond ${MAX_TRAILER_NAMES} distinct counter names ignored`);
    if (limitParts.length > 0) {
      blind.push({ kind: 'limits', title: 'engine limits reached', detail: limitParts.join('; '), count: table.evictedLive + table.regionCounter.evicted + findingsDropped + invalidAddresses + memfdsForgotten + trailersIgnored, examples: [] });
    }
    const counters = Object.entries(trailers).filter(([k, v]) => v > 0 && /drop|lost|full|overflow|miss/i.test(k));
    if (counters.length > 0) {
      blind.push({
        kind: 'script_counters',
        title: "the script's own loss counters are not zero",
        detail: counters.map(([k, v]) => `${k}=${v}`).join(', '),
        count: counters.reduce((a, [, v]) => a + v, 0),
        examples: [],
      });
    }
    const lostEnds = Math.max(0, beginsSeen - trailerCounts);
    const lostCounters = Math.max(0, trailersExpected - (trailersSeen - trailerCounts));
    if (trailersSeen > 0 && trailerCounts > 0 && (lostEnds > 0 || lostCounters > 0)) {
      blind.push({
        kind: 'partial_trailer',
        title: "some of the scripts' end-of-run counters never arrived",
        detail: `The scripts said they would print ${trailersExpected} end-of-run counter${trailersExpected === 1 ? '' : 's'} and ${trailersSeen - trailerCounts} arrived${lostEnds > 0 ? `; ${lostEnds} of ${beginsSeen} scripts' counts never arrived at all` : ''}. Their END output was lost to drops, or a script was killed: the counters (statistics.trailers) are incomplete, and so is what they say the kernel side filtered.`,
        count: lostCounters + lostEnds,
        examples: [],
      });
    }
    if (beginsSeen > 0 && trailersSeen === 0) {
      blind.push({
        kind: 'missing_trailer',
        title: "the script's end-of-run counters never arrived",
        detail:
          'The trace has begin records but no trailer: the tracer was killed or crashed, the capture was cut short, or its END output was lost to drops. What the kernel side filtered, remembered or rate-limited is unknown, and the last events before the cut may be missing too.',
        count: beginsSeen,
        examples: [],
      });
    }
    for (const ps of platformBlindSpots(os, beginBackend ?? opts.backend ?? null)) blind.push({ kind: 'platform', title: ps.title, detail: ps.detail, count: null, examples: [] });

    const bySev: Record<string, number> = {};
    for (const f of order) bySev[f.severity] = (bySev[f.severity] ?? 0) + 1;
    return {
      findings: [...order],
      blindSpots: blind,
      stats: {
        os,
        events,
        eventsByKind: Object.fromEntries(RECORD_KINDS.map((k, i) => [k, kindCounts[i]!]).filter(([, n]) => (n as number) > 0)),
        diagnostics,
        diagnosticsByFamily: { ...byFamily },
        processes: table.created,
        findings: order.length,
        findingsBySeverity: bySev,
        findingsDropped,
        lateEvents: late,
        preexistingRegions: preexisting,
        unattributedSamples: unattributed,
        invalidAddresses,
        processesEvicted: table.evictedLive + table.evictedExited,
        regionsEvicted: table.regionCounter.evicted,
        trailers: { ...trailers },
        windowMs,
        limits,
        firstEvent: firstT,
        lastEvent: Number.isFinite(hot[MAX_T]!) ? hot[MAX_T]! : null,
      },
    };
  }

  return { event, diagnostic, finish };
}

function numberField(o: ParseSummaryLike | undefined, k: string): number | null {
  const v = o?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Run a whole event list through a fresh engine (tests, replay of small traces). */
export function runEngine(
  events: Iterable<TraceEvent>,
  diagnostics: Iterable<Diagnostic>,
  opts: EngineOptions,
  extra?: { parse?: ParseSummaryLike; notAttached?: readonly NotAttached[] },
): Report {
  const engine = createEngine(opts);
  for (const d of diagnostics) engine.diagnostic(d);
  for (const e of events) engine.event(e);
  return engine.finish(extra);
}

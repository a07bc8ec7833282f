/**
 * Types shared by every rule: metadata, the context a rule sees, and the
 * candidates it returns. Rules are pure functions of (event, context); the
 * engine owns state, de-duplication and correlation.
 */
import type { Os } from '../protocol/flags.ts';
import type { RecordKind, TraceEvent } from '../protocol/registry.ts';
import type { RegionSnapshot, ProtectPiece } from '../state/region-map.ts';

/** Severity scale, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Numeric rank of a severity (info 0 … critical 4), for comparisons. */
export function severityRank(s: Severity): number {
  return RANK[s];
}

/** One step up the scale, capped at critical. */
export function bumpSeverity(s: Severity, steps = 1): Severity {
  return SEVERITIES[Math.min(SEVERITIES.length - 1, Math.max(0, RANK[s] + steps))]!;
}

/**
 * Behaviours a baseline entry can declare expected; rules ask about exactly these. This table is their one
 * definition: the Behaviour type, the baseline schema's keys and counts, what verdicts call each one and what
 * learning writes all come from it. A behaviour with a `subject` is judged per library or symbol, and its
 * baseline key is an object `{ allowed, <list>? }`; the others are a boolean.
 */
export const BEHAVIOUR_TABLE = {
  dlopen: { what: 'dynamic loading', subject: 'lib.path', list: 'libraries' },
  dlsym: { what: 'run-time symbol resolution', subject: 'sym.name', list: 'symbols' },
  jit: { what: 'JIT (MAP_JIT) memory', subject: null, list: null },
  wx: { what: 'W→X transitions', subject: null, list: null },
  anonExec: { what: 'execution from anonymous memory', subject: null, list: null },
  rwx: { what: 'RWX memory', subject: null, list: null },
  memload: { what: 'in-memory image loading', subject: null, list: null },
} as const;
export type Behaviour = keyof typeof BEHAVIOUR_TABLE;
/** Every behaviour, in the table's order (the order of a baseline entry's keys). */
export const BEHAVIOURS = Object.keys(BEHAVIOUR_TABLE) as Behaviour[];
/** Behaviours judged per subject (a library, a symbol). */
export type ListBehaviour = { [K in Behaviour]: (typeof BEHAVIOUR_TABLE)[K]['list'] extends string ? K : never }[Behaviour];
/** Behaviours a baseline entry allows or not as a whole. */
export type FlagBehaviour = Exclude<Behaviour, ListBehaviour>;
export const LIST_BEHAVIOURS = BEHAVIOURS.filter((b) => BEHAVIOUR_TABLE[b].list !== null) as ListBehaviour[];
export const FLAG_BEHAVIOURS = BEHAVIOURS.filter((b) => BEHAVIOUR_TABLE[b].list === null) as FlagBehaviour[];

export type Maturity = 'stable' | 'experimental';

export interface RuleMeta {
  /** Stable identifier, `LT-0NN`; baselines' exceptions may name a rule by id or by name. */
  readonly id: string;
  /** Short kebab-case name. */
  readonly name: string;
  readonly title: string;
  /** What the rule detects and why it matters. */
  readonly description: string;
  /** How to tune it: which baseline keys or exception fields silence it. */
  readonly tuning: string;
  /** Default severity; a candidate may raise or lower it and says why. */
  readonly severity: Severity;
  /** MITRE ATT&CK technique ids, T1620 first. */
  readonly attack: readonly string[];
  readonly maturity: Maturity;
  /** Event kinds the rule consumes; the engine calls it for these only. */
  readonly kinds: readonly RecordKind[];
  /** Baseline behaviours the rule consults. */
  readonly behaviours: readonly Behaviour[];
}

/** The baseline's answer for one question, with the reason that goes into the finding. */
export interface Verdict {
  readonly expected: boolean;
  /** Label of the entry that matched (and allowed, when expected), or null when none matched. */
  readonly entry: string | null;
  readonly reason: string;
}

/** Fields a Falco-style exception can compare, besides `rule`: the subjects of list behaviours. */
export type Subject = { readonly [K in ListBehaviour as (typeof BEHAVIOUR_TABLE)[K]['subject']]?: string };

/** What a rule judged: the behaviour a baseline entry must allow to expect it, and its subject when it has one. */
export interface Judged {
  readonly behaviour: Behaviour;
  readonly subject?: Subject;
}

/** Options of a baseline query. */
export interface ExpectOptions {
  /**
   * For `dlopen`: count only entries that list the library explicitly in
   * `libraries` (an entry that allows any library does not vouch for its location).
   */
  readonly explicit?: boolean;
}

/** Process identity as rules and findings see it. */
export interface ProcessView {
  readonly key: number;
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly name: string;
  readonly path: string | null;
}

/** What a memory event did to the region map, computed before rules run. */
export interface MemoryChange {
  readonly op: 'map' | 'protect' | 'unmap' | 'allocate';
  readonly start: number;
  readonly end: number;
  /** New protection (rwx bits only). */
  readonly prot: number;
  /** False when the call failed: no state changed. */
  readonly ok: boolean;
  /** For map/allocate: the new region (the live one: read it during the event, do not keep it). */
  readonly region: RegionSnapshot | null;
  /** For protect: each piece of the range with what it was before. */
  readonly pieces: readonly ProtectPiece[];
}

export interface RuleContext {
  readonly os: Os;
  readonly proc: ProcessView;
  /** Present for mmap, mprotect, munmap and Mach VM events. */
  readonly change: MemoryChange | null;
  /** The region of the current process holding `addr`, or null. */
  region(addr: number): RegionSnapshot | null;
  /** Name given to memfd_create for this fd in this process, or null. */
  memfdName(fd: number): string | null;
  /** Live regions of the current process that are views of one memory object (RegionAttrs.object), in address order. */
  views(object: number): readonly RegionSnapshot[];
  /** What a shared object is when not a memfd (`shm:/dev/shm/NAME`, `mach_vm_remap`), or null. */
  objectName(object: number): string | null;
  /** Ask the baseline whether this behaviour is expected of the current process. */
  expect(rule: RuleMeta, behaviour: Behaviour, subject?: Subject, opts?: ExpectOptions): Verdict;
}

/** Extra evidence values a rule attaches; flat so reporters can print them. */
export type Detail = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

/** What a rule returns when it fires. The engine merges repeats by (rule, process, key). */
export interface Candidate extends Judged {
  /** De-duplication key inside the process: a region start, a library path, a symbol. */
  readonly key: string;
  readonly severity: Severity;
  /** One line for people. */
  readonly summary: string;
  readonly verdict: Verdict;
  readonly region?: RegionSnapshot | null;
  readonly detail?: Detail;
}

export interface Rule extends RuleMeta {
  /** Pure: no I/O, no logging, no state of its own. Returns null when it does not fire. */
  match(e: TraceEvent, ctx: RuleContext): readonly Candidate[] | null;
}

/** `0x…` form of an address held as a number. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

let lastU64 = '';
// In a typed array: a module variable holding a number is boxed, and every new value would be an allocation.
const lastU64Value = new Float64Array([NaN]);

/** A u64 field (`0x…`) as a number when it is exact (< 2^53), else NaN. */
export function u64(s: string): number {
  // The engine and a rule often ask about the same field in a row: a one-entry cache.
  if (s === lastU64) return lastU64Value[0]!;
  const n = s.length;
  let v: number;
  if (n > 15) {
    // More than 13 hex digits may not fit 53 bits: take the slow, checked path.
    v = parseInt(s.slice(2), 16);
    if (!(v <= Number.MAX_SAFE_INTEGER)) v = NaN;
  } else {
    // Hand-rolled: parseInt(s.slice(2), 16) allocates and was the engine's hottest call.
    v = n > 2 ? 0 : NaN;
    for (let i = 2; i < n; i++) {
      const c = s.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) {
        v = NaN;
        break;
      }
      v = v * 16 + d;
    }
  }
  lastU64 = s;
  lastU64Value[0] = v;
  return v;
}

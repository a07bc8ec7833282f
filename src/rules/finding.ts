/**
 * The Finding shape (DESIGN contract 4) and how evidence is cut from events:
 * raw fields kept exact, with protections, flags, modes and handles decoded
 * next to them so nobody has to look up a constant.
 */
import {
  decodeMapFlags,
  decodeProt,
  decodeRtldMode,
  decodeVmFlags,
  decodeVmProt,
  protString,
  rtldHandleName,
  type Os,
} from '../protocol/flags.ts';
import { RECORDS, type RecordKind, type TraceEvent } from '../protocol/registry.ts';
import type { Region } from '../state/region-map.ts';
import type { Detail, Maturity, Severity, Verdict } from './types.ts';
import { hex } from './types.ts';

/** One event that fired (or repeated) a finding. */
export interface EvidenceEvent {
  readonly kind: RecordKind;
  /** Exact ns timestamp as printed, and the same as ms since the epoch and as ISO text. */
  readonly ts: string;
  readonly t: number;
  readonly time: string;
  /** Where the record was in its input. */
  readonly line: number;
  readonly seq: number;
  readonly pid: number;
  readonly tid: number;
  /** The record's own fields, raw and exact. */
  readonly fields: Readonly<Record<string, string | number | boolean | null>>;
  /** Names for the numbers among them (protections, flags, RTLD modes and handles). */
  readonly decoded: Readonly<Record<string, string | readonly string[]>>;
  readonly ustack?: readonly string[];
}

/** The region a finding is about, as it was when the finding was made. */
export interface RegionEvidence {
  readonly start: string;
  readonly end: string;
  readonly size: number;
  /** rwx form, e.g. `r-x`. */
  readonly prot: string;
  readonly origin: Region['origin'];
  readonly anon: boolean | null;
  readonly memfd: boolean;
  readonly jit: boolean;
  readonly everWritable: boolean;
  readonly wasWX: boolean;
  /** The region existed before tracing began. */
  readonly preexisting: boolean;
}

export interface ProcessIdentity {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly name: string;
  readonly path: string | null;
  /** Unique per (pid, image) within one report. */
  readonly key: number;
}

export interface Finding {
  /** Stable within a report: rule, pid, process key and the rule's de-duplication key. */
  readonly id: string;
  readonly rule: string;
  readonly name: string;
  readonly title: string;
  severity: Severity;
  readonly attack: readonly string[];
  readonly maturity: Maturity;
  summary: string;
  readonly process: ProcessIdentity;
  /** What repeats are merged on inside the process: a region start, a library path, a symbol. */
  readonly key: string;
  readonly evidence: EvidenceEvent[];
  region: RegionEvidence | null;
  /** First bytes of the region (hex) when captured. */
  bytes: string | null;
  /** User stack of the first event that had one. */
  ustack: readonly string[] | null;
  detail: Detail;
  readonly baseline: Verdict;
  count: number;
  readonly firstSeen: number;
  lastSeen: number;
  readonly firstTs: string;
  lastTs: string;
  /** For correlated findings: ids of the member findings. */
  related?: string[];
}

const COMMON = new Set(['ts', 'pid', 'ppid', 'tid', 'uid', 'comm']);

/** Evidence entry for one event. */
export function evidenceOf(e: TraceEvent, os: Os): EvidenceEvent {
  const fields: Record<string, string | number | boolean | null> = {};
  const src = e as unknown as Record<string, string | number | boolean | null>;
  for (const f of RECORDS[e.kind].fields) if (!COMMON.has(f.name)) fields[f.name] = src[f.name] ?? null;
  const decoded: Record<string, string | readonly string[]> = {};
  switch (e.kind) {
    case 'mmap':
      decoded.prot = decodeProt(e.prot);
      decoded.rwx = protString(e.prot);
      decoded.flags = decodeMapFlags(e.flags, os);
      break;
    case 'mprotect':
      decoded.prot = decodeProt(e.prot);
      decoded.rwx = protString(e.prot);
      if (e.prevProt >= 0) decoded.prevProt = decodeProt(e.prevProt);
      if (e.prevFlags >= 0) decoded.prevFlags = decodeMapFlags(e.prevFlags, os);
      break;
    case 'vm_protect':
      decoded.prot = decodeVmProt(e.prot);
      decoded.rwx = protString(e.prot);
      if (e.prevProt >= 0) decoded.prevProt = decodeVmProt(e.prevProt);
      break;
    case 'vm_map':
      decoded.prot = decodeVmProt(e.prot);
      decoded.rwx = protString(e.prot);
      decoded.flags = decodeVmFlags(e.flags);
      break;
    case 'vm_allocate':
      decoded.flags = decodeVmFlags(e.flags);
      break;
    case 'dlopen':
      decoded.mode = decodeRtldMode(e.mode, os);
      break;
    case 'dlsym': {
      const h = rtldHandleName(e.handle, os);
      if (h !== null) decoded.handle = h;
      break;
    }
    default:
      break;
  }
  const ev: EvidenceEvent = {
    kind: e.kind,
    ts: e.ts,
    t: e.t,
    time: Number.isFinite(e.t) ? new Date(e.t).toISOString() : '',
    line: e.line,
    seq: e.seq,
    pid: e.pid,
    tid: e.tid,
    fields,
    decoded,
  };
  if (e.ustack !== undefined && e.ustack.length > 0) (ev as { ustack?: readonly string[] }).ustack = [...e.ustack];
  return ev;
}

/** Evidence form of a region. */
export function regionEvidence(r: Readonly<Region>): RegionEvidence {
  return {
    start: hex(r.start),
    end: hex(r.end),
    size: r.end - r.start,
    prot: protString(r.prot),
    origin: r.origin,
    anon: r.anon,
    memfd: r.memfd,
    jit: r.jit,
    everWritable: r.everWritable,
    wasWX: r.wasWX,
    preexisting: r.preexisting,
  };
}

/**
 * What the HTML report's timelines need from the event stream, collected as
 * the pipeline hands events over (its onEvent hook) in bounded memory: per
 * process, the address ranges it mapped with their protection over time, the
 * first events at each range, loads and process events, and execution samples
 * folded into buckets. Everything not kept is counted, so the page can say
 * what it leaves out.
 */
import { detach, detachString } from '../../util/detach.ts';
import { evidenceOf, type EvidenceEvent } from '../../rules/finding.ts';
import { MAP_FAILED, type Os } from '../../protocol/flags.ts';
import type { TraceEvent } from '../../protocol/registry.ts';
import { u64 } from '../../rules/types.ts';

export interface TimelineLimits {
  /**
   * Processes kept (default 256). Full: an exited process without findings makes room for a new one; if
   * there is none, the new process is not kept, unless it has a finding: then the process without findings
   * that holds the least makes room, and the new one is drawn from then on.
   */
  readonly maxProcesses: number;
  /** Address ranges per process (default 48); events at further ranges are counted. */
  readonly maxRowsPerProcess: number;
  /** Protection segments per range (default 32); later changes are counted and the range is marked cut. */
  readonly maxSegmentsPerRow: number;
  /** Events kept per range (default 12, the first ones). */
  readonly maxMarkersPerRow: number;
  /** Events without an address kept per process: loads, symbols, forks, exits (default 60, the first ones). */
  readonly maxLaneMarkersPerProcess: number;
  /** Sample buckets per process (default 160): buckets widen in time when there would be more. */
  readonly maxSampleBuckets: number;
  /** Events kept with their decoded fields over all processes (default 8000). */
  readonly maxMarkers: number;
}

export const DEFAULT_TIMELINE_LIMITS: TimelineLimits = {
  maxProcesses: 256,
  maxRowsPerProcess: 48,
  maxSegmentsPerRow: 32,
  maxMarkersPerRow: 12,
  maxLaneMarkersPerProcess: 60,
  maxSampleBuckets: 160,
  maxMarkers: 8000,
};

/** One traced event kept for the page, with its decoded fields. */
export interface Marker {
  readonly t: number;
  readonly ev: EvidenceEvent;
  /** The call failed (no change to memory). */
  readonly failed: boolean;
}

/** A stretch of time during which a range had one protection. */
export interface Segment {
  readonly t0: number;
  /** null: still so when the trace ended. */
  t1: number | null;
  readonly prot: number;
}

/** An address range the process mapped or changed, one row of its timeline. */
export interface Row {
  readonly start: number;
  end: number;
  /** How the range became known: mmap, vm_map, vm_allocate, or a protection change of memory mapped before tracing. */
  readonly origin: 'mmap' | 'vm_map' | 'vm_allocate' | 'untracked';
  readonly segments: Segment[];
  readonly markers: Marker[];
  markersDropped: number;
  /** Time of the first protection change not drawn (segment cap reached), else null. */
  cutAt: number | null;
  segmentsDropped: number;
}

/** Samples of one time bucket landing in one row (or outside every row). */
export interface SampleBucket {
  /** Index into rows, -1 outside every tracked range. */
  readonly row: number;
  /** Bucket start in ms; the width is the process's sampleBucketMs. */
  t: number;
  count: number;
  minPc: number;
  maxPc: number;
  /** The first sample of the bucket, for its stack. */
  first: EvidenceEvent;
}

export interface ProcessTimeline {
  readonly pid: number;
  comm: string;
  /** Path of the last exec seen, else null. */
  path: string | null;
  firstT: number;
  lastT: number;
  events: number;
  readonly rows: Row[];
  /** Events at ranges beyond maxRowsPerProcess. */
  rowsDropped: number;
  readonly lane: Marker[];
  laneDropped: number;
  samples: SampleBucket[];
  sampleCount: number;
  /** Width of a sample bucket in ms (doubles as buckets are merged). */
  sampleBucketMs: number;
  /** Events of this pid before it was kept (it had a finding while the collector was full), else 0. */
  lostBefore: number;
  /** Markers not kept because the overall cap was reached. */
  markersOverCap: number;
}

export interface TimelineData {
  readonly processes: ProcessTimeline[];
  readonly limits: TimelineLimits;
  /** Processes set aside to make room (exited ones, or ones without findings for one with findings). */
  readonly evicted: number;
  /** Events of processes not kept (the collector was full). */
  readonly eventsNotKept: number;
  /** Distinct processes not kept; a lower bound when more than it can count. */
  readonly processesNotKept: number;
  readonly firstT: number | null;
  readonly lastT: number | null;
  readonly events: number;
}

export interface TimelineCollector {
  /** Give it every event in time order (the pipeline's onEvent). */
  event(e: TraceEvent): void;
  /** Tell it a process has a finding (the pipeline's onFinding), so it is never evicted. */
  finding(pid: number): void;
  result(): TimelineData;
}

const FIRST_BUCKET_MS = 1;

/** A collector for the HTML report's timelines; `os` decodes MAP and RTLD flags (default darwin, else the begin record's). */
export function createTimelineCollector(opts: { os?: Os; limits?: Partial<TimelineLimits> } = {}): TimelineCollector {
  const limits: TimelineLimits = { ...DEFAULT_TIMELINE_LIMITS, ...opts.limits };
  let os: Os = opts.os ?? 'darwin';
  const procs = new Map<number, ProcessTimeline>();
  const withFindings = new Set<number>();
  const exited = new Set<number>();
  // Pids not kept, with their events so far: a pid that later has a finding says what it missed. Bounded.
  const notKept = new Map<number, number>();
  let processesNotKept = 0;
  let evicted = 0;
  let eventsNotKept = 0;
  let markers = 0;
  let events = 0;
  let firstT: number | null = null;
  let lastT: number | null = null;

  const markersOf = (p: ProcessTimeline) => p.lane.length + p.rows.reduce((n, r) => n + r.markers.length, 0);
  const keptOf = (p: ProcessTimeline) => markersOf(p) + p.samples.length;

  function proc(e: TraceEvent): ProcessTimeline | null {
    let p = procs.get(e.pid);
    if (p !== undefined) return p;
    if (procs.size >= limits.maxProcesses) {
      let victim: ProcessTimeline | null = null;
      for (const pid of exited) {
        if (withFindings.has(pid)) continue;
        victim = procs.get(pid) ?? null;
        break;
      }
      // Only a process with findings is worth the scan; the others wait for an exit.
      if (victim === null && withFindings.has(e.pid)) {
        for (const q of procs.values()) {
          if (withFindings.has(q.pid)) continue;
          if (victim === null || keptOf(q) < keptOf(victim)) victim = q;
        }
      }
      if (victim === null) {
        eventsNotKept++;
        const seen = notKept.get(e.pid);
        if (seen !== undefined) notKept.set(e.pid, seen + 1);
        else {
          processesNotKept++;
          if (notKept.size < limits.maxProcesses * 64) notKept.set(e.pid, 1);
        }
        return null;
      }
      procs.delete(victim.pid);
      exited.delete(victim.pid);
      evicted++;
      markers -= markersOf(victim);
    }
    p = {
      pid: e.pid,
      comm: detachString(e.comm),
      path: null,
      firstT: e.t,
      lastT: e.t,
      events: 0,
      rows: [],
      rowsDropped: 0,
      lane: [],
      laneDropped: 0,
      samples: [],
      sampleCount: 0,
      sampleBucketMs: FIRST_BUCKET_MS,
      lostBefore: notKept.get(e.pid) ?? 0,
      markersOverCap: 0,
    };
    notKept.delete(e.pid);
    procs.set(e.pid, p);
    return p;
  }

  function marker(p: ProcessTimeline, e: TraceEvent, failed = false): Marker | null {
    if (markers >= limits.maxMarkers) {
      p.markersOverCap++;
      return null;
    }
    markers++;
    // Kept for the whole run: detached, so no piece of input text stays alive through it (util/detach.ts).
    return { t: e.t, ev: detach(evidenceOf(e, os)), failed };
  }

  function addLane(p: ProcessTimeline, e: TraceEvent, failed = false): void {
    if (p.lane.length >= limits.maxLaneMarkersPerProcess) {
      p.laneDropped++;
      return;
    }
    const m = marker(p, e, failed);
    if (m !== null) p.lane.push(m);
  }

  function addToRow(p: ProcessTimeline, r: Row, e: TraceEvent): void {
    if (r.markers.length >= limits.maxMarkersPerRow) {
      r.markersDropped++;
      return;
    }
    const m = marker(p, e);
    if (m !== null) r.markers.push(m);
  }

  const overlaps = (r: Row, a: number, b: number) => r.start < b && a < r.end;
  const open = (r: Row) => {
    const s = r.segments[r.segments.length - 1];
    return s !== undefined && s.t1 === null ? s : null;
  };

  function setProt(r: Row, t: number, prot: number | null): void {
    if (r.cutAt !== null) {
      r.segmentsDropped++;
      return;
    }
    const cur = open(r);
    if (cur !== null && prot !== null && cur.prot === prot) return;
    if (prot !== null && r.segments.length >= limits.maxSegmentsPerRow) {
      r.cutAt = t;
      r.segmentsDropped++;
      if (cur !== null) cur.t1 = t;
      return;
    }
    if (cur !== null) cur.t1 = t;
    if (prot !== null) r.segments.push({ t0: t, t1: null, prot });
  }

  /** The row for a new mapping at [a, b): the same start is the same row (mapped again); others it covers end. */
  function mapRange(p: ProcessTimeline, e: TraceEvent, a: number, b: number, prot: number, origin: Row['origin']): void {
    let row: Row | null = null;
    for (const r of p.rows) {
      if (r.start === a) row = r;
      else if (overlaps(r, a, b)) setProt(r, e.t, null);
    }
    if (row === null) {
      if (p.rows.length >= limits.maxRowsPerProcess) {
        p.rowsDropped++;
        return;
      }
      row = { start: a, end: b, origin, segments: [], markers: [], markersDropped: 0, cutAt: null, segmentsDropped: 0 };
      p.rows.push(row);
    } else if (b > row.end) {
      row.end = b;
    }
    setProt(row, e.t, prot);
    addToRow(p, row, e);
  }

  function protectRange(p: ProcessTimeline, e: TraceEvent, a: number, b: number, prot: number): void {
    let hit = false;
    for (const r of p.rows) {
      if (!overlaps(r, a, b)) continue;
      hit = true;
      setProt(r, e.t, prot);
      addToRow(p, r, e);
    }
    if (!hit) {
      // Memory mapped before tracing (or by the kernel): a row from this change on; its earlier protection is unknown.
      if (p.rows.length >= limits.maxRowsPerProcess) {
        p.rowsDropped++;
        return;
      }
      const row: Row = { start: a, end: b, origin: 'untracked', segments: [], markers: [], markersDropped: 0, cutAt: null, segmentsDropped: 0 };
      p.rows.push(row);
      setProt(row, e.t, prot);
      addToRow(p, row, e);
    }
  }

  function unmapRange(p: ProcessTimeline, e: TraceEvent, a: number, b: number): void {
    let hit = false;
    for (const r of p.rows) {
      if (!overlaps(r, a, b)) continue;
      hit = true;
      setProt(r, e.t, null);
      addToRow(p, r, e);
    }
    if (!hit) addLane(p, e);
  }

  function rowAt(p: ProcessTimeline, addr: number): number {
    // The latest row holding the address: a range mapped again over an old one wins.
    for (let i = p.rows.length - 1; i >= 0; i--) {
      const r = p.rows[i]!;
      if (addr >= r.start && addr < r.end) return i;
    }
    return -1;
  }

  function sample(p: ProcessTimeline, e: Extract<TraceEvent, { kind: 'sample' }>): void {
    p.sampleCount++;
    const pc = u64(e.pc);
    const row = Number.isFinite(pc) ? rowAt(p, pc) : -1;
    const t = Math.floor(e.t / p.sampleBucketMs) * p.sampleBucketMs;
    // Events arrive in time order: a matching bucket is among the last few.
    for (let i = p.samples.length - 1; i >= 0; i--) {
      const b = p.samples[i]!;
      if (b.t !== t) break;
      if (b.row === row) {
        b.count++;
        if (pc < b.minPc) b.minPc = pc;
        if (pc > b.maxPc) b.maxPc = pc;
        return;
      }
    }
    p.samples.push({ row, t, count: 1, minPc: pc, maxPc: pc, first: detach(evidenceOf(e, os)) });
    if (p.samples.length > limits.maxSampleBuckets) widenBuckets(p);
  }

  function widenBuckets(p: ProcessTimeline): void {
    while (p.samples.length > limits.maxSampleBuckets) {
      p.sampleBucketMs *= 2;
      const merged = new Map<string, SampleBucket>();
      for (const b of p.samples) {
        const t = Math.floor(b.t / p.sampleBucketMs) * p.sampleBucketMs;
        const key = `${t}:${b.row}`;
        const m = merged.get(key);
        if (m === undefined) merged.set(key, { ...b, t });
        else {
          m.count += b.count;
          m.minPc = Math.min(m.minPc, b.minPc);
          m.maxPc = Math.max(m.maxPc, b.maxPc);
        }
      }
      p.samples = [...merged.values()];
    }
  }

  return {
    event(e) {
      if (e.kind === 'begin') {
        if (opts.os === undefined && (e.os === 'darwin' || e.os === 'linux')) os = e.os;
        return;
      }
      if (e.kind === 'trailer') return;
      events++;
      if (Number.isFinite(e.t)) {
        if (firstT === null || e.t < firstT) firstT = e.t;
        if (lastT === null || e.t > lastT) lastT = e.t;
      }
      const p = proc(e);
      if (p === null) return;
      p.events++;
      if (e.t < p.firstT) p.firstT = e.t;
      if (e.t > p.lastT) p.lastT = e.t;
      if (p.comm !== e.comm) p.comm = detachString(e.comm);
      switch (e.kind) {
        case 'mmap': {
          const a = u64(e.ret);
          if (e.ret === MAP_FAILED || e.err !== 0 || !Number.isFinite(a)) return addLane(p, e, true);
          return mapRange(p, e, a, a + u64(e.len), e.prot, 'mmap');
        }
        case 'vm_map': {
          const a = u64(e.addr);
          if (e.kr !== 0 || !Number.isFinite(a)) return addLane(p, e, true);
          return mapRange(p, e, a, a + u64(e.size), e.prot & 7, 'vm_map');
        }
        case 'vm_allocate': {
          const a = u64(e.addr);
          if (e.kr !== 0 || !Number.isFinite(a)) return addLane(p, e, true);
          // vm_allocate gives read/write memory.
          return mapRange(p, e, a, a + u64(e.size), 3, 'vm_allocate');
        }
        case 'mprotect': {
          const a = u64(e.addr);
          if (e.ret !== 0 || !Number.isFinite(a)) return addLane(p, e, true);
          return protectRange(p, e, a, a + u64(e.len), e.prot);
        }
        case 'vm_protect': {
          const a = u64(e.addr);
          // Setting the maximum protection does not change the current one.
          if (e.kr !== 0 || e.setMax !== 0 || !Number.isFinite(a)) return addLane(p, e, e.kr !== 0);
          return protectRange(p, e, a, a + u64(e.size), e.prot & 7);
        }
        case 'munmap':
        case 'vm_deallocate': {
          const a = u64(e.addr);
          const len = u64(e.kind === 'munmap' ? e.len : e.size);
          if ((e.kind === 'munmap' ? e.ret : e.kr) !== 0 || !Number.isFinite(a)) return addLane(p, e, true);
          return unmapRange(p, e, a, a + len);
        }
        case 'bytes':
        case 'memload': {
          const i = rowAt(p, u64(e.addr));
          return i >= 0 ? addToRow(p, p.rows[i]!, e) : addLane(p, e);
        }
        case 'sample':
          return sample(p, e);
        case 'exec':
          p.path = detachString(e.path);
          exited.delete(p.pid);
          return addLane(p, e);
        case 'exit':
          exited.add(p.pid);
          return addLane(p, e);
        default:
          return addLane(p, e);
      }
    },
    finding(pid) {
      withFindings.add(pid);
    },
    result() {
      return { processes: [...procs.values()], limits, evicted, eventsNotKept, processesNotKept, firstT, lastT, events };
    },
  };
}

/**
 * The process table: pid -> the process currently holding it. A pid seen
 * again after its exit is a new process with a new key; an exec starts a new
 * image, which also gets a new key, because a baseline judges images.
 */
import { detachString } from '../util/detach.ts';
import { RegionMap } from './region-map.ts';

export interface ProcessInfo {
  /** Unique per (pid, image) for the whole run: findings and correlation key on it. */
  key: number;
  pid: number;
  ppid: number;
  uid: number;
  name: string;
  /** Executable path, known when the trace saw the exec (or inherited through fork). */
  path: string | null;
  /** Time (ms) the process or image was first seen, and its exact ns timestamp. */
  start: number;
  startTs: string;
  /** True when the trace saw the fork or exec that started it (else it predates tracing). */
  seenStart: boolean;
  exit: number | null;
  exitStatus: number | null;
  lastSeen: number;
  regions: RegionMap;
  /** fd -> memfd_create name, Linux only; null until the first memfd. */
  memfds: Map<number, string> | null;
  /** fd -> identity of the memfd object it names (the memfd record's arrival order + 1); null until the first memfd. */
  memfdIds: Map<number, number> | null;
  /** Per-process cache slot for the engine (baseline matches, verdicts, correlation). */
  cache: unknown;
}

export interface ProcessTableLimits {
  /** Processes kept at once; exited ones are evicted first, then the oldest live ones. */
  maxProcesses: number;
  /** Regions per process before the least useful are forgotten. */
  maxRegionsPerProcess: number;
}

export class ProcessTable {
  private readonly byPid = new Map<number, ProcessInfo>();
  private exited: ProcessInfo[] = [];
  private exitedHead = 0;
  /** Entries of `exited` whose pid a newer process holds: kept alive by the list alone until it is pruned. */
  private staleExited = 0;
  private nextKey = 1;
  /** Live processes evicted because the table was full (a blind spot). */
  evictedLive = 0;
  /** Exited processes evicted (harmless: their findings keep a copy of their identity). */
  evictedExited = 0;
  /** Processes ever created. */
  created = 0;

  /** Shared tally of regions forgotten by full region maps. */
  readonly regionCounter = { evicted: 0, overflows: 0 };

  constructor(private readonly limits: ProcessTableLimits) {}

  get size(): number {
    return this.byPid.size;
  }

  get(pid: number): ProcessInfo | undefined {
    return this.byPid.get(pid);
  }

  values(): IterableIterator<ProcessInfo> {
    return this.byPid.values();
  }

  /** The live process holding pid, created from the event's identity if unknown or exited. */
  ensure(pid: number, ppid: number, uid: number, name: string, t: number, ts: string): ProcessInfo {
    const p = this.byPid.get(pid);
    if (p !== undefined && p.exit === null) {
      p.lastSeen = t;
      return p;
    }
    return this.create(pid, ppid, uid, name, null, t, ts, false, null);
  }

  private create(
    pid: number,
    ppid: number,
    uid: number,
    name: string,
    path: string | null,
    t: number,
    ts: string,
    seenStart: boolean,
    regions: RegionMap | null,
  ): ProcessInfo {
    const previous = this.byPid.get(pid);
    if (previous === undefined && this.byPid.size >= this.limits.maxProcesses) this.evictOne();
    if (previous !== undefined && previous.exit !== null) this.staleExited++;
    const p: ProcessInfo = {
      key: this.nextKey++,
      pid,
      ppid,
      uid,
      name,
      // Kept for the whole run: copies that do not hold the parser's input chunk in memory.
      path: path === null ? null : detachString(path),
      start: t,
      startTs: detachString(ts),
      seenStart,
      exit: null,
      exitStatus: null,
      lastSeen: t,
      regions: regions ?? new RegionMap(this.limits.maxRegionsPerProcess, this.regionCounter),
      memfds: null,
      memfdIds: null,
      cache: null,
    };
    // Delete first so that Map order stays creation order (the eviction order for live processes).
    this.byPid.delete(pid);
    this.byPid.set(pid, p);
    this.created++;
    return p;
  }

  private evictOne(): void {
    while (this.exitedHead < this.exited.length) {
      const p = this.exited[this.exitedHead++]!;
      if (this.byPid.get(p.pid) === p) {
        this.byPid.delete(p.pid);
        this.evictedExited++;
        this.compactExited();
        return;
      }
    }
    const oldest = this.byPid.keys().next();
    if (!oldest.done) {
      this.byPid.delete(oldest.value);
      this.evictedLive++;
    }
  }

  private compactExited(): void {
    if (this.exitedHead > 1024 && this.exitedHead * 2 > this.exited.length) {
      this.exited.splice(0, this.exitedHead);
      this.exitedHead = 0;
    }
  }

  /** fork/posix_spawn: the child starts as a copy of the parent (regions and memfds included). */
  fork(parent: ProcessInfo, child: number, t: number, ts: string): ProcessInfo {
    const c = this.create(child, parent.pid, parent.uid, parent.name, parent.path, t, ts, true, parent.regions.clone());
    if (parent.memfds !== null) c.memfds = new Map(parent.memfds);
    if (parent.memfdIds !== null) c.memfdIds = new Map(parent.memfdIds);
    return c;
  }

  /** exec: a new image in the same pid. Regions go; memfds stay (fds survive exec unless close-on-exec). */
  exec(p: ProcessInfo, path: string, name: string, t: number, ts: string): ProcessInfo {
    const n = this.create(p.pid, p.ppid, p.uid, name, path, t, ts, true, null);
    // The old image's regions are gone: a parent still sharing them with this child need not copy them.
    p.regions.clear();
    n.memfds = p.memfds;
    n.memfdIds = p.memfdIds;
    return n;
  }

  /** exit: keep the identity for late lookups, free the regions. */
  exit(p: ProcessInfo, status: number, t: number): void {
    if (p.exit !== null) return;
    p.exit = t;
    p.exitStatus = status;
    p.regions.clear();
    this.exited.push(p);
    // A pid reused after its exit replaces its entry in byPid without an eviction, so stale entries
    // would pile up here forever. With pids reused all the time (process churn, pid_max 32768) they
    // were half the list and kept as many dead processes alive as the table holds: pruned once they
    // are a quarter of it, which costs a pass over the list per quarter of it added.
    const listed = this.exited.length - this.exitedHead;
    if (listed > 2 * this.byPid.size + 1024 || (this.staleExited > 1024 && this.staleExited * 4 > listed)) this.pruneExited();
  }

  private pruneExited(): void {
    const keep: ProcessInfo[] = [];
    for (let i = this.exitedHead; i < this.exited.length; i++) {
      const q = this.exited[i]!;
      if (this.byPid.get(q.pid) === q) keep.push(q);
    }
    this.exited = keep;
    this.exitedHead = 0;
    this.staleExited = 0;
  }
}

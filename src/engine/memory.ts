/**
 * Applying an event to memory state: what a memory call, a memfd_create or
 * the first bytes of a region, an shm open, dup or close do to the process's region map, computed before
 * the rules run so that they judge the change rather than redo it. Also counts
 * what could not be tracked (addresses beyond 2^53, ranges never seen mapped,
 * memfds beyond the limit), which the blind spots report.
 */
import { MAP_FAILED, mmapTraits, PROT_EXEC, type Os } from '../protocol/flags.ts';
import type { EventOf, TraceEvent } from '../protocol/registry.ts';
import { hex, u64, type MemoryChange } from '../rules/types.ts';
import type { ProcessInfo } from '../state/process-table.ts';
import { snapshot, type GapFill, type ProtectPiece, type Region, type RegionAttrs } from '../state/region-map.ts';
import { detachString } from '../util/detach.ts';

const NO_PIECES: readonly ProtectPiece[] = [];
const RWX_BITS = 0x7;
/** What vm_allocate gives: rw- anonymous memory (docs/platforms/macos.md §2). */
const VM_PROT_DEFAULT = 0x3;
/** MREMAP_DONTUNMAP: the old range stays mapped. */
const MREMAP_DONTUNMAP = 4;
/** /dev/shm names kept (all processes together). */
const MAX_SHM_NAMES = 4096;
/** O_CREAT | O_EXCL (Linux): open made a new object. */
const O_CREAT_EXCL = 0x40 | 0x80;

type MapAttrs = Omit<RegionAttrs, 'everWritable' | 'wasWX' | 'object'> & { object?: number };
type ProtectEvent = EventOf<'mprotect'> | EventOf<'vm_protect'>;

function failed(op: MemoryChange['op'], prot: number): MemoryChange {
  return { op, start: 0, end: 0, prot, ok: false, region: null, pieces: NO_PIECES };
}

export interface MemoryStateOptions {
  /** Lengths are rounded up to whole pages of this size. */
  readonly pageSize: number;
  /** Examples kept of regions of unknown origin. */
  readonly maxExamples: number;
  /** memfd names kept per process. */
  readonly maxMemfds: number;
}

export class MemoryState {
  /** Platform of the trace: decides what MAP_* flags mean. */
  os: Os;
  /** Events whose address or length is not an exact number (beyond 2^53): left out of region tracking. */
  invalidAddresses = 0;
  /** Protection changes over memory the trace never saw mapped. */
  preexisting = 0;
  readonly preexistingExamples: string[] = [];
  memfdsForgotten = 0;
  /** Object identities of /dev/shm names (one per name, in every process) and the names of such objects. */
  private readonly shmObjects = new Map<string, number>();
  private readonly objectNames = new Map<number, string>();
  // The range of the last call, as [start, end): kept here so that working one out allocates nothing.
  private rangeStart = 0;
  private rangeEnd = 0;

  constructor(
    private readonly opts: MemoryStateOptions,
    os: Os,
  ) {
    this.os = os;
  }

  /**
   * Rounds [addr, addr+len) out to whole pages into rangeStart/rangeEnd; false (and counted) when either
   * number is not exact.
   */
  private range(addr: string, len: string): boolean {
    const a = u64(addr);
    const l = u64(len);
    if (!Number.isFinite(a) || !Number.isFinite(l) || a + l > Number.MAX_SAFE_INTEGER) {
      this.invalidAddresses++;
      return false;
    }
    const page = this.opts.pageSize;
    const start = a - (a % page);
    this.rangeStart = start;
    this.rangeEnd = start + Math.ceil((a + l - start) / page) * page;
    return true;
  }

  /** What a memory event (mmap, mprotect, munmap, mremap, Mach VM calls) did to p's regions; null for none. */
  apply(p: ProcessInfo, e: TraceEvent): MemoryChange | null {
    switch (e.kind) {
      case 'mmap': {
        const prot = e.prot & RWX_BITS;
        if (e.ret === MAP_FAILED) return failed('map', prot);
        const memfd = !e.anon && e.fd >= 0 && p.memfds !== null && p.memfds.has(e.fd);
        // The views of a memfd or /dev/shm object share its identity (the fd at mmap time names the object).
        const object = !e.anon && e.fd >= 0 ? (p.memfdIds?.get(e.fd) ?? 0) : 0;
        return this.map(
          p,
          e.ret,
          e.len,
          { prot, origin: 'mmap', anon: e.anon, memfd, jit: e.jit, shared: e.shared, fd: e.anon ? -1 : e.fd, object, preexisting: false, bytes: null, since: e.t },
          'map',
        );
      }
      case 'mprotect':
        return this.protect(p, e, e.len, e.prot & RWX_BITS, e.ret === 0);
      case 'vm_protect':
        // set_maximum changes the ceiling, not the current protection.
        if (e.setMax !== 0) return null;
        return this.protect(p, e, e.size, e.prot & RWX_BITS, e.kr === 0);
      case 'munmap':
        if (e.ret === 0 && this.range(e.addr, e.len)) p.regions.unmap(this.rangeStart, this.rangeEnd);
        return null;
      case 'vm_deallocate':
        if (e.kr === 0 && this.range(e.addr, e.size)) p.regions.unmap(this.rangeStart, this.rangeEnd);
        return null;
      case 'mremap': {
        // The region moves with its history.
        if (e.ret === MAP_FAILED) return null;
        if (!this.range(e.addr, e.oldLen)) return null;
        const fromStart = this.rangeStart;
        const fromEnd = this.rangeEnd;
        if (this.range(e.ret, e.newLen)) p.regions.move(fromStart, fromEnd, this.rangeStart, this.rangeEnd, (e.flags & MREMAP_DONTUNMAP) !== 0);
        return null;
      }
      case 'vm_remap':
        return this.remapView(p, e);
      case 'vm_allocate':
        if (e.kr !== 0) return null;
        return this.map(
          p,
          e.addr,
          e.size,
          { prot: VM_PROT_DEFAULT, origin: 'vm_allocate', anon: true, memfd: false, jit: false, shared: false, fd: -1, preexisting: false, bytes: null, since: e.t },
          'allocate',
        );
      case 'vm_map':
        if (e.kr !== 0) return failed('map', e.prot & RWX_BITS);
        // The trap path maps no memory object: always anonymous (docs/platforms/macos.md §2).
        return this.map(
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

  /** memfd_create: the fd names a new memory object (even when its number was used before). */
  memfd(p: ProcessInfo, e: EventOf<'memfd'>): void {
    if (e.fd < 0) return;
    const names = (p.memfds ??= new Map());
    if (names.size < this.opts.maxMemfds || names.has(e.fd)) {
      names.set(e.fd, e.name);
      (p.memfdIds ??= new Map()).set(e.fd, e.seq + 1);
    } else this.memfdsForgotten++;
  }

  /** What an object that is not a memfd is called in evidence (`shm:/dev/shm/x`, `mach_vm_remap`), or null. */
  objectName(object: number): string | null {
    return this.objectNames.get(object) ?? null;
  }

  /**
   * shm: the fd names the object of its /dev/shm path, so every view of that name in a process is
   * one object (O_CREAT|O_EXCL made a new one). dup: a second fd for the same object. close: the fd
   * names nothing any more, so a later file mapped through the same number is not taken for a view.
   */
  objectFd(p: ProcessInfo, e: EventOf<'shm'> | EventOf<'dup'> | EventOf<'close'>): void {
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
    let id = this.shmObjects.get(e.path);
    if (id === undefined || (e.oflags & O_CREAT_EXCL) === O_CREAT_EXCL) {
      if (!this.shmObjects.has(e.path) && this.shmObjects.size >= MAX_SHM_NAMES) {
        this.memfdsForgotten++;
        return;
      }
      id = e.seq + 1;
      this.shmObjects.set(detachString(e.path), id);
      this.objectNames.set(id, detachString(`shm:${e.path}`));
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
  private remapView(p: ProcessInfo, e: EventOf<'vm_remap'>): MemoryChange | null {
    const cur = e.cur & RWX_BITS;
    if (e.kr !== 0 || e.task !== e.srcTask) return failed('map', cur);
    if (!this.range(e.srcAddr, e.size)) return null;
    const s0 = this.rangeStart;
    const s1 = this.rangeEnd;
    if (!this.range(e.addr, e.size)) return null;
    const d0 = this.rangeStart;
    const d1 = this.rangeEnd;
    const known = p.regions.all().filter((r) => r.end > s0 && r.start < s1).map(snapshot);
    if (known.length === 0) {
      const tracked = e.prevProt >= 0;
      const traits = tracked && e.prevFlags >= 0 ? mmapTraits(e.prevFlags, this.os) : null;
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
      if (!this.objectNames.has(object) && object === e.seq + 1) this.objectNames.set(object, e.fn);
      for (const r of known) p.regions.map(Math.max(r.start, s0), Math.min(r.end, s1), { ...r, object, bytes: r.start >= s0 ? r.bytes : null });
    }
    const delta = d0 - s0;
    // The _new calls give the view the protection asked for; the others keep each source entry's own.
    const fixed = e.fn.endsWith('_new');
    p.regions.unmap(d0, d1);
    for (const r of known) {
      const a = Math.max(r.start, s0) + delta;
      const b = Math.min(r.end, s1, s0 + (d1 - d0)) + delta;
      if (!(b > a)) continue;
      p.regions.map(a, b, { ...r, prot: fixed ? cur : r.prot, origin: 'vm_remap', shared: e.copy === 0 || r.shared, object, preexisting: false, bytes: null, since: e.t });
    }
    const view = p.regions.find(d0);
    return { op: 'map', start: d0, end: d1, prot: view?.prot ?? cur, ok: true, region: view, pieces: NO_PIECES };
  }

  /** The first bytes of a region: the region that now holds them, or null when none does. */
  bytes(p: ProcessInfo, e: EventOf<'bytes'>): Region | null {
    const a = u64(e.addr);
    if (Number.isNaN(a)) {
      this.invalidAddresses++;
      return null;
    }
    return p.regions.setBytes(a, e.data);
  }

  private protect(p: ProcessInfo, e: ProtectEvent, len: string, prot: number, ok: boolean): MemoryChange {
    if (!ok || !this.range(e.addr, len)) return failed('protect', prot);
    const start = this.rangeStart;
    const end = this.rangeEnd;
    let fill: GapFill | null = null;
    if (e.prevProt >= 0) {
      // The script tracked this range in its in-kernel table (anonymous writable mappings are not printed).
      const traits = e.kind === 'mprotect' && e.prevFlags >= 0 ? mmapTraits(e.prevFlags, this.os) : null;
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
    const pieces = p.regions.protect(start, end, prot, fill, e.t);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (piece.before !== null) continue;
      this.preexisting++;
      if (this.preexistingExamples.length < this.opts.maxExamples) {
        this.preexistingExamples.push(
          `pid ${p.pid} (${p.name}): ${hex(piece.start)}-${hex(piece.end)} made ${prot & PROT_EXEC ? 'executable' : 'non-executable'} at ${e.ts}`,
        );
      }
    }
    return { op: 'protect', start, end, prot, ok: true, region: null, pieces };
  }

  private map(p: ProcessInfo, addr: string, len: string, attrs: MapAttrs, op: 'map' | 'allocate'): MemoryChange | null {
    if (!this.range(addr, len)) return null;
    const start = this.rangeStart;
    const end = this.rangeEnd;
    // The live region, not a copy: rules only read it during this event, and a finding copies what it keeps.
    const region = p.regions.map(start, end, attrs);
    return { op, start, end, prot: attrs.prot, ok: true, region, pieces: NO_PIECES };
  }
}

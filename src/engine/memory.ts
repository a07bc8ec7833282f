/**
 * Applying an event to memory state: what a memory call, a memfd_create or
 * the first bytes of a region do to the process's region map, computed before
 * the rules run so that they judge the change rather than redo it. Also counts
 * what could not be tracked (addresses beyond 2^53, ranges never seen mapped,
 * memfds beyond the limit), which the blind spots report.
 */
import { MAP_FAILED, mmapTraits, PROT_EXEC, type Os } from '../protocol/flags.ts';
import type { EventOf, TraceEvent } from '../protocol/registry.ts';
import { hex, u64, type MemoryChange } from '../rules/types.ts';
import type { ProcessInfo } from '../state/process-table.ts';
import type { GapFill, ProtectPiece, Region, RegionAttrs } from '../state/region-map.ts';

const NO_PIECES: readonly ProtectPiece[] = [];
const RWX_BITS = 0x7;
/** What vm_allocate gives: rw- anonymous memory (docs/platforms/macos.md §2). */
const VM_PROT_DEFAULT = 0x3;
/** MREMAP_DONTUNMAP: the old range stays mapped. */
const MREMAP_DONTUNMAP = 4;

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
        // A memfd's views share its identity (the fd at mmap time names the object memfd_create made).
        const object = memfd ? (p.memfdIds?.get(e.fd) ?? 0) : 0;
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

/**
 * Per-process map of memory regions: a sorted array of non-overlapping
 * half-open intervals (kept in chunks, see chunked.ts), searched by binary search. Neither DTrace's syscall
 * provider nor bpftrace gives a region's previous protection, so we keep it
 * ourselves (docs/platforms/peers.md, "What this implies" 1).
 */
import { detachString } from '../util/detach.ts';
import { PROT_EXEC, PROT_WRITE } from '../protocol/flags.ts';
import { Chunked } from './chunked.ts';

/** How a region came to be known. `unknown`: it existed before tracing began. */
export type RegionOrigin = 'mmap' | 'vm_allocate' | 'vm_map' | 'vm_remap' | 'unknown';

export interface RegionAttrs {
  /** Current protection, rwx bits only. */
  prot: number;
  origin: RegionOrigin;
  /** true anonymous, false file-backed (memfd included), null when not known. */
  anon: boolean | null;
  /** Backed by a memfd_create file (Linux fileless). */
  memfd: boolean;
  /** Mapped with MAP_JIT (macOS). */
  jit: boolean;
  shared: boolean;
  /** File descriptor the mapping came from, -1 for anonymous or unknown. */
  fd: number;
  /**
   * The memory object behind the mapping when views of one object can be told apart (a memfd:
   * the memfd record's identity), else 0. Two regions with the same non-zero object are views
   * of the same memory.
   */
  object: number;
  /** Was writable at some point while traced. */
  everWritable: boolean;
  /** Was writable and executable at the same time while traced. */
  wasWX: boolean;
  /** Existed before tracing began; its history is unknown. */
  preexisting: boolean;
  /** First bytes (hex) captured when the region became executable; belongs to `start`. */
  bytes: string | null;
  /** Time (ms) the region, or this piece of it, was first seen. Not part of equality. */
  since: number;
}

export interface Region extends RegionAttrs {
  start: number;
  end: number;
}

/** A read-only copy of a region handed to rules and findings. */
export type RegionSnapshot = Readonly<Region>;

/** One piece of a protect range and what it was before the change. */
export interface ProtectPiece {
  readonly start: number;
  readonly end: number;
  /** Attributes before the change; null when the piece was never seen (pre-existing, unknown). */
  readonly before: Readonly<RegionAttrs> | null;
  /** The before-state came from the script's in-kernel table (prevProt), not from our own map. */
  readonly fromScript: boolean;
}

/** Attributes for gaps a protect covers that the script knew about (prevProt/prevFlags). */
export type GapFill = Omit<RegionAttrs, 'prot' | 'since' | 'bytes' | 'preexisting' | 'everWritable' | 'wasWX' | 'object'> & {
  prot: number;
};

function sameAttrs(a: Region, b: Region): boolean {
  return (
    a.prot === b.prot &&
    a.origin === b.origin &&
    a.anon === b.anon &&
    a.memfd === b.memfd &&
    a.jit === b.jit &&
    a.shared === b.shared &&
    a.fd === b.fd &&
    a.object === b.object &&
    a.everWritable === b.everWritable &&
    a.wasWX === b.wasWX &&
    a.preexisting === b.preexisting
  );
}

/**
 * Every region is built here, with the same properties in the same order, so
 * that all regions share one hidden class: the binary search reads `end` on
 * every step, and a spread of differently-shaped attribute objects made that
 * a slow dictionary lookup.
 */
function makeRegion(a: Readonly<RegionAttrs>, start: number, end: number): Region {
  return {
    prot: a.prot,
    origin: a.origin,
    anon: a.anon,
    memfd: a.memfd,
    jit: a.jit,
    shared: a.shared,
    fd: a.fd,
    object: a.object,
    everWritable: a.everWritable,
    wasWX: a.wasWX,
    preexisting: a.preexisting,
    bytes: a.bytes,
    since: a.since,
    start,
    end,
  };
}

function copy(r: Region): Region {
  return makeRegion(r, r.start, r.end);
}

/** Eviction order when a map is full: the regions least useful to the rules go first. */
function evictionRank(r: Region): number {
  if (r.anon === false && !r.memfd) return 0; // file-backed images
  if (r.origin === 'unknown') return 1;
  if (!(r.prot & PROT_EXEC)) return 2;
  return 3;
}

const NO_ENDS = new Float64Array(0);
/**
 * The regions of every map that has none: most processes of a busy system exec or exit without
 * a memory call of their own, and an exited process stays in the table until its pid is used
 * again. Never changed: own() gives a map a sequence of its own before its first change.
 */
const NO_REGIONS = new Chunked<Region>(2);

export class RegionMap {
  private regions: Chunked<Region>;
  // Region ends in a flat array for find(): execution samples look regions up far more often than memory calls
  // change them, and a search there touches no region object. After a change it is rebuilt once enough lookups
  // have come to pay for it; until then lookups search the regions themselves, so that a large map changed
  // often does not cost a rebuild per change.
  private ends = NO_ENDS;
  private endsValid = false;
  private findsSinceChange = 0;
  /**
   * The maps sharing `regions` after a fork (clone). A fork copied every region of the parent, and most
   * children exec or exit without a memory call of their own: the copy is now made by whichever map
   * changes its regions first while they are shared.
   */
  private sharing: { maps: number } = { maps: 1 };
  /**
   * @param maxRegions regions kept before the least useful are forgotten
   * @param counter shared tally of forgotten regions (one per engine), so the report can say so
   */
  constructor(
    readonly maxRegions = 65536,
    readonly counter: { evicted: number; overflows: number } = { evicted: 0, overflows: 0 },
    /** Regions per chunk of the sorted sequence (small values are for tests). */
    private readonly chunk = 256,
  ) {
    this.regions = NO_REGIONS;
  }

  get size(): number {
    return this.regions.length;
  }

  /** All regions in address order (a new array of the live objects: do not mutate them). */
  all(): readonly Region[] {
    return this.regions.toArray();
  }

  /** Index of the first region whose end is above addr (ends are sorted, as regions never overlap). */
  private firstEndAbove(addr: number): number {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rs.get(mid)!.end > addr) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** After any change to the regions: the lookup index is stale, and the count towards rebuilding it restarts. */
  private changed(): void {
    this.endsValid = false;
    this.findsSinceChange = 0;
  }

  /** Before changing the regions: regions shared with a fork are copied first, so the other map keeps its own. */
  private own(): void {
    if (this.regions === NO_REGIONS) {
      if (this.sharing.maps > 1) {
        this.sharing.maps--;
        this.sharing = { maps: 1 };
      }
      this.regions = new Chunked<Region>(this.chunk);
      this.changed();
      return;
    }
    if (this.sharing.maps === 1) return;
    this.sharing.maps--;
    this.sharing = { maps: 1 };
    this.regions = Chunked.from(this.regions.toArray().map(copy), this.chunk);
    this.changed();
  }

  /** The region holding addr, or null. */
  find(addr: number): Region | null {
    const rs = this.regions;
    const n = rs.length;
    if (!this.endsValid) {
      if (n > 64 && ++this.findsSinceChange * 16 < n) {
        const r = rs.get(this.firstEndAbove(addr));
        return r !== undefined && r.start <= addr ? r : null;
      }
      if (this.ends.length < n) this.ends = new Float64Array(Math.max(n, 8, this.ends.length * 2));
      const ends = this.ends;
      rs.forEach((r, k) => {
        ends[k] = r.end;
      });
      this.endsValid = true;
    }
    const ends = this.ends;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! > addr) hi = mid;
      else lo = mid + 1;
    }
    const r = rs.get(lo);
    return r !== undefined && r.start <= addr ? r : null;
  }

  /** Ensure a region boundary at addr, splitting the region that straddles it. */
  private splitAt(addr: number): void {
    this.changed();
    const i = this.firstEndAbove(addr);
    const r = this.regions.get(i);
    if (r === undefined || r.start >= addr) return;
    const right = copy(r);
    right.start = addr;
    right.bytes = null;
    r.end = addr;
    this.regions.splice(i + 1, 0, right);
  }

  /** Merge equal neighbours among indices lo..hi (inclusive, clamped). */
  private mergeRange(lo: number, hi: number): void {
    this.changed();
    const rs = this.regions;
    let i = Math.max(0, lo);
    let last = Math.min(hi, rs.length - 1);
    while (i < last) {
      const a = rs.get(i)!;
      const b = rs.get(i + 1)!;
      if (a.end === b.start && b.bytes === null && sameAttrs(a, b)) {
        a.end = b.end;
        if (b.since < a.since) a.since = b.since;
        rs.splice(i + 1, 1);
        last--;
      } else {
        i++;
      }
    }
  }

  /** A new mapping over [start, end): replaces whatever was there (as mmap and MAP_FIXED do). */
  map(start: number, end: number, attrs: Omit<RegionAttrs, 'everWritable' | 'wasWX' | 'object'> & Partial<RegionAttrs>): Region | null {
    if (!(end > start)) return null;
    this.own();
    this.changed();
    this.splitAt(start);
    this.splitAt(end);
    const i = this.firstEndAbove(start);
    let j = i;
    while (j < this.regions.length && this.regions.get(j)!.start < end) j++;
    const w = (attrs.prot & PROT_WRITE) !== 0;
    const x = (attrs.prot & PROT_EXEC) !== 0;
    const region: Region = makeRegion(
      {
        prot: attrs.prot,
        origin: attrs.origin,
        anon: attrs.anon,
        memfd: attrs.memfd,
        jit: attrs.jit,
        shared: attrs.shared,
        fd: attrs.fd,
        object: attrs.object ?? 0,
        everWritable: (attrs.everWritable ?? false) || w,
        wasWX: (attrs.wasWX ?? false) || (w && x),
        preexisting: attrs.preexisting,
        bytes: attrs.bytes,
        since: attrs.since,
      },
      start,
      end,
    );
    this.regions.splice(i, j - i, region);
    this.mergeRange(i - 1, i + 1);
    this.enforceLimit();
    return this.find(start);
  }

  /** Remove [start, end). Returns the number of bytes that were tracked there. */
  unmap(start: number, end: number): number {
    if (!(end > start)) return 0;
    this.own();
    this.changed();
    this.splitAt(start);
    this.splitAt(end);
    const i = this.firstEndAbove(start);
    let j = i;
    let bytes = 0;
    for (let r = this.regions.get(j); r !== undefined && r.start < end; r = this.regions.get(++j)) bytes += r.end - r.start;
    this.regions.splice(i, j - i);
    return bytes;
  }

  /**
   * Change the protection of [start, end). Gaps (never seen) become regions:
   * with `fill` when the script's in-kernel table knew the range, else
   * `unknown`/pre-existing. Returns every piece with its state before.
   */
  protect(start: number, end: number, prot: number, fill: GapFill | null, t: number): ProtectPiece[] {
    const pieces: ProtectPiece[] = [];
    if (!(end > start)) return pieces;
    this.own();
    this.changed();
    this.splitAt(start);
    this.splitAt(end);
    const rs = this.regions;
    let i = this.firstEndAbove(start);
    const first = i;
    let cursor = start;
    const w = (prot & PROT_WRITE) !== 0;
    const wx = w && (prot & PROT_EXEC) !== 0;
    while (cursor < end) {
      const r = rs.get(i);
      if (r === undefined || r.start > cursor) {
        // A gap from cursor to the next region (or to end).
        const gapEnd = r === undefined ? end : Math.min(r.start, end);
        const gap: Region = fill
          ? makeRegion(
              {
                prot: fill.prot,
                origin: fill.origin,
                anon: fill.anon,
                memfd: fill.memfd,
                jit: fill.jit,
                shared: fill.shared,
                fd: fill.fd,
                object: 0,
                everWritable: (fill.prot & PROT_WRITE) !== 0,
                wasWX: (fill.prot & (PROT_WRITE | PROT_EXEC)) === (PROT_WRITE | PROT_EXEC),
                preexisting: false,
                bytes: null,
                since: t,
              },
              cursor,
              gapEnd,
            )
          : makeRegion(
              { prot, origin: 'unknown', anon: null, memfd: false, jit: false, shared: false, fd: -1, object: 0, everWritable: false, wasWX: false, preexisting: true, bytes: null, since: t },
              cursor,
              gapEnd,
            );
        pieces.push({ start: cursor, end: gapEnd, before: fill ? copy(gap) : null, fromScript: fill !== null });
        gap.prot = prot;
        gap.everWritable ||= w;
        gap.wasWX ||= wx;
        rs.splice(i, 0, gap);
        i++;
        cursor = gapEnd;
        continue;
      }
      pieces.push({ start: r.start, end: r.end, before: copy(r), fromScript: false });
      r.prot = prot;
      r.everWritable ||= w;
      r.wasWX ||= wx;
      cursor = r.end;
      i++;
    }
    this.mergeRange(first - 1, i);
    this.enforceLimit();
    return pieces;
  }

  /**
   * mremap: the regions in [oldStart, oldEnd) now live at [newStart, newEnd), each piece keeping
   * its attributes and history; growth takes the attributes of the piece that ended the old
   * range, a shrink drops what no longer fits. The old range is unmapped unless `keepOld`
   * (MREMAP_DONTUNMAP). Returns the number of bytes moved that were tracked.
   */
  move(oldStart: number, oldEnd: number, newStart: number, newEnd: number, keepOld: boolean): number {
    if (!(oldEnd > oldStart) || !(newEnd > newStart)) return 0;
    this.own();
    this.changed();
    this.splitAt(oldStart);
    this.splitAt(oldEnd);
    const delta = newStart - oldStart;
    const pieces: Region[] = [];
    let i = this.firstEndAbove(oldStart);
    for (let r = this.regions.get(i); r !== undefined && r.start < oldEnd; r = this.regions.get(++i)) pieces.push(copy(r));
    const last = pieces[pieces.length - 1];
    if (last !== undefined && last.end === oldEnd && newEnd > oldEnd + delta) last.end = newEnd - delta;
    if (!keepOld) this.unmap(oldStart, oldEnd);
    this.unmap(newStart, newEnd);
    let moved = 0;
    for (const r of pieces) {
      const s = r.start + delta;
      const e = Math.min(r.end + delta, newEnd);
      if (!(e > s)) continue;
      moved += e - s;
      this.map(s, e, r);
    }
    // Kept (MREMAP_DONTUNMAP) or not, the splits made at the old range's ends may join again.
    this.mergeRange(this.firstEndAbove(oldStart) - 1, this.firstEndAbove(oldEnd));
    return moved;
  }

  /** Record the first bytes of the region starting at addr (splitting if addr is inside one). */
  setBytes(addr: number, data: string): Region | null {
    if (this.find(addr) === null) return null;
    this.own();
    this.splitAt(addr);
    const r = this.find(addr)!;
    // Kept as long as the region lives: a copy that does not hold the parser's input chunk.
    r.bytes = detachString(data);
    return r;
  }

  clear(): void {
    if (this.sharing.maps > 1) {
      this.sharing.maps--;
      this.sharing = { maps: 1 };
    }
    this.regions = NO_REGIONS;
    // An exited process keeps its (empty) map while it stays in the table: it need not keep a lookup array too.
    this.ends = NO_ENDS;
    this.changed();
  }

  /** A copy of this map, as fork gives the child (copied when either map first changes). */
  clone(): RegionMap {
    const m = new RegionMap(this.maxRegions, this.counter, this.chunk);
    m.regions = this.regions;
    m.sharing = this.sharing;
    this.sharing.maps++;
    return m;
  }

  /** Drop regions down to 90% of the limit, least useful first, so the cost is paid rarely. */
  private enforceLimit(): void {
    if (this.regions.length <= this.maxRegions) return;
    this.changed();
    const target = Math.max(0, Math.floor(this.maxRegions * 0.9));
    let excess = this.regions.length - target;
    this.counter.overflows++;
    let all = this.regions.toArray();
    for (let rank = 0; rank <= 3 && excess > 0; rank++) {
      const keep: Region[] = [];
      for (const r of all) {
        if (excess > 0 && evictionRank(r) === rank) excess--;
        else keep.push(r);
      }
      this.counter.evicted += all.length - keep.length;
      all = keep;
    }
    this.regions = Chunked.from(all, this.chunk);
  }
}

/** A frozen copy for evidence. */
export function snapshot(r: Region): RegionSnapshot {
  return copy(r);
}

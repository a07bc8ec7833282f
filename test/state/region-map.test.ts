import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegionMap, type GapFill, type Region, type RegionAttrs } from '../../src/state/region-map.ts';

const PG = 0x1000;
const PAGES = 48;
const BASE = 0x7f0000000000;

type PageAttrs = Omit<RegionAttrs, 'since'>;

/** Brute force: one attribute record per page. */
class PageModel {
  pages: (PageAttrs | null)[] = Array(PAGES).fill(null);
  map(a: number, b: number, attrs: Omit<PageAttrs, 'everWritable' | 'wasWX'>) {
    const w = (attrs.prot & 2) !== 0;
    const x = (attrs.prot & 4) !== 0;
    for (let p = a; p < b; p++) this.pages[p] = { ...attrs, everWritable: w, wasWX: w && x, bytes: null };
  }
  unmap(a: number, b: number) {
    for (let p = a; p < b; p++) this.pages[p] = null;
  }
  protect(a: number, b: number, prot: number, fill: GapFill | null) {
    const w = (prot & 2) !== 0;
    const wx = w && (prot & 4) !== 0;
    for (let p = a; p < b; p++) {
      const cur = this.pages[p] ?? null;
      if (cur === null) {
        this.pages[p] = fill
          ? { ...fill, object: 0, prot, preexisting: false, bytes: null, everWritable: (fill.prot & 2) !== 0 || w, wasWX: (fill.prot & 6) === 6 || wx }
          : { prot, origin: 'unknown', anon: null, memfd: false, jit: false, shared: false, fd: -1, object: 0, preexisting: true, bytes: null, everWritable: w, wasWX: wx };
      } else {
        this.pages[p] = { ...cur, prot, everWritable: cur.everWritable || w, wasWX: cur.wasWX || wx };
      }
    }
  }
  /** mremap: pages keep their attributes at their new place; growth copies the old range's last page. */
  move(a: number, b: number, c: number, d: number, keepOld: boolean) {
    const moved = this.pages.slice(a, b);
    const last = moved[moved.length - 1] ?? null;
    if (!keepOld) this.unmap(a, b);
    this.unmap(c, d);
    for (let i = 0; c + i < d; i++) {
      const src = i < moved.length ? moved[i]! : last && { ...last, bytes: null };
      this.pages[c + i] = src;
    }
  }
  setBytes(p: number, data: string) {
    const cur = this.pages[p];
    if (cur) this.pages[p] = { ...cur, bytes: data };
  }
}

function expand(m: RegionMap): (PageAttrs | null)[] {
  const out: (PageAttrs | null)[] = Array(PAGES).fill(null);
  for (const r of m.all()) {
    const { start, end, since: _s, ...attrs } = r;
    for (let a = start; a < end; a += PG) {
      const p = (a - BASE) / PG;
      out[p] = { ...attrs, bytes: a === start ? attrs.bytes : null };
    }
  }
  return out;
}

function sameAttrs(a: Region, b: Region): boolean {
  const { start: _a, end: _b, since: _c, bytes: _d, ...x } = a;
  const { start: _e, end: _f, since: _g, bytes: _h, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
}

function checkInvariants(m: RegionMap) {
  const rs = m.all();
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    expect(r.end).toBeGreaterThan(r.start);
    if (i > 0) {
      const prev = rs[i - 1]!;
      expect(prev.end).toBeLessThanOrEqual(r.start);
      // Maximally merged: equal neighbours are one region (a region holding bytes starts its own).
      if (prev.end === r.start && r.bytes === null) expect(sameAttrs(prev, r)).toBe(false);
    }
  }
}

const attrsArb = fc.record({
  prot: fc.integer({ min: 0, max: 7 }),
  origin: fc.constantFrom('mmap' as const, 'vm_allocate' as const, 'vm_map' as const),
  anon: fc.boolean(),
  memfd: fc.constant(false),
  jit: fc.boolean(),
  shared: fc.constant(false),
  fd: fc.constantFrom(-1, 3),
  object: fc.constantFrom(0, 7),
  preexisting: fc.constant(false),
  bytes: fc.constant(null),
});
const rangeArb = fc.tuple(fc.integer({ min: 0, max: PAGES - 1 }), fc.integer({ min: 1, max: 12 })).map(([a, n]) => [a, Math.min(PAGES, a + n)] as const);
const fillArb = fc.option(
  fc.record({
    prot: fc.integer({ min: 0, max: 7 }),
    origin: fc.constant('mmap' as const),
    anon: fc.constantFrom(true, null),
    memfd: fc.constant(false),
    jit: fc.boolean(),
    shared: fc.constant(false),
    fd: fc.constant(-1),
  }),
  { nil: null },
);
const opArb = fc.oneof(
  fc.record({ op: fc.constant('map' as const), r: rangeArb, attrs: attrsArb }),
  fc.record({ op: fc.constant('unmap' as const), r: rangeArb }),
  fc.record({ op: fc.constant('protect' as const), r: rangeArb, prot: fc.integer({ min: 0, max: 7 }), fill: fillArb }),
  fc.record({ op: fc.constant('move' as const), r: rangeArb, to: fc.integer({ min: 0, max: PAGES - 1 }), len: fc.integer({ min: 1, max: 12 }), keep: fc.boolean() }),
  fc.record({ op: fc.constant('bytes' as const), p: fc.integer({ min: 0, max: PAGES - 1 }), data: fc.constantFrom('cffaedfe', '7f454c46', '00') }),
);

describe('RegionMap against a page-by-page model', () => {
  // Chunks of 3 regions: the sequence is cut and joined again all the time, as in a map of thousands.
  it.each([256, 3])('random map/protect/unmap/bytes sequences agree with the model (fixed seed, %i regions a chunk)', (chunk) => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const m = new RegionMap(65536, undefined, chunk);
        const model = new PageModel();
        for (const o of ops) {
          if (o.op === 'map') {
            m.map(BASE + o.r[0] * PG, BASE + o.r[1] * PG, { ...o.attrs, since: 0 });
            model.map(o.r[0], o.r[1], o.attrs);
          } else if (o.op === 'unmap') {
            m.unmap(BASE + o.r[0] * PG, BASE + o.r[1] * PG);
            model.unmap(o.r[0], o.r[1]);
          } else if (o.op === 'protect') {
            const pieces = m.protect(BASE + o.r[0] * PG, BASE + o.r[1] * PG, o.prot, o.fill, 0);
            // The pieces tile the range exactly.
            let at = BASE + o.r[0] * PG;
            for (const piece of pieces) {
              expect(piece.start).toBe(at);
              at = piece.end;
            }
            expect(at).toBe(BASE + o.r[1] * PG);
            // What a piece says it was is what the model had.
            for (const piece of pieces) {
              const before = model.pages[(piece.start - BASE) / PG];
              if (piece.before === null) expect(before).toBeNull();
              else if (!piece.fromScript) expect(piece.before.prot).toBe(before!.prot);
            }
            model.protect(o.r[0], o.r[1], o.prot, o.fill);
          } else if (o.op === 'move') {
            const to = Math.min(PAGES, o.to + o.len);
            m.move(BASE + o.r[0] * PG, BASE + o.r[1] * PG, BASE + o.to * PG, BASE + to * PG, o.keep);
            model.move(o.r[0], o.r[1], o.to, to, o.keep);
          } else {
            m.setBytes(BASE + o.p * PG, o.data);
            model.setBytes(o.p, o.data);
          }
          checkInvariants(m);
          expect(expand(m)).toEqual(model.pages);
        }
        for (let p = 0; p < PAGES; p++) {
          const r = m.find(BASE + p * PG + 7);
          expect(r === null).toBe(model.pages[p] === null);
        }
      }),
      { seed: 20260101, numRuns: 400 },
    );
  });
});

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Apply one generated operation to a map and to its model. */
function apply(m: RegionMap, model: PageModel, o: Op): void {
  if (o.op === 'map') {
    m.map(BASE + o.r[0] * PG, BASE + o.r[1] * PG, { ...o.attrs, since: 0 });
    model.map(o.r[0], o.r[1], o.attrs);
  } else if (o.op === 'unmap') {
    m.unmap(BASE + o.r[0] * PG, BASE + o.r[1] * PG);
    model.unmap(o.r[0], o.r[1]);
  } else if (o.op === 'protect') {
    m.protect(BASE + o.r[0] * PG, BASE + o.r[1] * PG, o.prot, o.fill, 0);
    model.protect(o.r[0], o.r[1], o.prot, o.fill);
  } else if (o.op === 'move') {
    const to = Math.min(PAGES, o.to + o.len);
    m.move(BASE + o.r[0] * PG, BASE + o.r[1] * PG, BASE + o.to * PG, BASE + to * PG, o.keep);
    model.move(o.r[0], o.r[1], o.to, to, o.keep);
  } else {
    m.setBytes(BASE + o.p * PG, o.data);
    model.setBytes(o.p, o.data);
  }
}

describe('RegionMap clones (fork)', () => {
  it('a clone and its original change independently, whichever changes first, and after either is cleared', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 20 }),
        fc.array(fc.tuple(fc.constantFrom('parent' as const, 'child' as const, 'fork' as const, 'clear' as const), opArb), { minLength: 1, maxLength: 40 }),
        (before, after) => {
          const maps: RegionMap[] = [new RegionMap(65536, undefined, 3)];
          const models: PageModel[] = [new PageModel()];
          for (const o of before) apply(maps[0]!, models[0]!, o);
          for (const [who, o] of after) {
            if (who === 'fork') {
              // Fork the newest map again: three or more maps may share one set of regions.
              const i = maps.length - 1;
              maps.push(maps[i]!.clone());
              const copy = new PageModel();
              copy.pages = structuredClone(models[i]!.pages);
              models.push(copy);
              continue;
            }
            const i = who === 'parent' ? 0 : maps.length - 1;
            if (who === 'clear') {
              maps[i]!.clear();
              models[i] = new PageModel();
              continue;
            }
            apply(maps[i]!, models[i]!, o);
            maps.forEach((m, k) => {
              checkInvariants(m);
              expect(expand(m), `map ${k}`).toEqual(models[k]!.pages);
            });
          }
        },
      ),
      { seed: 20260102, numRuns: 300 },
    );
  });
});

describe('RegionMap', () => {
  const anon = { prot: 3, origin: 'mmap' as const, anon: true, memfd: false, jit: false, shared: false, fd: -1, preexisting: false, bytes: null, since: 1 };

  it('splits a region on a partial protect and merges it back', () => {
    const m = new RegionMap();
    m.map(0x10000, 0x14000, anon);
    m.protect(0x11000, 0x12000, 5, null, 2);
    expect(m.all().map((r) => [r.start, r.end, r.prot])).toEqual([
      [0x10000, 0x11000, 3],
      [0x11000, 0x12000, 5],
      [0x12000, 0x14000, 3],
    ]);
    expect(m.find(0x11800)!.everWritable).toBe(true);
    m.protect(0x11000, 0x12000, 3, null, 3);
    expect(m.size).toBe(1);
  });

  it('reports gaps as unknown pre-existing pieces', () => {
    const m = new RegionMap();
    m.map(0x10000, 0x11000, anon);
    const pieces = m.protect(0x10000, 0x12000, 5, null, 2);
    expect(pieces.map((p) => p.before === null)).toEqual([false, true]);
    expect(m.find(0x11000)).toMatchObject({ origin: 'unknown', anon: null, preexisting: true, prot: 5 });
  });

  it('forgets the least useful regions when full, and counts them', () => {
    const counter = { evicted: 0, overflows: 0 };
    const m = new RegionMap(10, counter);
    for (let i = 0; i < 10; i++) m.map(i * 0x2000, i * 0x2000 + 0x1000, { ...anon, prot: i % 2 ? 5 : 1, anon: i % 2 === 1 });
    expect(m.size).toBe(10);
    m.map(0x100000, 0x101000, { ...anon, prot: 5 });
    expect(m.size).toBe(9);
    expect(counter).toEqual({ evicted: 2, overflows: 1 });
    // File-backed (anon false) regions went first; executable anonymous ones stayed.
    expect(m.all().filter((r) => r.anon === false)).toHaveLength(3);
    expect(m.all().filter((r) => r.anon === true)).toHaveLength(6);
  });

  it('clone is independent', () => {
    const m = new RegionMap();
    m.map(0x10000, 0x11000, anon);
    const c = m.clone();
    c.protect(0x10000, 0x11000, 5, null, 1);
    expect(m.find(0x10000)!.prot).toBe(3);
    expect(c.find(0x10000)!.prot).toBe(5);
  });
});

describe('RegionMap lookups in a large map', () => {
  it('find agrees with a scan of all regions, whether or not its index is current', () => {
    const attrs = (prot: number) => ({ prot, origin: 'mmap' as const, anon: true, memfd: false, jit: false, shared: false, fd: -1, preexisting: false, bytes: null, since: 0 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 1999 }), fc.nat({ max: 6 }), fc.array(fc.nat({ max: 2 * 2000 * 0x1000 }), { maxLength: 40 })), { minLength: 1, maxLength: 30 }),
        (steps) => {
          const m = new RegionMap();
          // 1,000 regions with gaps between them: past the size where lookups may skip the index.
          for (let i = 0; i < 1000; i++) m.map(0x10000000 + 2 * i * 0x1000, 0x10000000 + (2 * i + 1) * 0x1000, attrs(1 + (i % 2) * 4));
          for (const [page, prot, probes] of steps) {
            const at = 0x10000000 + page * 0x1000;
            if (prot === 0) m.unmap(at, at + 0x1000);
            else m.map(at, at + 0x1000, attrs(prot));
            for (const off of probes) {
              const addr = 0x10000000 - 0x1000 + off;
              const want = m.all().find((r) => r.start <= addr && addr < r.end) ?? null;
              expect(m.find(addr)).toBe(want);
            }
          }
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });
});

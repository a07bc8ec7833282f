import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Chunked } from '../../src/state/chunked.ts';

const opArb = fc.oneof(
  fc.record({ op: fc.constant('splice' as const), at: fc.nat({ max: 60 }), del: fc.nat({ max: 8 }), add: fc.array(fc.integer(), { maxLength: 9 }) }),
  fc.record({ op: fc.constant('get' as const), at: fc.integer({ min: -2, max: 62 }) }),
);

describe('Chunked', () => {
  it('behaves as an array under any splices, whatever the chunk size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.array(fc.integer(), { maxLength: 30 }), fc.array(opArb, { maxLength: 60 }), (max, init, ops) => {
        const c = Chunked.from(init, max);
        const a = [...init];
        for (const o of ops) {
          if (o.op === 'splice') {
            c.splice(o.at, o.del, ...o.add);
            a.splice(o.at, o.del, ...o.add);
          } else {
            expect(c.get(o.at)).toBe(a[o.at]);
          }
          expect(c.length).toBe(a.length);
        }
        expect(c.toArray()).toEqual(a);
        const seen: number[] = [];
        c.forEach((x, i) => {
          expect(i).toBe(seen.length);
          seen.push(x);
        });
        expect(seen).toEqual(a);
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it('keeps a long sequence in bounded chunks', () => {
    const c = new Chunked<number>(8);
    for (let i = 0; i < 1000; i++) c.splice(i >> 1, 0, i);
    expect(c.length).toBe(1000);
    const chunks = (c as unknown as { chunks: number[][] }).chunks;
    expect(Math.max(...chunks.map((x) => x.length))).toBeLessThanOrEqual(8);
    expect(chunks.length).toBeGreaterThanOrEqual(125);
  });
});

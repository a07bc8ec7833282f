import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { detach, detachString } from '../../src/util/detach.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap growth, in MB, from keeping `keep(chunk)` of 40 one-MiB chunks. */
function retainedMB(keep: (chunk: string) => string): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < 40; i++) kept.push(keep(`${i}`.padEnd(1 << 20, 'y') + String(Math.random())));
  gc();
  const grown = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  expect(kept).toHaveLength(40);
  return grown;
}

describe('detachString', () => {
  it('is the same string, lone surrogates and all', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 13 }), (a, b) => {
        expect(detachString(a)).toBe(a);
        expect(detachString(b)).toBe(b);
        expect(detachString(`x${b}y`.slice(1, -1))).toBe(b);
      }),
    );
    expect(detachString('\ud800 lone surrogate \udfff')).toBe('\ud800 lone surrogate \udfff');
  });

  it('does not keep the string it was cut from alive', () => {
    // A plain slice holds its whole chunk (the failure this guards against), a detached one does not.
    expect(retainedMB((c) => c.slice(3, 43))).toBeGreaterThan(30);
    expect(retainedMB((c) => detachString(c.slice(3, 43)))).toBeLessThan(5);
  });

  it('detach copies every string inside plain objects and arrays', () => {
    const v = { a: 'short', b: ['x'.repeat(20)], c: { d: 'y'.repeat(30), n: 1, z: null } };
    expect(detach(v)).toEqual(v);
    expect(detach(v)).not.toBe(v);
  });
});

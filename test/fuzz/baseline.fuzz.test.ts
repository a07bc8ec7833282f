/**
 * The baseline loader on arbitrary JSON: it only ever throws BaselineError,
 * `__proto__` / `constructor` / `prototype` keys never reach Object.prototype,
 * and every glob it accepts matches hostile strings in bounded time.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compileBaseline } from '../../src/baseline/compile.ts';
import { BaselineError, parseBaseline, validateBaseline } from '../../src/baseline/load.ts';
import type { Baseline } from '../../src/baseline/schema.ts';
import { RULES } from '../../src/rules/index.ts';
import { budget, timeout } from './config.ts';

function onlyBaselineError(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    expect(err).toBeInstanceOf(BaselineError);
    expect((err as Error).message.length).toBeGreaterThan(0);
    return null;
  }
}

function prototypeIsClean(): void {
  expect(Object.keys(Object.prototype)).toEqual([]);
  const probe: Record<string, unknown> = {};
  for (const k of ['polluted', 'entries', 'version', 'note', 'allowed', 'x']) expect(probe[k]).toBeUndefined();
}

afterEach(prototypeIsClean);

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];
const keyArb = fc.oneof(fc.constantFrom(...FORBIDDEN, 'version', 'entries', 'match', 'name', 'path', 'note', 'dlopen', 'allowed', 'libraries', 'exceptions', 'polluted'), fc.string({ maxLength: 8 }));
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double()),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('tree'), { maxKeys: 5 }),
  ),
}));

// Near-valid baselines: the right skeleton with arbitrary pieces, so validation goes deep.
const globPart = fc.constantFrom('*', '**', '?', 'a', '/', '.', 'lib', '@(a|b)', '+(a)', '{a,b}', '[ab]', '\\*', '!(x)');
const globArb = fc.array(globPart, { minLength: 1, maxLength: 10 }).map((p) => p.join(''));
const entryArb = fc.record(
  {
    id: fc.string({ maxLength: 6 }),
    match: fc.record({ name: globArb, path: globArb }, { requiredKeys: [] }),
    dlopen: fc.record({ allowed: fc.boolean(), libraries: fc.array(globArb, { maxLength: 3 }) }, { requiredKeys: ['allowed'] }),
    dlsym: fc.record({ allowed: fc.boolean(), symbols: fc.array(globArb, { maxLength: 3 }) }, { requiredKeys: ['allowed'] }),
    jit: fc.boolean(),
    wx: fc.boolean(),
    rwx: tree,
    note: fc.string({ maxLength: 10 }),
    exceptions: fc.array(
      fc.record({ name: fc.constant('e'), fields: fc.constant(['proc.path']), comps: fc.constant(['glob']), values: fc.array(fc.tuple(globArb), { maxLength: 2 }) }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['match', 'note'] },
);
const nearArb = fc.record({ version: fc.constantFrom(1, 1, 2, '1'), entries: fc.array(entryArb, { maxLength: 4 }), os: fc.constantFrom('linux', 'darwin', 'bsd') }, { requiredKeys: ['version', 'entries'] });

/** The JSON text of `value` with a forbidden key added to one of its objects (as JSON.parse will see it: an own key). */
function injectForbidden(value: unknown, at: number, key: string): string {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const objects: object[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      objects.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(copy);
  const target = objects[at % objects.length]!;
  Object.defineProperty(target, key, { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(copy);
}

describe('baseline loader fuzzing', () => {
  it('arbitrary JSON values: validateBaseline returns a baseline or throws BaselineError', () => {
    fc.assert(
      fc.property(fc.oneof(tree, fc.jsonValue(), nearArb), (v) => {
        onlyBaselineError(() => validateBaseline(v, 'fuzz.json'));
      }),
      budget(500),
    );
  });

  it('arbitrary text: parseBaseline returns a baseline or throws BaselineError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json(), nearArb.map((b) => JSON.stringify(b))), (text) => {
        onlyBaselineError(() => parseBaseline(text, 'fuzz.json'));
      }),
      budget(500),
    );
  });

  it('__proto__, constructor and prototype keys anywhere are refused by name and pollute nothing', () => {
    fc.assert(
      fc.property(nearArb, fc.nat(), fc.constantFrom(...FORBIDDEN), (b, at, key) => {
        const text = injectForbidden(b, at, key);
        expect(text).toContain(`"${key}":{"polluted":true}`);
        let err: unknown = null;
        try {
          parseBaseline(text, 'evil.json');
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(BaselineError);
        // The injected key, or an enclosing forbidden key whose value is not looked into.
        expect((err as BaselineError).issues.some((i) => /^forbidden key '(__proto__|constructor|prototype)'$/.test(i.message))).toBe(true);
        prototypeIsClean();
      }),
      budget(300),
    );
  });

  it('deeply nested input ends in a BaselineError, not a stack overflow', () => {
    for (const depth of [1_000, 100_000]) {
      for (const text of ['['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)]) {
        expect(() => parseBaseline(text, 'deep.json')).toThrow(BaselineError);
      }
    }
  });

  it('every glob a valid baseline holds matches hostile paths, names and symbols in bounded time', () => {
    const rule = RULES.find((r) => r.name === 'atypical-loader')!;
    fc.assert(
      fc.property(nearArb, fc.constantFrom('a', 'a/', 'lib', '.', '/a'), fc.constantFrom(256, 1024, 4096), (b, unit, n) => {
        let baseline: Baseline;
        try {
          baseline = validateBaseline(b, 'fuzz.json');
        } catch {
          return;
        }
        const c = compileBaseline(baseline);
        const hostile = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
        const proc = { name: hostile.slice(0, 255), path: `/${hostile}`, pname: hostile };
        const t0 = performance.now();
        const matched = c.matchProcess(proc);
        c.verdict(matched, proc, rule, 'dlopen', { 'lib.path': `/${hostile}x` });
        c.verdict(matched, proc, rule, 'dlsym', { 'sym.name': hostile });
        expect(performance.now() - t0).toBeLessThan(250);
      }),
      budget(400),
    );
  }, timeout(60_000));
});

/**
 * A baseline file from someone else: its JSON cannot pollute prototypes,
 * nest deep enough to crash the loader, or hold globs whose matching a traced
 * program can make take seconds.
 */
import { describe, expect, it } from 'vitest';
import { compileBaseline } from '../../src/baseline/compile.ts';
import { BaselineError, loadDefaultBaseline, parseBaseline } from '../../src/baseline/load.ts';
import { globTooComplex } from '../../src/baseline/schema.ts';
import { RULES } from '../../src/rules/index.ts';

const entry = (over: Record<string, unknown>) => JSON.stringify({ version: 1, entries: [{ match: { name: 'x' }, note: 'n', ...over }] });
const rule = RULES.find((r) => r.name === 'atypical-loader')!;

function issues(text: string): string[] {
  try {
    parseBaseline(text, 'evil.json');
  } catch (err) {
    expect(err).toBeInstanceOf(BaselineError);
    return (err as BaselineError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('hostile baselines', () => {
  it('__proto__, constructor and prototype keys are refused with their path; Object.prototype stays clean', () => {
    const text = `{"version":1,"__proto__":{"polluted":true},"entries":[{"match":{"name":"x","constructor":{"prototype":{"polluted":1}}},"note":"n"}]}`;
    expect(issues(text)).toEqual(["__proto__: forbidden key '__proto__'", "entries[0].match.constructor: forbidden key 'constructor'"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('nesting 100000 deep is a BaselineError, not a stack overflow', () => {
    expect(issues('['.repeat(100_000) + ']'.repeat(100_000)).length).toBeGreaterThan(0);
    expect(issues(`{"version":1,"x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`).length).toBeGreaterThan(0);
  });

  it('globs with more than two wildcards in a segment, or three globstars, are refused wherever they appear', () => {
    expect(issues(entry({ match: { path: '/tmp/*a*a*b' } }))[0]).toMatch(/^entries\[0\]\.match\.path: glob too complex/);
    expect(issues(entry({ match: { name: '@(a|b)*@(a|b)*c' } }))[0]).toMatch(/glob too complex/);
    expect(issues(entry({ dlopen: { allowed: true, libraries: ['**/a/**/b/**/c'] } }))[0]).toMatch(/^entries\[0\]\.dlopen\.libraries\[0\]: glob too complex.*'\*\*' segments/);
    expect(issues(entry({ dlsym: { allowed: true, symbols: ['*_*_*_x'] } }))[0]).toMatch(/glob too complex/);
    const ex = { name: 'e', fields: ['lib.path'], comps: ['glob'], values: [['/x/*y*y*z']] };
    expect(issues(entry({ exceptions: [ex] }))[0]).toMatch(/^entries\[0\]\.exceptions\[0\]\.values\[0\]\[0\]: glob too complex/);
    for (const ok of ['/usr/lib/**', '**/.local/lib/python*/**', '* Helper \\((GPU|Plugin)\\)', 'lib*.so*', '\\*\\*\\*literal']) expect(globTooComplex(ok), ok).toBeNull();
  });

  it('the shipped baselines pass the complexity limit', () => {
    expect(() => loadDefaultBaseline('linux')).not.toThrow();
    expect(() => loadDefaultBaseline('darwin')).not.toThrow();
  });

  it('the most complex accepted globs match a hostile 4096-byte path, name and symbol quickly', () => {
    const b = parseBaseline(
      JSON.stringify({
        version: 1,
        entries: [
          { match: { path: '**/*a*b/**/*a*b', name: '*a*b' }, dlopen: { allowed: true, libraries: ['**/a*a*/**/x'] }, dlsym: { allowed: true, symbols: ['*a*b'] }, note: 'n' },
        ],
      }),
      'worst.json',
    );
    const c = compileBaseline(b);
    for (const unit of ['a', 'a/', '/a', 'ab']) {
      const s = unit.repeat(4096 / unit.length);
      const proc = { name: s.slice(0, 255), path: `/${s}`, pname: null };
      const t0 = performance.now();
      const m = c.matchProcess(proc);
      c.verdict(m, proc, rule, 'dlopen', { 'lib.path': `/${s}` });
      c.verdict(m, proc, rule, 'dlsym', { 'sym.name': s });
      expect(performance.now() - t0, unit).toBeLessThan(500);
    }
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../src/rules/index.ts';
import { FIXTURES, fixturePath } from '../fixtures/rules/make-fixtures.ts';
import { normalise, runFixture, runTrace, signature } from './helpers.ts';

// The fixtures are found by file name: `<rule name>.fire*.trace` must give at least one finding of that
// rule, `<rule name>.quiet*.trace` none of it, and every registered rule needs at least one of each.
// A fixture may be written by make-fixtures.ts or by hand; the test itself names no rule.
const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const FIXTURE_FILE = /^(?<rule>[a-z0-9-]+)\.(?<role>fire|quiet)(?<variant>[^.]*)\.trace$/;
const traceFiles = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.trace')).sort();
const fixtureNames = traceFiles.map((f) => f.slice(0, -'.trace'.length));

// Optional, stricter checks of some fixtures: the exact findings, including the other rules a scenario
// naturally trips, so nothing extra hides. A fixture without an entry is still held to the fire/quiet check.
const EXPECTED: Record<string, string[]> = {
  'atypical-loader.fire': ['LT-001:info', 'LT-001:medium'],
  'atypical-loader.quiet': [],
  'atypical-loader.fire-soname': ['LT-001:medium'],
  'atypical-loader.quiet-soname': [],
  'atypical-dlsym.fire': ['LT-002:high', 'LT-002:low'],
  'atypical-dlsym.quiet': [],
  'memory-image-load.fire': ['LT-003:high', 'LT-003:high', 'LT-003:high'],
  'memory-image-load.fire-magic': ['LT-003:high', 'LT-005:high', 'LT-100:critical'],
  'memory-image-load.fire-memfd': ['LT-003:high', 'LT-003:high'],
  'memory-image-load.quiet': [],
  'rwx-memory.fire': ['LT-004:high', 'LT-004:high', 'LT-004:low', 'LT-004:medium'],
  'rwx-memory.quiet': [],
  'wx-transition.fire': ['LT-004:high', 'LT-005:high', 'LT-005:high', 'LT-100:critical'],
  'wx-transition.quiet': [],
  'wx-transition.fire-mremap': ['LT-004:high', 'LT-005:high', 'LT-100:critical'],
  // One mmap is both the memfd image load and the second view: one behaviour, no LT-100.
  'double-mapping.fire': ['LT-003:high', 'LT-008:high'],
  'double-mapping.quiet': ['LT-003:high', 'LT-003:high'],
  // Each view made executable from writable is also a W->X change (LT-005): two behaviours, so LT-100.
  'double-mapping.fire-remap': ['LT-005:high', 'LT-005:high', 'LT-008:high', 'LT-008:high', 'LT-100:critical'],
  // The copy made executable is a W->X change of its own (LT-005), not an alias.
  'double-mapping.quiet-remap': ['LT-005:high'],
  'double-mapping.fire-shm': ['LT-008:high', 'LT-008:high'],
  'double-mapping.quiet-shm': [],
  // The memfd's executable view is also an image load from memory (LT-003); the two aliases are two
  // behaviours, so LT-100.
  'double-mapping.fire-dup': ['LT-003:high', 'LT-008:high', 'LT-008:high', 'LT-100:critical'],
  'double-mapping.quiet-dup': [],
  'wx-transition.fire-renamed': ['LT-005:high'],
  'wx-transition.quiet-renamed': [],
  'anon-exec.fire': ['LT-006:high', 'LT-006:medium'],
  'anon-exec.quiet': [],
  'anon-exec.fire-unknown': ['LT-006:medium'],
  'anon-exec.quiet-unknown': [],
  'writable-location-lib.fire': ['LT-007:high', 'LT-007:medium', 'LT-007:medium'],
  'writable-location-lib.quiet': [],
  'correlated-activity.fire': ['LT-005:high', 'LT-006:high', 'LT-100:critical'],
  'correlated-activity.quiet': ['LT-005:high', 'LT-006:high'],
  'correlated-activity.quiet-one-call': ['LT-003:high', 'LT-005:high'],
  'correlated-activity.fire-two-calls': ['LT-003:high', 'LT-004:high', 'LT-004:high', 'LT-100:critical'],
};

describe('rule fixtures through the real parser', () => {
  it('every fixture file is named for a registered rule, as <rule>.fire*.trace or <rule>.quiet*.trace', () => {
    const names = new Set(ALL_RULES.map((r) => r.name));
    const stray = traceFiles.filter((f) => !names.has(FIXTURE_FILE.exec(f)?.groups?.rule ?? ''));
    expect(stray).toEqual([]);
  });

  it('every generated fixture and every EXPECTED entry is a fixture file', () => {
    expect(Object.keys(FIXTURES).filter((n) => !fixtureNames.includes(n))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((n) => !fixtureNames.includes(n))).toEqual([]);
  });

  for (const rule of ALL_RULES) {
    const mine = traceFiles.map((f) => ({ file: f, m: FIXTURE_FILE.exec(f)?.groups })).filter((x) => x.m?.rule === rule.name);
    for (const role of ['fire', 'quiet'] as const) {
      it(`${rule.id} ${rule.name} has a ${role} fixture`, () => {
        expect(mine.filter((x) => x.m!.role === role).map((x) => x.file), `test/fixtures/rules/${rule.name}.${role}*.trace`).not.toEqual([]);
      });
    }
    for (const { file, m } of mine) {
      const fire = m!.role === 'fire';
      it(`${file}: ${fire ? 'fires' : 'does not fire'} ${rule.id}, no parser diagnostics`, async () => {
        const r = await runTrace(readFileSync(`${FIXTURE_DIR}${file}`, 'utf8'));
        expect(r.stats.diagnostics).toBe(0);
        // A quiet fixture whose records did not decode (a wrong nonce reads as foreign text) would pass empty.
        const byKind: Record<string, number> = r.stats.eventsByKind;
        const read = rule.kinds.length > 0 ? rule.kinds : Object.keys(byKind).filter((k) => k !== 'begin');
        expect(read.reduce((n, k) => n + (byKind[k] ?? 0), 0), `records of ${read.join(', ')} in ${file}`).toBeGreaterThan(0);
        const own = r.findings.filter((f) => f.rule === rule.id).length;
        if (fire) expect(own).toBeGreaterThan(0);
        else expect(own).toBe(0);
      });
    }
  }

  it('committed fixture files equal the generator output', () => {
    for (const [name, make] of Object.entries(FIXTURES)) expect(readFileSync(fixturePath(name), 'utf8'), name).toBe(make());
  });

  for (const [name, sig] of Object.entries(EXPECTED)) {
    it(`${name} -> ${sig.length ? sig.join(' ') : 'no findings'}`, async () => {
      const r = await runFixture(name);
      expect(signature(r)).toEqual(sig);
      expect(r.stats.diagnostics).toBe(0);
    });
  }

  it('wx-transition.quiet reports the pre-existing region as a blind spot', async () => {
    const r = await runFixture('wx-transition.quiet');
    const b = r.blindSpots.find((x) => x.kind === 'preexisting_regions');
    expect(b?.count).toBe(1);
    expect(b?.examples[0]).toContain('0x55d000000000-0x55d000001000');
  });

  it('LT-100 counts calls, not rules\' views of them', async () => {
    const r = await runFixture('correlated-activity.fire-two-calls');
    const c = r.findings.find((f) => f.rule === 'LT-100')!;
    expect(c.summary).toBe('2 distinct behaviours within 60 s: memory-image-load, rwx-memory');
    expect(c.count).toBe(2);
    expect(c.detail).toMatchObject({ behaviours: 2 });
    expect(c.related).toHaveLength(3);
  });

  it('anon-exec.fire-unknown says the origin is unknown, and the sample is not a blind spot', async () => {
    const r = await runFixture('anon-exec.fire-unknown');
    const f = r.findings[0]!;
    expect(f.summary).toBe('executing in region 0x7f4800000000-0x7f4800002000 of unknown origin, made r-x while traced');
    expect(f.region).toMatchObject({ anon: null, preexisting: true });
    expect(String(f.detail.origin)).toMatch(/^unknown: mapped before tracing began/);
    expect(r.blindSpots.find((x) => x.kind === 'unattributed_samples')).toBeUndefined();
    expect(r.blindSpots.find((x) => x.kind === 'preexisting_regions')?.count).toBe(1);
  });

  it('double-mapping.fire-remap links the source and the view of each Mach alias, with both in the evidence', async () => {
    const r = await runFixture('double-mapping.fire-remap');
    const dm = r.findings.filter((f) => f.rule === 'LT-008');
    expect(dm.map((f) => f.summary)).toEqual([
      'the same memory (aliased by mach_vm_remap) is mapped writable at 0x370000000 and executable at 0x380000000',
      'the same memory (aliased by vm_remap) is mapped writable at 0x3a0000000 and executable at 0x390000000',
    ]);
    expect(dm[0]!.detail).toMatchObject({
      writable: '0x370000000-0x370004000 rw- private mach_vm_remap',
      executable: '0x380000000-0x380004000 r-x shared mach_vm_remap',
    });
    expect(dm[0]!.region).toMatchObject({ start: '0x380000000', origin: 'vm_remap', anon: true });
    // The second alias is found when the view is made writable through the Mach trap.
    expect(dm[1]!.evidence.map((e) => e.kind)).toEqual(['vm_protect']);
    expect(dm[1]!.detail).toMatchObject({ writable: '0x3a0000000-0x3a0004000 rw- shared vm_remap', executable: '0x390000000-0x390004000 r-x private vm_remap' });
  });

  it('double-mapping.fire-shm links two opens of one name and one fd mapped twice', async () => {
    const r = await runFixture('double-mapping.fire-shm');
    expect(r.findings.map((f) => [f.summary, f.detail.writable, f.detail.executable])).toEqual([
      [
        'the same shared-memory object "/dev/shm/stage" is mapped writable at 0x7f6000000000 and executable at 0x7f6000100000',
        '0x7f6000000000-0x7f6000001000 rw- shared shm:/dev/shm/stage',
        '0x7f6000100000-0x7f6000101000 r-x shared shm:/dev/shm/stage',
      ],
      [
        'the same shared-memory object "/dev/shm/one" is mapped writable at 0x7f6000200000 and executable at 0x7f6000300000',
        '0x7f6000200000-0x7f6000201000 rw- shared shm:/dev/shm/one',
        '0x7f6000300000-0x7f6000301000 r-x shared shm:/dev/shm/one',
      ],
    ]);
  });

  it('anon-exec.quiet counts the sample it cannot judge', async () => {
    const r = await runFixture('anon-exec.quiet');
    expect(r.blindSpots.find((x) => x.kind === 'unattributed_samples')?.count).toBe(1);
  });

  it('memory-image-load.fire-magic carries the first bytes and decoded protections as evidence', async () => {
    const r = await runFixture('memory-image-load.fire-magic');
    const wx = r.findings.find((f) => f.rule === 'LT-005')!;
    expect(wx.bytes).toMatch(/^cffaedfe/);
    expect(wx.region).toMatchObject({ start: '0x300000000', end: '0x300004000', prot: 'r-x', anon: true, everWritable: true });
    expect(wx.evidence[0]!.decoded).toMatchObject({ rwx: 'r-x', prevProt: ['PROT_READ', 'PROT_WRITE'] });
    expect(wx.process).toMatchObject({ pid: 4242, name: 'calc', path: '/Applications/Calc.app/Contents/MacOS/calc', ppid: 1 });
    const magic = r.findings.find((f) => f.rule === 'LT-003')!;
    expect(magic.detail.magic).toBe('Mach-O 64-bit (MH_MAGIC_64)');
    expect(magic.baseline).toEqual({ expected: false, entry: null, reason: 'no baseline entry matches calc (/Applications/Calc.app/Contents/MacOS/calc)' });
  });

  it('anon-exec.fire merges repeated samples of one region with counts', async () => {
    const r = await runFixture('anon-exec.fire');
    const f = r.findings.find((x) => x.rule === 'LT-006' && x.severity === 'high')!;
    expect(f.count).toBe(2);
    expect(f.lastSeen).toBeGreaterThan(f.firstSeen);
    expect(f.evidence).toHaveLength(2);
    const weak = r.findings.find((x) => x.key === 'unattributed')!;
    expect(weak.ustack).toEqual(['0x7f6000000040', 'loader`main+0x52']);
    expect(String(weak.detail.note)).toMatch(/pre-existing images are not tracked/);
  });
});

/**
 * Records (with their stack lines) as units, with their timestamps. Records of one probe firing share a timestamp and
 * reach one CPU's buffer in order: they stay one unit.
 */
function units(text: string): { ts: bigint | null; text: string }[] {
  const out: { ts: bigint | null; text: string }[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    const ts = line.startsWith('LT1:') ? BigInt(line.split('\t')[2]!) : null;
    if (ts !== null && out.length > 0 && out[out.length - 1]!.ts === ts) out[out.length - 1]!.text += line;
    else if (ts !== null) out.push({ ts, text: line });
    else if (out.length > 0) out[out.length - 1]!.text += line;
    else out.push({ ts: null, text: line });
  }
  return out;
}

/** Shuffle records inside 400 ms buckets (well inside the parser's 1 s reorder window), as CPUs interleave. */
function interleave(text: string, seed: number): string {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const us = units(text);
  const head = us.shift()!; // begin is printed first, from the BEGIN probe
  const groups: (typeof us)[] = [];
  let key: bigint | null = null;
  for (const u of us) {
    const k = u.ts === null ? null : u.ts / 400_000_000n;
    if (groups.length === 0 || k !== key) groups.push([]);
    groups[groups.length - 1]!.push(u);
    key = k;
  }
  for (const g of groups) {
    for (let i = g.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [g[i], g[j]] = [g[j]!, g[i]!];
    }
  }
  return head.text + groups.flat().map((u) => u.text).join('');
}

describe('findings do not depend on CPU interleaving within the reorder window', () => {
  const demo = readFileSync(new URL('../fixtures/demo/demo.trace', import.meta.url), 'utf8');
  const traces: [string, string][] = [...fixtureNames.map((n) => [n, readFileSync(fixturePath(n), 'utf8')] as [string, string]), ['demo', demo]];
  for (const [name, text] of traces) {
    it(name, async () => {
      const base = await runTrace(text);
      for (const seed of [1, 2, 3, 4, 5]) {
        const shuffled = interleave(text, seed);
        if (name === 'demo' && seed === 1) expect(shuffled).not.toBe(text);
        const r = await runTrace(shuffled);
        expect(normalise(r.findings)).toEqual(normalise(base.findings));
      }
    });
  }
});

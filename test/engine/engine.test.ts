import { describe, expect, it } from 'vitest';
import type { Baseline } from '../../src/baseline/schema.ts';
import { createEngine, platformBlindSpots, runEngine, type Finding } from '../../src/engine/index.ts';
import type { Diagnostic } from '../../src/protocol/diagnostics.ts';
import { ev, signature } from '../rules/helpers.ts';

const EMPTY: Baseline = { version: 1, entries: [] };
const diag = (family: Diagnostic['family'], text: string, data: Diagnostic['data'] = {}): Diagnostic => ({
  type: 'diagnostic',
  family,
  severity: 'warning',
  line: 1,
  lines: 1,
  text,
  data,
});

describe('engine', () => {
  it("says when a script's end-of-run counters never arrived", () => {
    const begin = ev('begin', { tool: 'an0840', os: 'linux', backend: 'bpftrace' }, 0);
    const cut = runEngine([begin, ev('dlsym', { symbol: 'mmap' }, 1)], [], { baseline: EMPTY, os: 'linux' });
    expect(cut.blindSpots.map((b) => b.kind)).toContain('missing_trailer');
    const whole = runEngine(
      [begin, ev('dlsym', { symbol: 'mmap' }, 1), ev('trailer', { counter: 'mmap_filtered', value: 0 }, 2)],
      [],
      { baseline: EMPTY, os: 'linux' },
    );
    expect(whole.blindSpots.map((b) => b.kind)).not.toContain('missing_trailer');
  });

  it("says when only some of a script's end-of-run counters arrived", () => {
    const begin = ev('begin', { tool: 'an0840', os: 'linux', backend: 'bpftrace' }, 0);
    const t = (counter: string, value: number, at: number) => ev('trailer', { counter, value }, at);
    const kinds = (events: ReturnType<typeof ev>[]) => runEngine(events, [], { baseline: EMPTY, os: 'linux' }).blindSpots.map((b) => b.kind);
    // All announced counters arrived.
    expect(kinds([begin, t('mmap_filtered', 3, 1), t('regions_tracked', 2, 2), t('trailers', 2, 3)])).not.toContain('partial_trailer');
    // One of the two announced is missing.
    const one = runEngine([begin, t('mmap_filtered', 3, 1), t('trailers', 2, 3)], [], { baseline: EMPTY, os: 'linux' });
    const spot = one.blindSpots.find((b) => b.kind === 'partial_trailer');
    expect(spot).toMatchObject({ count: 1 });
    expect(spot!.detail).toMatch(/print 2 end-of-run counters and 1 arrived/);
    expect(one.stats.trailers).toEqual({ mmap_filtered: 3 });
    // Two scripts, one of whose count never arrived.
    expect(kinds([begin, begin, t('mmap_filtered', 3, 1), t('trailers', 1, 2)])).toContain('partial_trailer');
    // Scripts from before the count existed are not judged.
    expect(kinds([begin, t('mmap_filtered', 3, 1)])).not.toContain('partial_trailer');
    // Nothing at all is the other blind spot.
    expect(kinds([begin])).toEqual(expect.arrayContaining(['missing_trailer']));
    expect(kinds([begin])).not.toContain('partial_trailer');
  });

  it('calls onFinding once per new finding, and keeps counting repeats', () => {
    const seen: Finding[] = [];
    const e = createEngine({ baseline: EMPTY, os: 'darwin', onFinding: (f) => seen.push(f) });
    e.event(ev('dlsym', { symbol: 'mmap' }, 0));
    e.event(ev('dlsym', { symbol: 'mmap' }, 10));
    e.event(ev('dlsym', { symbol: 'mmap' }, 20));
    const r = e.finish();
    expect(seen).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ count: 3, firstSeen: 1_767_225_600_000, lastSeen: 1_767_225_600_020 });
    expect(r.findings[0]!.evidence).toHaveLength(3);
  });

  it('a pid reused after exit is a different process', () => {
    const r = runEngine(
      [ev('dlsym', { symbol: 'mmap' }, 0), ev('exit', { status: 0 }, 1), ev('dlsym', { symbol: 'mmap', comm: 'other' }, 2)],
      [],
      { baseline: EMPTY, os: 'darwin' },
    );
    expect(r.findings).toHaveLength(2);
    expect(r.findings[0]!.process.key).not.toBe(r.findings[1]!.process.key);
    expect(r.findings.map((f) => f.process.name)).toEqual(['proc', 'other']);
  });

  it('fork copies regions to the child; exec clears them', () => {
    const mk = (withExec: boolean) =>
      runEngine(
        [
          ev('mmap', { len: '0x1000', prot: 5, ret: '0x7f0000000000' }, 0),
          ev('fork', { child: 200 }, 1),
          ...(withExec ? [ev('exec', { pid: 200, tid: 200, ppid: 100, path: '/bin/child' }, 2)] : []),
          ev('sample', { pid: 200, tid: 200, ppid: 100, pc: '0x7f0000000010' }, 3),
        ],
        [],
        { baseline: EMPTY, os: 'linux' },
      );
    const forked = mk(false);
    expect(signature(forked)).toEqual(['LT-006:high']);
    expect(forked.findings[0]!.process).toMatchObject({ pid: 200, ppid: 100, name: 'proc' });
    const execd = mk(true);
    expect(signature(execd)).toEqual([]);
    expect(execd.stats.unattributedSamples).toBe(1);
  });

  it('on Linux a thread name does not rename the process; on macOS execname does', () => {
    const baseline: Baseline = { version: 1, entries: [{ match: { name: 'node' }, note: 'n', dlsym: { allowed: true } }] };
    const linux = runEngine([ev('dlsym', { comm: 'node', symbol: 'mmap' }), ev('dlsym', { comm: 'worker', tid: 101, symbol: 'mmap' })], [], { baseline, os: 'linux' });
    expect(linux.findings).toHaveLength(0);
    const darwin = runEngine([ev('dlsym', { comm: 'proc', symbol: 'mmap' }), ev('dlsym', { comm: 'node', tid: 101, symbol: 'mprotect' })], [], { baseline, os: 'darwin' });
    // The verdict cache follows the rename: the second call is judged against the node entry.
    expect(signature(darwin)).toEqual(['LT-002:high']);
  });

  it('keeps at most maxFindings and reports the rest as a limit', () => {
    const r = runEngine(
      [ev('dlsym', { symbol: 'a' }), ev('dlsym', { symbol: 'b' }), ev('dlsym', { symbol: 'c' })],
      [],
      { baseline: EMPTY, os: 'darwin', limits: { maxFindings: 1, maxEvidence: 1 } },
    );
    expect(r.findings).toHaveLength(1);
    expect(r.stats.findingsDropped).toBe(2);
    expect(r.blindSpots.find((b) => b.kind === 'limits')?.detail).toContain('2 new findings not kept');
  });

  it('evicting live processes is a limit blind spot', () => {
    const events = [1, 2, 3].map((pid) => ev('dlsym', { pid, tid: pid, symbol: 'x' }, pid));
    const r = runEngine(events, [], { baseline: EMPTY, os: 'darwin', limits: { maxProcesses: 2 } });
    expect(r.blindSpots.find((b) => b.kind === 'limits')?.detail).toContain('1 live processes forgotten');
  });

  it('turns diagnostics and extras into blind spots, and always lists the platform', () => {
    const r = runEngine(
      [ev('dlopen', { path: '/usr/lib/x.so' }, 5), ev('dlopen', { path: '/usr/lib/y.so' }, 1)],
      [
        diag('drops', 'dtrace: 10 drops on CPU 1', { count: 10, dropKind: 'principal', cpu: 1 }),
        diag('drops', 'dtrace: 5 dynamic variable drops', { count: 5, dropKind: 'dynvar' }),
        diag('probe_error', 'dtrace: error on enabled probe ID 2 …', {}),
        diag('grab_failed', 'dtrace: failed to grab pid 77: Operation not permitted', { pid: 77 }),
        diag('sip_notice', 'dtrace: system integrity protection is on, some features will not be available'),
        diag('parse_error', 'LT1:…', { reason: 'bad field' }),
      ],
      { baseline: EMPTY, os: 'darwin' },
      { notAttached: [{ pid: 88, name: 'Safari', reason: 'restricted entitlements' }], parse: { late: 0 } },
    );
    const kinds = r.blindSpots.map((b) => b.kind);
    expect(kinds).toEqual(expect.arrayContaining(['drops', 'probe_errors', 'not_attached', 'sip', 'malformed_records', 'late_events', 'platform']));
    expect(r.blindSpots.find((b) => b.kind === 'drops')).toMatchObject({ count: 15 });
    expect(r.blindSpots.find((b) => b.kind === 'not_attached')!.examples).toEqual([
      'dtrace: failed to grab pid 77: Operation not permitted',
      'pid 88 Safari: restricted entitlements',
    ]);
    expect(r.blindSpots.find((b) => b.kind === 'late_events')?.count).toBe(1);
    const platform = r.blindSpots.filter((b) => b.kind === 'platform').map((b) => b.title);
    expect(platform).toEqual(platformBlindSpots('darwin').map((p) => p.title));
    expect(platform.join(' ')).toContain('JIT write-protect');
  });

  it('a clean Linux run still lists what Linux cannot show', () => {
    const r = runEngine([], [], { baseline: EMPTY, os: 'linux' });
    expect(r.findings).toEqual([]);
    expect(r.blindSpots.map((b) => b.kind)).toEqual(platformBlindSpots('linux').map(() => 'platform'));
    expect(r.blindSpots.map((b) => b.title).join(' ')).toContain('no Mach VM traps');
  });

  it("Linux blind spots speak of Linux, and of the backend the begin record names", () => {
    const samples = [ev('exec', { pid: 200, tid: 200, ppid: 1, path: '/bin/x' }, 1), ev('sample', { pid: 200, tid: 200, ppid: 1, pc: '0x7f0000000010' }, 2)];
    const text = (backend: 'dtrace' | 'bpftrace') => {
      const r = runEngine([ev('begin', { tool: 'an0840', os: 'linux', backend }, 0), ...samples], [], { baseline: EMPTY });
      expect(r.blindSpots.some((b) => b.kind === 'unattributed_samples')).toBe(true);
      return r.blindSpots.map((b) => `${b.title}: ${b.detail}`).join('\n');
    };
    const bt = text('bpftrace');
    const d = text('dtrace');
    for (const t of [bt, d]) {
      expect(t).not.toMatch(/dyld|shared cache|Mach-O/);
      expect(t).toContain('ld.so');
    }
    expect(bt).toContain('The uprobes attach to the system libc');
    expect(d).not.toContain('uprobe');
    expect(d).toContain('pid provider');
    const mac = runEngine([ev('begin', { tool: 'an0840', os: 'darwin', backend: 'dtrace' }, 0), ...samples], [], { baseline: EMPTY });
    expect(mac.blindSpots.find((b) => b.kind === 'unattributed_samples')!.detail).toContain('dyld shared cache');
  });

  it('takes the OS from the begin record when none is given', () => {
    const r = runEngine([ev('begin', { tool: 'an0840', os: 'linux', backend: 'bpftrace' })], [], { baseline: EMPTY });
    expect(r.stats.os).toBe('linux');
  });

  it('correlates distinct rules within the window only', () => {
    const within = runEngine(
      [ev('dlsym', { symbol: 'mprotect' }, 0), ev('dlopen', { path: '/tmp/x.so' }, 30_000)],
      [],
      { baseline: EMPTY, os: 'darwin' },
    );
    const c = within.findings.find((f) => f.rule === 'LT-100')!;
    expect(c.severity).toBe('critical');
    expect(c.related).toHaveLength(2);
    expect(c.summary).toBe('2 distinct behaviours within 60 s: atypical-dlsym, writable-location-lib');
    const apart = runEngine(
      [ev('dlsym', { symbol: 'mprotect' }, 0), ev('dlopen', { path: '/opt/x.so' }, 61_000)],
      [],
      { baseline: EMPTY, os: 'darwin', windowMs: 60_000 },
    );
    expect(apart.findings.some((f) => f.rule === 'LT-100')).toBe(false);
    const info = runEngine([ev('dlopen', { path: null }, 0), ev('dlsym', { symbol: 'x' }, 1)], [], { baseline: EMPTY, os: 'darwin' });
    expect(info.findings.some((f) => f.rule === 'LT-100')).toBe(false);
  });

  it('rounds lengths to pages and ignores addresses beyond 2^53', () => {
    const r = runEngine(
      [
        ev('mmap', { len: '0x10', prot: 5, ret: '0x7f0000000000' }, 0),
        ev('sample', { pc: '0x7f0000000ff0' }, 1),
        ev('mmap', { len: '0x1000', prot: 7, ret: '0xffffffffffff0000' }, 2),
      ],
      [],
      { baseline: EMPTY, os: 'linux' },
    );
    expect(signature(r)).toEqual(['LT-004:high', 'LT-006:high', 'LT-100:critical']);
    expect(r.findings.find((f) => f.rule === 'LT-006')!.region).toMatchObject({ start: '0x7f0000000000', end: '0x7f0000001000', size: 4096 });
    expect(r.stats.invalidAddresses).toBe(1);
  });
});

describe('correlation options', () => {
  // LT-100's tuning text sends library users to these two options of createEngine and createPipeline.
  it('windowMs and limits.correlationMinRules reach the engine through createPipeline', async () => {
    const { readFileSync } = await import('node:fs');
    const { Readable } = await import('node:stream');
    const { replayStreams } = await import('../../src/pipeline/index.ts');
    const { FIXTURE_BASELINE } = await import('../rules/helpers.ts');
    const text = readFileSync(new URL('../fixtures/rules/correlated-activity.fire.trace', import.meta.url));
    const rules = async (o: { windowMs?: number; minRules?: number }) => {
      const r = await replayStreams(
        { stdout: Readable.from([text]) },
        { nonce: null, baseline: FIXTURE_BASELINE, ...(o.windowMs !== undefined ? { windowMs: o.windowMs } : {}), ...(o.minRules !== undefined ? { limits: { correlationMinRules: o.minRules } } : {}) },
      );
      return r.report.findings.map((f) => f.rule);
    };
    expect(await rules({})).toContain('LT-100');
    expect(await rules({ minRules: 3 })).not.toContain('LT-100');
    expect(await rules({ windowMs: 0 })).not.toContain('LT-100');
  });
});

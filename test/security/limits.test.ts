/**
 * Bounded resources: a hostile program (or a hostile capture) can create
 * millions of processes, regions, paths, symbols and tracer messages. Every
 * structure that grows with them has a limit, a defined behaviour when it is
 * reached, and a blind spot that says so (docs/security.md, "Exhausting memory").
 * Events are built directly, not parsed, so millions of them take seconds.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_BASELINE } from '../../src/baseline/schema.ts';
import { limitsFromFlags, type LimitFlags } from '../../src/cli/limits.ts';
import { createEngine, type Report } from '../../src/engine/index.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { ParserCore, ReorderWindow, type ParseItem } from '../../src/parse/index.ts';
import { createPipeline } from '../../src/pipeline/index.ts';
import type { Diagnostic } from '../../src/protocol/diagnostics.ts';
import { ProcessTable } from '../../src/state/process-table.ts';
import { cli, ev, liveHeapMB, mmapEv, NONCE, SCALE } from './helpers.ts';

const limitsSpot = (r: Report) => r.blindSpots.find((b) => b.kind === 'limits');

describe('engine state stays within its limits', () => {
  it('a million distinct pids: the table keeps maxProcesses, evictions are counted and reported', () => {
    const n = 1_000_000 * SCALE;
    const before = liveHeapMB();
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux', limits: { maxProcesses: 1000 } });
    for (let i = 0; i < n; i++) engine.event(ev('dlclose', 10 + i, i, { handle: '0x1', ret: 0 }));
    const grown = liveHeapMB() - before;
    const r = engine.finish();
    expect(grown).toBeLessThan(40);
    expect(r.stats.processesEvicted).toBe(n - 1000);
    const spot = limitsSpot(r);
    expect(spot?.detail).toContain(`${n - 1000} live processes forgotten (maxProcesses 1000)`);
    expect(spot?.count).toBeGreaterThanOrEqual(n - 1000);
  });

  it('the process table never holds more than its limit, whatever mix of forks, execs and exits', () => {
    const table = new ProcessTable({ maxProcesses: 500, maxRegionsPerProcess: 10 });
    for (let i = 0; i < 200_000; i++) {
      const p = table.ensure(100 + (i % 3000), 1, 0, 'p', i, String(i));
      if (i % 3 === 0) table.fork(p, 100_000 + i, i, String(i));
      else if (i % 3 === 1) table.exec(p, '/bin/x', 'x', i, String(i));
      else table.exit(p, 0, i);
      if (i % 997 === 0) expect(table.size).toBeLessThanOrEqual(500);
    }
    expect(table.size).toBeLessThanOrEqual(500);
    expect(table.evictedLive + table.evictedExited).toBeGreaterThan(0);
  });

  it('pids reused after their exit do not pile up: a million exec/exit cycles over 500 pids stay small', () => {
    const n = 1_000_000 * SCALE;
    const before = liveHeapMB();
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux', limits: { maxProcesses: 1000 } });
    for (let i = 0; i < n; i++) {
      const pid = 100 + (i % 500);
      engine.event(ev('exec', pid, 2 * i, { path: '/usr/bin/true', pathTrunc: false }));
      engine.event(ev('exit', pid, 2 * i + 1, { status: 0 }));
    }
    const grown = liveHeapMB() - before;
    const r = engine.finish();
    expect(r.stats.processes).toBeGreaterThanOrEqual(n);
    expect(grown).toBeLessThan(40);
  });

  it('regions: a flood of distinct mappings in one process keeps maxRegionsPerProcess', () => {
    const n = 40_000 * SCALE;
    const before = liveHeapMB();
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux', limits: { maxRegionsPerProcess: 1000 } });
    for (let i = 0; i < n; i++) engine.event(mmapEv(42, i, 0x10000000 + i * 0x2000));
    const grown = liveHeapMB() - before;
    const r = engine.finish();
    // Full maps shed 10% at a time, so at most 1000 are kept.
    expect(r.stats.regionsEvicted).toBeGreaterThanOrEqual(n - 1000);
    expect(limitsSpot(r)?.detail).toMatch(/regions forgotten \(maxRegionsPerProcess 1000\)/);
    expect(grown).toBeLessThan(20);
  });

  it('distinct paths and symbols: findings stop at maxFindings, the rest are counted', () => {
    const n = 300_000 * SCALE;
    const before = liveHeapMB();
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux', limits: { maxFindings: 1000 } });
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) engine.event(ev('dlopen', 42, i, { path: `/tmp/x/lib${i}.so`, pathTrunc: false, mode: 2, handle: '0x5500' }));
      else engine.event(ev('dlsym', 42, i, { handle: '0x5500', symbol: `sym_${i}_${'s'.repeat(50)}`, symbolTrunc: false, ret: '0x7f00' }));
    }
    const grown = liveHeapMB() - before;
    const r = engine.finish();
    expect(r.findings.length).toBe(1000);
    expect(r.stats.findingsDropped).toBeGreaterThan(n - 1000);
    expect(limitsSpot(r)?.detail).toContain('new findings not kept (maxFindings 1000)');
    expect(grown).toBeLessThan(40);
  });

  it('one behaviour repeated: one finding whose count goes on while its evidence stops at maxEvidence', () => {
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux' });
    for (let i = 0; i < 100_000; i++) engine.event(ev('dlopen', 42, i, { path: '/opt/x/same.so', pathTrunc: false, mode: 2, handle: '0x5500' }));
    const r = engine.finish();
    const f = r.findings.find((x) => x.rule === 'LT-001')!;
    expect(f.count).toBe(100_000);
    expect(f.evidence.length).toBe(5);
  });

  it('memfd names per process stop at maxRegionsPerProcess and the rest are reported', () => {
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux', limits: { maxRegionsPerProcess: 100 } });
    for (let i = 0; i < 50_000; i++) engine.event(ev('memfd', 42, i, { name: `m${i}`, nameTrunc: false, fd: 3 + i }));
    const r = engine.finish();
    expect(limitsSpot(r)?.detail).toContain('49900 memfd names not kept');
  });

  it('trailer counters with hostile names neither touch Object.prototype nor grow without bound', () => {
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'linux' });
    let i = 0;
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'lost_events']) {
      engine.event(ev('trailer', 1, i++, { counter: name, value: 7 }));
      engine.event(ev('trailer', 1, i++, { counter: name, value: 1 }));
    }
    for (let k = 0; k < 100_000; k++) engine.event(ev('trailer', 1, i++, { counter: `c${k}`, value: 1 }));
    const r = engine.finish();
    const t = r.stats.trailers;
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(Object.getOwnPropertyDescriptor(t, name)?.value).toBe(8);
    }
    expect(({} as Record<string, unknown>).lost_events).toBeUndefined();
    expect(typeof Object.prototype.toString).toBe('function');
    expect(Object.keys(t).length).toBeLessThanOrEqual(256);
    expect(limitsSpot(r)?.detail).toMatch(/trailer records beyond 256 distinct counter names ignored/);
    expect(r.blindSpots.find((b) => b.kind === 'script_counters')?.detail).toContain('lost_events=8');
  });

  it('a million tracer messages of a family are counted; only examples are kept', () => {
    const n = 300_000 * SCALE;
    const d = (family: Diagnostic['family'], i: number): Diagnostic => ({
      type: 'diagnostic',
      family,
      severity: 'warning',
      line: i,
      lines: 1,
      text: `dtrace: failed to grab pid ${i}: ${'x'.repeat(200)}`,
      data: {},
    });
    const before = liveHeapMB();
    const engine = createEngine({ baseline: EMPTY_BASELINE, os: 'darwin' });
    for (let i = 0; i < n; i++) {
      engine.diagnostic(d('grab_failed', i));
      engine.diagnostic(d('sip_notice', i));
      engine.diagnostic(d('tracer_error', i));
      engine.diagnostic(d('parse_error', i));
    }
    const grown = liveHeapMB() - before;
    const r = engine.finish({ notAttached: [{ pid: 1, reason: 'follow mode: exited before attach' }] });
    expect(grown).toBeLessThan(20);
    for (const kind of ['sip', 'tracer_errors', 'malformed_records'] as const) {
      const b = r.blindSpots.find((x) => x.kind === kind)!;
      expect(b.count).toBe(n);
      expect(b.examples.length).toBeLessThanOrEqual(10);
    }
    const na = r.blindSpots.find((x) => x.kind === 'not_attached')!;
    expect(na.count).toBe(n + 1);
    expect(na.examples.length).toBeLessThanOrEqual(10);
  });
});

describe('parser and reorder window bounds', () => {
  function core(maxLineLength?: number) {
    const items: ParseItem[] = [];
    const c = new ParserCore({ nonce: NONCE, maxLineLength }, (i) => items.push(i));
    return { c, items };
  }
  const record = (kind: 'exit', pid: number) =>
    formatRecord(NONCE, kind, { ts: '1750000000000000000', pid, ppid: 1, tid: pid, uid: 0, comm: 'p', status: 0 });

  it('a line beyond maxLineLength is a parse_error, never held whole; the next record still parses', () => {
    const { c, items } = core(1024 * 1024);
    const chunk = 'A'.repeat(64 * 1024);
    const before = liveHeapMB();
    let peak = 0;
    // 128 MiB without a newline: held whole it would cost at least 128 MB.
    for (let k = 0; k < 2048; k++) {
      c.write(chunk);
      if (k % 256 === 255) peak = Math.max(peak, process.memoryUsage().heapUsed / 1e6 - before);
    }
    c.write(`\n${record('exit', 9)}`);
    c.finish();
    expect(peak).toBeLessThan(64);
    const s = c.result();
    expect(s.parseErrors).toBe(1);
    expect(s.records).toBe(1);
    const d = items.find((i) => i.type === 'diagnostic') as Diagnostic;
    expect(d.data.reason).toBe('line too long');
    expect(d.text.length).toBeLessThanOrEqual(200);
    const a = s.accounting;
    expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
    expect(a.lines).toBe(2);
  });

  it('a long line that arrives whole is a parse_error too, with only its head kept', () => {
    const { c, items } = core(1000);
    c.write(`${'W'.repeat(5000)}\n${record('exit', 9)}`);
    c.finish();
    expect(c.result().parseErrors).toBe(1);
    expect(c.result().records).toBe(1);
    const d = items.find((i) => i.type === 'diagnostic') as Diagnostic;
    expect(d.data.reason).toBe('line too long');
    expect(d.text.length).toBeLessThanOrEqual(200);
  });

  it('indented lines after a record attach at most 1024 stack frames; the rest are foreign', () => {
    const { c, items } = core();
    c.write(record('exit', 9) + '        frame`x+0x1\n'.repeat(100_000));
    c.finish();
    const rec = items.find((i) => i.type === 'record')!;
    expect(rec.type === 'record' && rec.event.ustack?.length).toBe(1024);
    const s = c.result();
    expect(s.foreign).toBe(100_000 - 1024);
    expect(s.accounting.record + s.accounting.foreign).toBe(s.lines);
  });

  it('a multi-line probe specifier block holds no more than maxLineLength characters', () => {
    const { c, items } = core(10_000);
    c.write('dtrace: invalid probe specifier BEGIN\n' + `${'y'.repeat(9000)}\n`.repeat(500));
    c.finish();
    for (const i of items) if (i.type === 'diagnostic') expect(i.text.length).toBeLessThanOrEqual(20_000);
    const s = c.result();
    expect(s.accounting.diagnostic + s.accounting.foreign + s.accounting.blank).toBe(s.lines);
  });

  it('the reorder window never holds more than maxEvents; what it had to release early is counted late', () => {
    const win = new ReorderWindow({ windowMs: 1e12, maxEvents: 1000 });
    const out: unknown[] = [];
    for (let i = 0; i < 300_000; i++) {
      // Timestamps that go backwards by a step every 1500 events: beyond the window's reach.
      win.push(ev('exit', 1, i - (i % 1500) * 2, { status: 0 }), (x) => out.push(x));
      if (i % 4999 === 0) expect(win.size).toBeLessThanOrEqual(1000);
    }
    expect(win.size).toBeLessThanOrEqual(1000);
    win.flush((x) => out.push(x));
    expect(out.length).toBe(300_000);
    expect(win.late).toBeGreaterThan(0);
  });

  it('through the pipeline, events released early by a full window become a late_events blind spot', async () => {
    const p = createPipeline({ nonce: NONCE, os: 'linux', backend: 'dtrace', baseline: EMPTY_BASELINE, reorderMaxEvents: 10 });
    let text = '';
    for (let i = 0; i < 100; i++) {
      const ts = String(1_750_000_000_000_000_000n + BigInt((100 - i) * 1000));
      text += formatRecord(NONCE, 'exit', { ts, pid: 10 + i, ppid: 1, tid: 10 + i, uid: 0, comm: 'p', status: 0 });
    }
    p.stdout.end(text);
    p.stderr.end();
    const { report, parse } = await p.finish();
    // Times only go back: the 11th event overflows the window, releasing the oldest; all 89 after it are older.
    expect(parse.late).toBe(89);
    expect(report.blindSpots.find((b) => b.kind === 'late_events')?.count).toBe(89);
  });
});

describe('the limits are options of replay', () => {
  it('--max-processes, --max-findings, --max-line-length and --reorder-max-events reach the pipeline', () => {
    let text = formatRecord(NONCE, 'begin', { ts: '1750000000000000000', pid: 1, ppid: 0, tid: 1, uid: 0, comm: 'bpftrace', tool: 'an0840', os: 'linux', backend: 'dtrace' });
    for (let i = 0; i < 50; i++) {
      const ts = String(1_750_000_000_000_000_000n + BigInt(((i * 7) % 50) * 1_000_000));
      text += formatRecord(NONCE, 'dlopen', { ts, pid: 100 + i, ppid: 1, tid: 100 + i, uid: 501, comm: 'victim', path: `/tmp/p${i}.so`, mode: 2, handle: '0x5500' });
    }
    text += `${'z'.repeat(300)}\n`;
    const r = cli(
      ['replay', '-', '--nonce', NONCE, '--format', 'json', '--max-processes', '10', '--max-findings', '5', '--max-line-length', '200', '--reorder-max-events', '1', '--max-regions', '7'],
      { input: text },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stats.limits).toMatchObject({ maxProcesses: 10, maxFindings: 5, maxRegionsPerProcess: 7 });
    const spot = out.blindSpots.find((b: { kind: string }) => b.kind === 'limits');
    expect(spot.detail).toContain('live processes forgotten (maxProcesses 10)');
    expect(spot.detail).toContain('new findings not kept (maxFindings 5)');
    expect(out.parseErrors).toBe(1);
    expect(out.late).toBeGreaterThan(0);
  });

  it('a bad limit is a usage error naming the option', () => {
    const bad: [keyof LimitFlags, string, string][] = [
      ['maxProcesses', '--max-processes', '0'],
      ['maxRegions', '--max-regions', '-1'],
      ['maxFindings', '--max-findings', 'many'],
      ['maxLineLength', '--max-line-length', '1e3'],
      ['reorderMaxEvents', '--reorder-max-events', '99999999999'],
    ];
    for (const [key, flag, value] of bad) {
      expect(() => limitsFromFlags({ [key]: value }), `${flag} ${value}`).toThrow(flag);
    }
    const r = cli(['replay', '-', '--max-regions', '0'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-regions: expected a whole number');
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { compareEvents, createReorder, ReorderWindow } from '../../src/parse/reorder.ts';
import { createParser } from '../../src/parse/index.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { NONCE } from './helpers/trace.ts';

let seq = 0;
function ev(tMs: number, extraNs = 0): TraceEvent {
  const ts = String(Math.round(tMs * 1e6) + extraNs);
  return { kind: 'exit', ts, pid: 1, ppid: 0, tid: 1, uid: 0, comm: 'x', status: 0, line: seq + 1, seq: seq++, t: tMs + extraNs / 1e6 } as TraceEvent;
}

function run(win: ReorderWindow, evs: TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const e of evs) win.push(e, (x) => out.push(x));
  win.flush((x) => out.push(x));
  return out;
}

describe('ReorderWindow', () => {
  it('releases in time order within the window', () => {
    const evs = [ev(5), ev(1), ev(3), ev(2), ev(4)];
    const out = run(new ReorderWindow({ windowMs: 1000 }), evs);
    expect(out.map((e) => e.t)).toEqual([1, 2, 3, 4, 5]);
  });

  it('holds an event until one more than the window newer arrives', () => {
    const win = new ReorderWindow({ windowMs: 100 });
    const out: number[] = [];
    win.push(ev(0), (e) => out.push(e.t));
    win.push(ev(100), (e) => out.push(e.t));
    expect(out).toEqual([]);
    win.push(ev(101), (e) => out.push(e.t));
    expect(out).toEqual([0]);
    expect(win.size).toBe(2);
  });

  it('bounds the number of events held', () => {
    const win = new ReorderWindow({ windowMs: 1e12, maxEvents: 3 });
    const out: number[] = [];
    for (const t of [9, 8, 7, 6, 5]) win.push(ev(t), (e) => out.push(e.t));
    expect(win.size).toBe(3);
    expect(out).toEqual([6, 5]);
    // 5 was released after 6 had been: late, delivered anyway
    expect(win.late).toBe(1);
  });

  it('delivers late events at once and counts them', () => {
    const win = new ReorderWindow({ windowMs: 10 });
    const out = run(win, [ev(0), ev(50), ev(100), ev(20), ev(120)]);
    expect(out.map((e) => e.t)).toEqual([0, 50, 20, 100, 120]);
    expect(win.late).toBe(1);
  });

  it('breaks ties on the exact ns timestamp, then on arrival', () => {
    const a = ev(7, 900_001);
    const b = ev(7, 900_000);
    // same ms double is possible for different ns; force it
    (b as { t: number }).t = a.t;
    const c = ev(7, 900_001);
    expect(compareEvents(b, a)).toBeLessThan(0);
    expect(compareEvents(a, c)).toBeLessThan(0);
    const out = run(new ReorderWindow(), [c, a, b]);
    expect(out).toEqual([b, a, c].sort(compareEvents));
    expect(out[0]).toBe(b);
  });

  it('handles 300k events in n log n time', () => {
    const win = new ReorderWindow({ windowMs: 50 });
    const evs: TraceEvent[] = [];
    for (let i = 0; i < 300_000; i++) evs.push(ev(i / 1000 + ((i * 7919) % 13) * 0.5));
    let n = 0;
    let last = -Infinity;
    let sorted = true;
    const t0 = performance.now();
    for (const e of evs)
      win.push(e, (x) => {
        n++;
        if (x.t < last) sorted = false;
        last = x.t;
      });
    win.flush(() => n++);
    const ms = performance.now() - t0;
    expect(n).toBe(300_000);
    expect(sorted).toBe(true);
    expect(win.late).toBe(0);
    // generous bound: a regression to O(n) per event would take minutes
    expect(ms).toBeLessThan(20_000);
  });
});

describe('createReorder stream', () => {
  it('orders records from the parser stream and passes other items through', async () => {
    const rec = (ms: number) =>
      formatRecord(NONCE, 'exit', { ts: (1_732_700_000_000n * 1_000_000n + BigInt(ms) * 1_000_000n).toString(), pid: 1, ppid: 0, tid: 1, uid: 0, comm: 'x', status: ms });
    const text = rec(30) + rec(10) + 'dtrace: 3 drops on CPU 1\n' + rec(20);
    const out: unknown[] = [];
    const r = createReorder({ windowMs: 1000 });
    await new Promise<void>((resolve, reject) => {
      Readable.from([Buffer.from(text)]).pipe(createParser({ nonce: NONCE })).pipe(r).on('data', (x) => out.push(x)).on('end', resolve).on('error', reject);
    });
    const kinds = out.map((x) => ((x as { type: string }).type === 'record' ? (x as { event: { status: number } }).event.status : (x as { type: string }).type));
    expect(kinds).toEqual(['diagnostic', 10, 20, 30]);
    expect(r.late()).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { ProcessTable } from '../../src/state/process-table.ts';

const limits = { maxProcesses: 4, maxRegionsPerProcess: 100 };
const anon = { prot: 7, origin: 'mmap' as const, anon: true, memfd: false, jit: false, shared: false, fd: -1, preexisting: false, bytes: null, since: 0 };

describe('ProcessTable', () => {
  it('a pid seen again after exit is a new process', () => {
    const t = new ProcessTable(limits);
    const a = t.ensure(10, 1, 0, 'a', 1, '1');
    expect(t.ensure(10, 1, 0, 'a', 2, '2')).toBe(a);
    t.exit(a, 0, 3);
    const b = t.ensure(10, 1, 0, 'b', 4, '4');
    expect(b).not.toBe(a);
    expect(b.key).toBeGreaterThan(a.key);
    expect(b.name).toBe('b');
  });

  it('fork copies regions and memfds; exec clears regions and gives a new key', () => {
    const t = new ProcessTable(limits);
    const p = t.ensure(10, 1, 0, 'p', 1, '1');
    p.regions.map(0x1000, 0x2000, anon);
    p.memfds = new Map([[3, 'x']]);
    const c = t.fork(p, 11, 2, '2');
    expect(c).toMatchObject({ pid: 11, ppid: 10, name: 'p', seenStart: true });
    expect(c.regions.find(0x1000)?.prot).toBe(7);
    c.regions.unmap(0x1000, 0x2000);
    expect(p.regions.find(0x1000)).not.toBeNull();
    expect(c.memfds?.get(3)).toBe('x');
    const e = t.exec(c, '/bin/x', 'x', 3, '3');
    expect(e.key).not.toBe(c.key);
    expect(e).toMatchObject({ pid: 11, path: '/bin/x', name: 'x' });
    expect(e.regions.size).toBe(0);
    expect(e.memfds?.get(3)).toBe('x');
  });

  it('evicts exited processes first, then the oldest live one', () => {
    const t = new ProcessTable(limits);
    const ps = [1, 2, 3, 4].map((pid) => t.ensure(pid, 0, 0, `p${pid}`, pid, `${pid}`));
    t.exit(ps[2]!, 0, 10);
    t.ensure(5, 0, 0, 'p5', 11, '11');
    expect(t.get(3)).toBeUndefined();
    expect(t.get(1)).toBeDefined();
    expect(t.evictedExited).toBe(1);
    t.ensure(6, 0, 0, 'p6', 12, '12');
    expect(t.get(1)).toBeUndefined();
    expect(t.evictedLive).toBe(1);
    expect(t.size).toBe(4);
  });
});

describe('exited processes under pid reuse', () => {
  it('keeps dead processes whose pid was reused no longer than a quarter of the exited list', () => {
    const t = new ProcessTable({ maxProcesses: 65536, maxRegionsPerProcess: 16 });
    const internals = t as unknown as { exited: unknown[]; exitedHead: number };
    const parent = t.ensure(1, 0, 0, 'init', 0, '0');
    const PIDS = 5000;
    let most = 0;
    // Short-lived children cycling through a small pid space, as on a busy system.
    for (let i = 0; i < 200_000; i++) {
      const child = t.fork(parent, 2 + (i % PIDS), i, String(i));
      t.exit(child, 0, i);
      most = Math.max(most, internals.exited.length - internals.exitedHead);
    }
    expect(t.size).toBe(PIDS + 1);
    // Every pid's latest process is listed; stale entries add at most a quarter (or 1024).
    expect(most).toBeLessThanOrEqual(Math.ceil((PIDS * 4) / 3) + 1);
    expect(t.evictedLive + t.evictedExited).toBe(0);
  });
});

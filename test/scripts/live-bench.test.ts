import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emptyTracer } from '../../scripts/bench/live.ts';

// The live benchmark's floor is only a floor if the empty tracer attaches where an0840 does.
describe('the live benchmark empty tracer', () => {
  const script = readFileSync(new URL('../../dtrace/an0840.bt', import.meta.url), 'utf8');
  const empty = emptyTracer(script);
  const points = empty.trim().split('\n').map((l) => l.replace(/ \{ \}$/, ''));

  it('has one empty clause per probe of the an0840 script, BEGIN and END left out', () => {
    expect(empty.trim().split('\n').every((l) => l.endsWith(' { }'))).toBe(true);
    expect(new Set(points).size).toBe(points.length);
    for (const p of ['tracepoint:syscalls:sys_enter_mmap', 'tracepoint:syscalls:sys_exit_mmap', 'tracepoint:syscalls:sys_enter_munmap',
      'tracepoint:syscalls:sys_exit_munmap', 'tracepoint:syscalls:sys_exit_pkey_mprotect', 'profile:hz:997']) {
      expect(points).toContain(p);
    }
    expect(points.some((p) => p.startsWith('BEGIN') || p.startsWith('END'))).toBe(false);
    expect(points.some((p) => p.startsWith('uretprobe:') && p.endsWith(':dlopen'))).toBe(true);
  });

  it('names every attach point of the script', () => {
    const named = new Set<string>();
    for (const m of script.matchAll(/^(?:tracepoint|uprobe|uretprobe|profile|interval):[^\s{,]+/gm)) named.add(m[0].replace(/,$/, ''));
    expect([...named].sort()).toEqual([...points].sort());
  });
});

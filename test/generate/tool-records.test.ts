import { describe, expect, it } from 'vitest';
import { generate, renderToolsTable } from '../../src/generate/index.ts';
import type { Target } from '../../src/generate/options.ts';
import { TOOLS, toolRecords } from '../../src/generate/tools.ts';
import type { RecordKind } from '../../src/protocol/registry.ts';

const PLATFORMS = [
  { backend: 'dtrace', os: 'darwin' },
  { backend: 'dtrace', os: 'linux' },
  { backend: 'bpftrace', os: 'linux' },
] as const;
const TARGETS: readonly Target[] = [{ kind: 'pid', pid: 4242 }, { kind: 'command', command: ['/bin/true'] }, { kind: 'name', name: 'node' }, { kind: 'all' }];

/** Kinds the printf calls of a script print, read from the script text itself. */
function printedBy(script: string): Set<string> {
  return new Set([...script.matchAll(/printf\("LT1:%s\\t([a-z_]+)\\t/g)].map((m) => m[1]!));
}

describe('what each tool prints is read from the scripts it generates', () => {
  it.each(TOOLS.map((t) => t.name))('%s', (tool) => {
    const seen = new Set<string>();
    for (const { backend, os } of PLATFORMS) {
      for (const target of TARGETS) {
        for (const duration of [undefined, 5]) {
          const r = generate({ tool, backend, os, target, options: { libc: '/lib/x86_64-linux-gnu/libc.so.6', ...(duration ? { duration } : {}) } });
          const printed = printedBy(r.script);
          expect([...printed].sort()).toEqual([...r.kinds].sort());
          for (const k of printed) seen.add(k);
        }
      }
    }
    expect([...seen].sort()).toEqual([...toolRecords(tool)].sort());
  });

  it('the tools table lists those kinds', () => {
    const row = (tool: string) => renderToolsTable().split('\n').find((l) => l.startsWith(`| \`${tool}\``))!;
    expect(row('procsnoop')).toContain('`exec`, `fork`, `exit` |');
    expect(row('anonexec')).toContain('| `sample` |');
    // bpftrace's dlsnoop sees no memory calls: only D, system-wide or by name, falls back to the mapping clauses.
    const bpftraceDl = generate({ tool: 'dlsnoop', backend: 'bpftrace', target: { kind: 'all' }, options: { libc: '/lib/x86_64-linux-gnu/libc.so.6' } });
    expect(bpftraceDl.kinds.filter((k: RecordKind) => k !== 'begin' && k !== 'trailer').sort()).toEqual(['dlclose', 'dlopen', 'dlsym']);
  });
});

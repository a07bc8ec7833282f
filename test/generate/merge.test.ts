import { describe, expect, it } from 'vitest';
import { mergeProbeClauses } from '../../src/generate/compose.ts';
import { generate, TOOLS, type Target } from '../../src/generate/index.ts';
import { LIBC } from './helpers/cases.ts';

/** Probe lists of the clauses of a bpftrace script, in order. */
function probeLists(script: string): string[] {
  const lists: string[] = [];
  let cur: string[] = [];
  for (const line of script.split('\n')) {
    if (/^(tracepoint|uprobe|uretprobe|profile|interval):/.test(line)) cur.push(line.replace(/,$/, ''));
    else if (cur.length > 0) {
      lists.push(cur.join(','));
      cur = [];
    }
  }
  return lists;
}

describe('mergeProbeClauses: the clauses of one probe as one program', () => {
  it('gathers them at the first one, predicates as if blocks, in order, across fragments', () => {
    const a = ['// first', 'tracepoint:x:y', '{', '\t$v = 1;', '}', '', 'tracepoint:x:z', '/@z/', '{', '\t@n++;', '}'].join('\n');
    const b = ['// second', 'tracepoint:x:y', '/$v == 1/', '{', '\tprintf("y\\n");', '}'].join('\n');
    const c = ['tracepoint:x:y', '{', '\tdelete(@s[tid]);', '}'].join('\n');
    const out = mergeProbeClauses([a, b, c]);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(
      [
        '// 3 clauses of this probe, in script order, as one program.',
        'tracepoint:x:y',
        '{',
        '\t// first',
        '\t$v = 1;',
        '',
        '\t// second',
        '\tif ($v == 1) {',
        '\t\tprintf("y\\n");',
        '\t}',
        '',
        '\tdelete(@s[tid]);',
        '}',
        '',
        'tracepoint:x:z',
        '/@z/',
        '{',
        '\t@n++;',
        '}',
      ].join('\n'),
    );
  });

  it('keeps apart the clauses of a probe that is also named in another list', () => {
    const a = ['uprobe:l:f,', 'uprobe:l:g', '/@d[tid]/', '{', '\t@nested++;', '}'].join('\n');
    const b = ['uprobe:l:f', '{', '\t@d[tid] = 1;', '}', '', 'uprobe:l:f', '/@x/', '{', '\t@y = 1;', '}'].join('\n');
    expect(mergeProbeClauses([a, b])).toEqual([a, b]);
  });

  it('keeps loose comments and drops fragments left empty', () => {
    const a = ['// about the ring', '', '// save', 'tracepoint:x:y', '{', '\t$v = 1;', '}'].join('\n');
    const b = ['tracepoint:x:y', '{', '\t@v = $v;', '}'].join('\n');
    const out = mergeProbeClauses([a, b]);
    expect(out).toHaveLength(1);
    expect(out[0]!.startsWith('// about the ring\n\n// 2 clauses of this probe')).toBe(true);
  });

  it('leaves one clause per probe list in every generated bpftrace script', () => {
    for (const t of TOOLS) {
      const targets: Target[] = [{ kind: 'all' }, { kind: 'pid', pid: 1 }, { kind: 'command', command: ['true'] }, { kind: 'name', name: 'x' }];
      for (const target of targets) {
        const { script } = generate({ tool: t.name, backend: 'bpftrace', target, nonce: '0000000000000000', options: { libc: LIBC } });
        const lists = probeLists(script);
        // A probe list named twice is one whose probe is also in another list (the dl uprobes).
        const repeated = lists.filter((l, i) => lists.indexOf(l) !== i);
        for (const l of repeated) {
          const probes = l.split(',');
          expect(lists.some((o) => o !== l && o.split(',').some((p) => probes.includes(p))), `${t.name} ${target.kind}: ${l}`).toBe(true);
        }
      }
    }
  });
});

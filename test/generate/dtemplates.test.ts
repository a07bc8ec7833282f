import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAGMENT_DIR, readFragment } from '../../src/generate/compose.ts';
import { D_TEMPLATES, expandDTemplates, parseDTemplate } from '../../src/generate/dtemplates.ts';
import { GenerateError, TOOLS, generate } from '../../src/generate/index.ts';
import type { Target } from '../../src/generate/options.ts';
import { NONCE, TARGETS } from './helpers/cases.ts';

const ring = parseDTemplate('ring-apply', readFragment('ring-apply', 'dtrace'));
const FIRST = ring.statements[0]!;
const count = (s: string, part: string) => s.split(part).length - 1;

describe('the ring-apply template', () => {
  it('has a header, typed declarations of its inputs and counters, and its statements', () => {
    expect(ring.prologue).toMatch(/^\/\*\n \* Apply one change to the region ring/);
    for (const d of ['int lt_forgotten;', 'int lt_evicted;', 'this uint64_t s;', 'this uint64_t e;', 'this int64_t v;', 'this int skip;', 'this int always;', 'this int whole;']) {
      expect(ring.prologue.split('\n')).toContain(d);
    }
    expect(ring.statements.length).toBeGreaterThan(100);
    expect(ring.statements.every((l) => l.startsWith('\t'))).toBe(true);
  });

  it('is the one definition: no other D fragment holds its statements', () => {
    for (const f of readdirSync(FRAGMENT_DIR).filter((n) => n.endsWith('.d') && n !== 'ring-apply.d')) {
      const text = readFileSync(join(FRAGMENT_DIR, f), 'utf8');
      expect(text, f).not.toContain('lt_evicted +=');
      expect(text, f).not.toContain(FIRST);
    }
  });

  // rwx-track applies every change of its calls; remap (macOS, -p/-c) its own; mremap (Linux) two per call.
  it.each([
    ['rwxsnoop', 'pid', 'darwin', 2],
    ['rwxsnoop', 'all', 'darwin', 1],
    ['rwxsnoop', 'pid', 'linux', 3],
    ['an0840', 'command', 'linux', 3],
    ['dlsnoop', 'name', 'darwin', 1],
    ['dlsnoop', 'pid', 'darwin', 0],
    ['anonexec', 'pid', 'darwin', 0],
    ['procsnoop', 'all', 'linux', 0],
  ] as const)('%s -%s on %s writes it out %d times, declared once before the first', (tool, mode, os, n) => {
    const s = generate({ tool, backend: 'dtrace', target: TARGETS[mode] as Target, nonce: NONCE, os }).script;
    expect(count(s, FIRST)).toBe(n);
    expect(count(s, ring.prologue)).toBe(n > 0 ? 1 : 0);
    if (n > 0) expect(s.indexOf(ring.prologue)).toBeLessThan(s.search(/^\tthis->s = /m));
  });

  it('leaves no template line unexpanded in any D script', () => {
    for (const t of TOOLS) {
      for (const os of ['darwin', 'linux'] as const) {
        for (const target of Object.values(TARGETS)) {
          const s = generate({ tool: t.name, backend: 'dtrace', target, nonce: NONCE, os }).script;
          expect(s).not.toMatch(/^[ \t]*\$\{/m);
        }
      }
    }
  });
});

const find = parseDTemplate('ring-find', readFragment('ring-find', 'dtrace'));
const SEARCH = '\tthis->h = lt_rq[pid, 0] > this->bq && this->a >= lt_rs[pid, 0] && this->a < lt_re[pid, 0];';

describe('the ring-find template', () => {
  it('has a header, and statements that start from no slot and search every slot', () => {
    expect(find.prologue).toMatch(/^\/\*\n \* Find the newest slot of the region ring/);
    expect(find.statements.slice(0, 5)).toEqual(['\tthis->bq = (uint64_t)0;', '\tthis->bv = (int64_t)0;', '\tthis->bk = -1;', '\tthis->bs = (uint64_t)0;', '\tthis->be = (uint64_t)0;']);
    expect(find.statements).toContain(SEARCH);
    expect(find.statements.filter((l) => l.startsWith('\tthis->h = ')).length).toBe(8);
  });

  it('is the one definition: no other D fragment searches the ring for an address', () => {
    for (const f of readdirSync(FRAGMENT_DIR).filter((n) => n.endsWith('.d') && n !== 'ring-find.d')) {
      expect(readFileSync(join(FRAGMENT_DIR, f), 'utf8'), f).not.toContain(SEARCH);
    }
  });

  // rwx-args searches for mprotect and the Mach protect trap; remap (macOS, -p/-c) and mremap (Linux) once more.
  it.each([
    ['rwxsnoop', 'pid', 'darwin', 3],
    ['rwxsnoop', 'all', 'darwin', 2],
    ['rwxsnoop', 'pid', 'linux', 3],
    ['an0840', 'command', 'linux', 3],
    ['dlsnoop', 'pid', 'darwin', 0],
    ['procsnoop', 'all', 'linux', 0],
  ] as const)('%s -%s on %s writes it out %d times, its header once before the first', (tool, mode, os, n) => {
    const s = generate({ tool, backend: 'dtrace', target: TARGETS[mode] as Target, nonce: NONCE, os }).script;
    expect(count(s, SEARCH)).toBe(n);
    expect(count(s, find.prologue)).toBe(n > 0 ? 1 : 0);
    if (n > 0) expect(s.indexOf(find.prologue)).toBeLessThan(s.indexOf(SEARCH));
  });
});

describe('expandDTemplates', () => {
  it('writes out the statements in place and the prologue before the first user only', () => {
    const out = expandDTemplates(['a', 'x\n{\n\t${ring-apply}\n}', 'y\n{\n\t${ring-apply}\n\t${ring-apply}\n}'], 'darwin');
    expect(out).toEqual([
      'a',
      ring.prologue,
      `x\n{\n${ring.statements.join('\n')}\n}`,
      `y\n{\n${ring.statements.join('\n')}\n${ring.statements.join('\n')}\n}`,
    ]);
    expect(expandDTemplates(['no templates'], 'linux')).toEqual(['no templates']);
  });

  it('refuses an unknown template and a use outside a clause body', () => {
    expect(() => expandDTemplates(['x\n{\n\t${ring-frobnicate}\n}'], 'darwin')).toThrow(GenerateError);
    expect(() => expandDTemplates(['${ring-apply}'], 'darwin')).toThrow(/indented one tab/);
    expect(() => expandDTemplates(['x\n{\n\t\t${ring-apply}\n}'], 'darwin')).toThrow(/indented one tab/);
  });

  it('refuses a template fragment without its block', () => {
    expect(() => parseDTemplate('ring-apply', 'int x;\n')).toThrow(/must end with a block/);
    expect(() => parseDTemplate('ring-apply', '${ring-apply}\n{\nx = 1;\n}\n')).toThrow(/indented one tab/);
  });

  it('lists only template fragments that exist', () => {
    for (const name of D_TEMPLATES) expect(() => parseDTemplate(name, readFragment(name, 'dtrace', 'linux'))).not.toThrow();
  });
});

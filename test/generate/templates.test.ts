import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DTRACE_DIR } from '../../src/generate/compose.ts';
import { TOOLS, generate, generateFollow, renderToolsTable, type GenerateResult } from '../../src/generate/index.ts';
import { LIBC } from './helpers/cases.ts';
import { parseTextSync } from '../../src/parse/index.ts';

// The checked-in templates are the generated scripts with default options and a zero nonce:
// D for a concrete pid ($target: run with -p or -c), bpftrace system-wide. UPDATE_GOLDEN=1 rewrites them.
const ZERO = '0000000000000000';
const update = process.env.UPDATE_GOLDEN === '1';

const templates: [string, GenerateResult][] = [
  ...TOOLS.map((t) => [`${t.name}.d`, generate({ tool: t.name, backend: 'dtrace', target: { kind: 'pid', pid: 1 }, nonce: ZERO })] as [string, GenerateResult]),
  ...TOOLS.map((t) => [`${t.name}.bt`, generate({ tool: t.name, backend: 'bpftrace', target: { kind: 'all' }, nonce: ZERO, options: { libc: LIBC } })] as [string, GenerateResult]),
  ['follow.d', generateFollow({ target: { kind: 'all' }, nonce: ZERO })],
];

describe('checked-in templates are current', () => {
  it.each(templates)('dtrace/%s', (file, r) => {
    const path = join(DTRACE_DIR, file);
    if (update) writeFileSync(path, r.script);
    expect(existsSync(path), `dtrace/${file} missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(r.script);
  });
});

describe('each tool has an example transcript and a row in the docs table', () => {
  it.each(TOOLS.flatMap((t) => [`${t.name}_example.txt`, `${t.name}_bt_example.txt`, `${t.name}_linux_example.txt`]))('dtrace/%s exists with usage at the end', (file) => {
    const path = join(DTRACE_DIR, file);
    expect(existsSync(path)).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/USAGE/);
    expect(text).toMatch(/LT1:[0-9a-f]{16}\t/);
  });

  // The macOS transcripts were not recorded on a Mac: they must say so.
  it.each(TOOLS.map((t) => `${t.name}_example.txt`))('dtrace/%s says it is illustrative', (file) => {
    expect(readFileSync(join(DTRACE_DIR, file), 'utf8')).toMatch(/^ILLUSTRATIVE: /m);
  });

  // The Linux D transcripts are pasted dtrace output: every record in them must parse, as the tool's own.
  it.each(TOOLS.map((t) => t.name))('dtrace/%s_linux_example.txt holds records of that tool from dtrace on Linux', (tool) => {
    const text = readFileSync(join(DTRACE_DIR, `${tool}_linux_example.txt`), 'utf8');
    const records = text.split('\n').filter((l) => l.startsWith('LT1:'));
    const r = parseTextSync(records.join('\n') + '\n');
    expect(r.summary.parseErrors).toBe(0);
    expect(r.summary.records).toBe(records.length);
    expect(r.events.find((e) => e.kind === 'begin')).toMatchObject({ tool, os: 'linux', backend: 'dtrace' });
    expect(r.events.filter((e) => e.kind === 'trailer').at(-1)).toMatchObject({ counter: 'trailers' });
  });

  it('docs/tools.md holds the current tools table', () => {
    const doc = readFileSync(join(DTRACE_DIR, '..', 'docs', 'tools.md'), 'utf8');
    const m = /<!-- tools:begin -->\n([\s\S]*?)\n<!-- tools:end -->/.exec(doc);
    expect(m, 'docs/tools.md lacks the tools:begin/end markers').not.toBeNull();
    expect(m![1]).toBe(renderToolsTable());
    for (const t of TOOLS) expect(doc).toContain(`\`${t.name}\``);
  });
});

describe('the D region ring', () => {
  const d = (tool: 'rwxsnoop' | 'an0840' | 'anonexec', os: 'darwin' | 'linux') =>
    generate({ tool, backend: 'dtrace', target: { kind: 'all' }, os, nonce: '0123456789abcdef' });

  it('follows mremap in Linux D scripts only, where the call exists, and prints its record', () => {
    for (const tool of ['rwxsnoop', 'an0840'] as const) {
      const linux = d(tool, 'linux');
      expect(linux.script).toMatch(/^syscall::mremap:entry$/m);
      expect(linux.script).toMatch(/^syscall::mremap:return$/m);
      expect(linux.kinds).toContain('mremap');
      const darwin = d(tool, 'darwin');
      expect(darwin.script).not.toContain('syscall::mremap:');
      expect(darwin.kinds).not.toContain('mremap');
    }
  });

  it('keeps 8 slots per process and counts what it pushes out in regions_evicted', () => {
    for (const os of ['darwin', 'linux'] as const) {
      const s = d('rwxsnoop', os).script;
      for (let k = 0; k < 8; k++) expect(s).toContain(`lt_rq[pid, ${k}]`);
      expect(s).not.toContain('lt_rq[pid, 8]');
      expect(s).toContain('"regions_evicted", lt_evicted');
      expect(s).not.toContain('lt_rgn');
    }
  });

  it('is kept only by the tools that track regions', () => {
    expect(d('anonexec', 'linux').script).not.toMatch(/lt_rq\[pid, [0-9]\] =/);
    expect(d('rwxsnoop', 'linux').script).toMatch(/lt_rq\[pid, [0-9]\] =/);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAGMENT_DIR } from '../../src/generate/compose.ts';
import { FRAGMENT_PRINTS } from '../../src/generate/tools.ts';
import { allCases } from './helpers/cases.ts';
import { checkPrintf, extractPrintfs } from './helpers/printf.ts';

const fragments = readdirSync(FRAGMENT_DIR).filter((f) => f.endsWith('.d') || f.endsWith('.bt'));

describe('every printf in every fragment matches the registry', () => {
  it.each(fragments)('%s', (file) => {
    const backend = file.endsWith('.d') ? 'dtrace' : 'bpftrace';
    const calls = extractPrintfs(readFileSync(join(FRAGMENT_DIR, file), 'utf8'));
    const problems = calls.flatMap((c) => checkPrintf(c, backend).problems);
    expect(problems).toEqual([]);
    // The kinds a fragment prints are the kinds the metadata says it prints (header FIELDS come from there).
    const base = file.replace(/\.(d|bt)$/, '');
    const declared = (backend === 'bpftrace' ? FRAGMENT_PRINTS[`${base}.bt`] : undefined) ?? FRAGMENT_PRINTS[base] ?? [];
    const printed = [...new Set(calls.map((c) => checkPrintf(c, backend).kind).filter((k) => k !== undefined))];
    expect(printed.sort()).toEqual([...declared].sort());
  });
});

describe('every printf in every generated script matches the registry', () => {
  const cases = allCases();
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const calls = extractPrintfs(c.result.script);
    expect(calls.length).toBeGreaterThan(1);
    const problems = calls.flatMap((call) => checkPrintf(call, c.backend).problems);
    expect(problems).toEqual([]);
    const kinds = new Set(calls.map((call) => checkPrintf(call, c.backend).kind).filter((k) => k !== undefined));
    expect([...kinds].sort()).toEqual([...c.result.kinds].sort());
  });
});

describe('the printf check itself', () => {
  const ok = 'printf("LT1:%s\\tfork\\t%lld\\t%d\\t%d\\t%d\\t%d\\t%S\\t%d\\n", LT_NONCE, walltimestamp, pid, ppid, tid, uid, execname, args[0]->pr_pid);';
  it('accepts a correct record printf', () => {
    expect(checkPrintf(extractPrintfs(ok)[0]!, 'dtrace').problems).toEqual([]);
  });
  it.each([
    ['a wrong conversion', ok.replace('%S\\t%d\\n', '%S\\t%x\\n'), 'fork.child (int)'],
    ['a missing field', ok.replace('\\t%d\\n', '\\n').replace(', args[0]->pr_pid', ''), 'has 6 fields'],
    ['an argument too few', ok.replace(', args[0]->pr_pid', ''), '8 conversions but 7'],
    ['an unknown kind', ok.replace('tfork', 'tspawn'), 'unknown kind'],
    ['a string printed raw', ok.replace('%S\\t%d', '%s\\t%d'), 'comm (str)'],
    ['a timestamp that is not wall-clock', ok.replace('walltimestamp', 'timestamp'), 'expected walltimestamp'],
  ])('rejects %s', (_what, src, message) => {
    expect(checkPrintf(extractPrintfs(src)[0]!, 'dtrace').problems.join('\n')).toContain(message);
  });
});

/**
 * Every real dtrace sample (verbatim copies in test/fixtures/traces/dtrace-real) replays with
 * every line accounted for, and with the families and numbers it holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/protocol/diagnostics.ts';
import { parseTextSync, type ParseResult } from '../../src/parse/index.ts';
import { countLines } from './helpers/trace.ts';

const DIR = fileURLToPath(new URL('../fixtures/traces/dtrace-real/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

function load(name: string): { raw: Buffer; r: ParseResult } {
  const file = FILES.find((f) => f.startsWith(name));
  if (!file) throw new Error(`no sample ${name}`);
  const raw = readFileSync(DIR + file);
  return { raw, r: parseTextSync(raw) };
}

const fam = (r: ParseResult, family: string): Diagnostic[] => r.diagnostics.filter((d) => d.family === family);

describe('every real sample is accounted for line by line', () => {
  it('has the sixteen samples', () => {
    expect(FILES).toHaveLength(16);
  });
  for (const file of FILES) {
    it(file, () => {
      const raw = readFileSync(DIR + file);
      const { summary, items } = parseTextSync(raw);
      const a = summary.accounting;
      expect(summary.lines).toBe(countLines(raw));
      expect(a.lines).toBe(summary.lines);
      expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
      // items cover consecutive lines with no gap or overlap
      let next = 1;
      for (const it of items) {
        const first = it.type === 'record' ? it.event.line : it.line;
        const span = it.type === 'record' || it.type === 'diagnostic' ? it.lines : 1;
        expect(first).toBe(next);
        next += span;
      }
      expect(next - 1).toBe(summary.lines);
      // the "# source:" line is never mistaken for tracer output
      expect(items[0]).toMatchObject({ type: 'foreign', line: 1 });
      expect(summary.records).toBe(0);
    });
  }
});

describe('families and numbers per sample', () => {
  it('01: failed to set -x', () => {
    const { r } = load('01_');
    expect(r.summary.diagnostics).toEqual({ option_failed: 1 });
    expect(r.diagnostics[0]!.data).toMatchObject({ option: 'unsetenv', reason: 'Invalid value for specified option' });
    expect(r.diagnostics[0]!.severity).toBe('error');
  });

  it('03: SIP notice, blank line, exec failure, tool output', () => {
    const { r } = load('03_');
    expect(r.items.map((i) => (i.type === 'diagnostic' ? i.family : i.type))).toEqual([
      'foreign',
      'foreign',
      'sip_notice',
      'blank',
      'exec_failed',
      'foreign',
    ]);
    expect(fam(r, 'exec_failed')[0]!.data).toEqual({
      command: 'ls',
      reason: 'dtrace cannot control executables signed with restricted entitlements',
    });
  });

  it('05: requires additional privileges', () => {
    const { r } = load('05_');
    expect(r.summary.diagnostics).toEqual({ sip_notice: 1, privileges: 1 });
    expect(fam(r, 'privileges')[0]!.line).toBe(6);
    expect(r.summary.blank).toBe(2);
  });

  it('06: seven invalid user access errors on libdyld probes', () => {
    const { r } = load('06_');
    const errs = fam(r, 'probe_error');
    expect(errs).toHaveLength(7);
    expect(r.summary.probeErrors).toBe(7);
    expect(errs.map((e) => e.data.epid)).toEqual([659, 674, 661, 661, 661, 661, 692]);
    expect(errs[2]!.data).toEqual({
      epid: 661,
      probeId: 4250,
      probe: 'pid39182:libdyld.dylib:tlv_get_addr:entry',
      fault: 'invalid user access',
      addr: null,
      action: 1,
      difOffset: null,
    });
  });

  it('07: probe error with address and action', () => {
    const { r } = load('07_');
    expect(fam(r, 'probe_error')[0]!.data).toEqual({
      epid: 1,
      probeId: 283616,
      probe: 'profile:::profile-1ms',
      fault: 'invalid address',
      addr: '0x100fc5e60',
      action: 5,
      difOffset: null,
    });
  });

  it('09: dtruss output is foreign, the interleaved error has its DIF offset', () => {
    const { r } = load('09_');
    expect(r.summary.diagnostics).toEqual({ sip_notice: 1, probe_error: 1 });
    expect(r.summary.foreign).toBe(22);
    expect(fam(r, 'probe_error')[0]).toMatchObject({
      line: 23,
      data: { epid: 2158, probeId: 552, probe: 'syscall::sysctl:return', fault: 'invalid kernel access', action: 10, difOffset: 40 },
    });
  });

  it('10: matched one probe, then an invalid probe specifier on one line', () => {
    const { r } = load('10_');
    expect(fam(r, 'probes_matched')[0]!.data).toEqual({ count: 1, what: 'description', name: 'pid$target:a.out:main:entry' });
    const ce = fam(r, 'compile_error')[0]!;
    expect(ce.lines).toBe(1);
    expect(ce.data).toMatchObject({
      specifier: 'pid$target:a.out:main:entry',
      message: 'probe description pid81008:a.out:main:entry does not match any probes',
      probe: 'pid81008:a.out:main:entry',
      closed: true,
    });
  });

  it('14: failed to compile script with file and line', () => {
    const { r } = load('14_');
    expect(fam(r, 'compile_error')[0]!.data).toEqual({
      file: 'node_http_latency.d',
      scriptLine: 2,
      message: 'operator -> cannot be applied to pointer to type "int"; must be applied to a struct or union pointer',
    });
  });

  it('16: a multi-line invalid probe specifier is one diagnostic of 18 lines', () => {
    const { r } = load('16_');
    expect(r.summary.accounting).toEqual({ lines: 19, record: 0, diagnostic: 18, foreign: 1, blank: 0 });
    const ce = fam(r, 'compile_error')[0]!;
    expect(ce).toMatchObject({ line: 2, lines: 18 });
    expect(ce.data.message).toBe('invalid probe description "pid$1:cmd-key-happy:$2:entry": Undefined macro variable in probe description');
    expect(String(ce.data.specifier).split('\n')).toHaveLength(16);
    expect(String(ce.data.specifier)).toMatch(/^pid\$1:cmd-key-happy:\$2:entry\n\{/);
  });

  it('19: 1347 dynamic variable drops with non-empty dirty list', () => {
    const { r } = load('19_');
    expect(r.summary.drops).toEqual({ total: 1347, byKind: { dynvar_dirty: 1347 } });
    expect(fam(r, 'drops')[0]!.data).toEqual({ count: 1347, dropKind: 'dynvar_dirty', cpu: null, tag: null });
    expect(r.summary.blank).toBe(2);
  });

  it('21: matched lines, wrapped probe errors and 1005103 drops on CPU 1', () => {
    const { r } = load('21_');
    expect(fam(r, 'probes_matched').map((d) => d.data.count)).toEqual([1, 427]);
    expect(r.summary.drops).toEqual({ total: 1005103, byKind: { principal: 1005103 } });
    expect(fam(r, 'drops')[0]!.data).toMatchObject({ count: 1005103, cpu: 1 });
    const errs = fam(r, 'probe_error');
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatchObject({
      lines: 2,
      data: { epid: 225607, probeId: 69364, probe: 'pid42896:libSystem.B.dylib:pthread_mutex_unlock:entry', fault: 'invalid user access', action: 1 },
    });
    // ^C and the aggregation printout are foreign
    expect(r.items.filter((i) => i.type === 'foreign' && i.text === '^C')).toHaveLength(2);
  });

  it('22: SIP notice, matched with trailing space, pid exited before the header', () => {
    const { r } = load('22_');
    expect(r.summary.diagnostics).toEqual({ sip_notice: 2, probes_matched: 2, pid_exit: 2, header: 2 });
    expect(fam(r, 'probes_matched')[0]!.data).toEqual({ count: 35, what: 'description', name: 'pid$target::*gemm*:entry ' });
    expect(fam(r, 'pid_exit').map((d) => d.data.pid)).toEqual([51524, 51556]);
    const order = r.diagnostics.slice(0, 4).map((d) => d.family);
    expect(order).toEqual(['sip_notice', 'probes_matched', 'pid_exit', 'header']);
  });

  it('23: script matched, non-quiet probe lines and their stacks are foreign', () => {
    const { r } = load('23_');
    expect(fam(r, 'probes_matched').map((d) => d.data)).toEqual([
      { count: 10, what: 'script', name: '/Users/philippe.gaultier/scratch/data_race_rw.d' },
      { count: 10, what: 'script', name: '/Users/philippe.gaultier/scratch/data_race_rw.d' },
    ]);
    expect(fam(r, 'pid_exit').map((d) => d.data.pid)).toEqual([99037, 432]);
    expect(fam(r, 'header')).toHaveLength(2);
    expect(r.summary.forged).toBe(0);
  });

  it('29: the error wrapped with a backslash keeps address, action and DIF offset', () => {
    const { r } = load('29_');
    expect(fam(r, 'probes_matched')).toHaveLength(3);
    expect(fam(r, 'probe_error')[0]).toMatchObject({
      line: 8,
      lines: 2,
      data: { epid: 2, probeId: 8, probe: 'syscall::open:entry', fault: 'invalid address', addr: '0x9af1b', action: 1, difOffset: 52 },
    });
  });

  it('30: 11 drops on CPU 0', () => {
    const { r } = load('30_');
    expect(fam(r, 'drops')[0]!.data).toEqual({ count: 11, dropKind: 'principal', cpu: 0, tag: null });
    expect(r.summary.drops.total).toBe(11);
  });

  it('32: one-liner transcripts: matched counts, headers, whitespace-only lines are blank', () => {
    const { r } = load('32_');
    expect(fam(r, 'probes_matched').map((d) => [d.data.name, d.data.count])).toEqual([
      ['proc:::exec-success ', 1],
      ['syscall::open*:entry ', 2],
      ['syscall:::entry ', 228],
    ]);
    expect(fam(r, 'header')).toHaveLength(2);
    expect(r.summary.blank).toBe(11);
  });
});

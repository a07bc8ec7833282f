/** Every DTrace message family of docs/platforms/macos.md §3, and bpftrace's own lines. */
import { describe, expect, it } from 'vitest';
import type { DiagnosticFamily } from '../../src/protocol/diagnostics.ts';
import { classifyLine, DIAGNOSTIC_FAMILIES } from '../../src/parse/diagnostics.ts';
import { parseTextSync } from '../../src/parse/index.ts';

const cases: [string, DiagnosticFamily, Record<string, unknown>][] = [
  ["dtrace: script 'x.d' matched 1 probe", 'probes_matched', { count: 1, what: 'script', name: 'x.d' }],
  ["dtrace: description 'syscall:::entry ' matched 228 probes", 'probes_matched', { count: 228, name: 'syscall:::entry ' }],
  ['dtrace: 1 drop on CPU 3', 'drops', { count: 1, dropKind: 'principal', cpu: 3, tag: null }],
  ['dtrace: 7 aggregation drops on CPU 0', 'drops', { count: 7, dropKind: 'aggregation', cpu: 0 }],
  ['dtrace: 1 dynamic variable drop', 'drops', { count: 1, dropKind: 'dynvar', cpu: null }],
  ['dtrace: 5 dynamic variable drops with non-empty rinsing list', 'drops', { count: 5, dropKind: 'dynvar_rinsing' }],
  ['dtrace: 1347 dynamic variable drops with non-empty dirty list', 'drops', { count: 1347, dropKind: 'dynvar_dirty' }],
  ['dtrace: 2 speculative drops', 'drops', { count: 2, dropKind: 'speculative' }],
  ['dtrace: 1 failed speculation (available buffer(s) still busy)', 'drops', { count: 1, dropKind: 'spec_busy' }],
  ['dtrace: 9 failed speculations (no speculative buffer available)', 'drops', { count: 9, dropKind: 'spec_unavail' }],
  ['dtrace: 4 jstack()/ustack() string table overflows', 'drops', { count: 4, dropKind: 'stack_strtab' }],
  ['dtrace: 1 error in ERROR probe enabling', 'drops', { count: 1, dropKind: 'error_enabling' }],
  ['dtrace: [DTRACEDROP_PRINCIPAL] 12 drops on CPU 2', 'drops', { count: 12, dropKind: 'principal', cpu: 2, tag: 'DTRACEDROP_PRINCIPAL' }],
  [
    'dtrace: [DTRACEDROP_DBLERROR] 3 errors in ERROR probe enabling',
    'drops',
    { count: 3, dropKind: 'error_enabling', tag: 'DTRACEDROP_DBLERROR' },
  ],
  [
    'dtrace: error on enabled probe ID 2 (ID 8: syscall::open:entry): invalid address (0x9af1b) in action #1 at DIF offset 52',
    'probe_error',
    { epid: 2, probeId: 8, probe: 'syscall::open:entry', fault: 'invalid address', addr: '0x9af1b', action: 1, difOffset: 52 },
  ],
  [
    'dtrace: error on enabled probe ID 3 (ID 9: pid12:libdyld.dylib:dlopen:entry): invalid alignment (0x7FF1) in predicate',
    'probe_error',
    { fault: 'invalid alignment', addr: '0x7ff1', action: 'predicate', difOffset: null },
  ],
  [
    'dtrace: error on enabled probe ID 4 (ID 10: syscall::mmap:return): divide-by-zero in action #2',
    'probe_error',
    { fault: 'divide-by-zero', addr: null, action: 2 },
  ],
  [
    'dtrace: error on enabled probe ID 5 (ID 11: syscall::mmap:return): failed to grab process 12',
    'probe_error',
    { epid: 5, probeId: 11, fault: 'failed to grab process 12', action: null, addr: null, difOffset: null },
  ],
  [
    // Oracle DTrace for Linux, from a real run: copyin of a page the process had not touched yet.
    'dtrace: error in dt_clause_15 for probe ID 3521 (syscall:vmlinux:mprotect:return): invalid address (0x7f9e5e8c3000) at BPF pc 1823',
    'probe_error',
    { epid: null, probeId: 3521, probe: 'syscall:vmlinux:mprotect:return', fault: 'invalid address', addr: '0x7f9e5e8c3000', action: null, difOffset: null, clause: 'dt_clause_15', bpfPc: 1823 },
  ],
  [
    'dtrace: error in dt_clause_3 for probe ID 12 (profile:::profile-997): invalid index (-1) at BPF pc 40',
    'probe_error',
    { probeId: 12, probe: 'profile:::profile-997', fault: 'invalid index', addr: '-1', clause: 'dt_clause_3', bpfPc: 40 },
  ],
  [
    'dtrace: error in dt_clause_0 for probe ID 7 (syscall:vmlinux:mmap:return): divide-by-zero',
    'probe_error',
    { probeId: 7, fault: 'divide-by-zero', addr: null, bpfPc: null },
  ],
  ['dtrace: system integrity protection is on, some features will not be available', 'sip_notice', {}],
  [
    'dtrace: invalid probe specifier syscall:::entry: probe description syscall:::entry does not match any probes. System Integrity Protection is on',
    'sip_restricted',
    { probe: 'syscall:::entry', specifier: 'syscall:::entry' },
  ],
  [
    'dtrace: failed to compile script t.d: line 4: probe description mach_trap:::entry does not match any probes. System Integrity Protection is on',
    'sip_restricted',
    { probe: 'mach_trap:::entry' },
  ],
  ['dtrace: system integrity protection restricts the use of anonymous tracing', 'sip_restricted', { probe: null }],
  ['dtrace: failed to initialize dtrace: DTrace requires additional privileges', 'privileges', {}],
  [
    'dtrace: failed to execute ./x: DTrace cannot control executables signed with restricted entitlements',
    'exec_failed',
    { command: './x', reason: 'DTrace cannot control executables signed with restricted entitlements' },
  ],
  ['dtrace: failed to execute /bin/ls: Operation not permitted', 'exec_failed', { command: '/bin/ls', reason: 'Operation not permitted' }],
  [
    'dtrace: failed to grab pid 123: DTrace cannot instrument translated processes',
    'grab_failed',
    { pid: 123, reason: 'DTrace cannot instrument translated processes' },
  ],
  ['dtrace: invalid pid: abc', 'invalid_pid', { arg: 'abc' }],
  ['dtrace: failed to compile script a.d: line 12: syntax error near "}"', 'compile_error', { file: 'a.d', scriptLine: 12, message: 'syntax error near "}"' }],
  ["dtrace: failed to enable 'a.d': DIF program exceeds maximum program size", 'enable_failed', { name: 'a.d' }],
  ['dtrace: could not enable tracing: Permission denied', 'enable_failed', { name: null, reason: 'Permission denied' }],
  ['dtrace: no probes matched', 'no_probes', {}],
  ['dtrace: no probes specified', 'no_probes', {}],
  ['dtrace: processing aborted: Abort due to systemic unresponsiveness', 'aborted', { reason: 'Abort due to systemic unresponsiveness' }],
  ['dtrace: failed to set -x bufsize=1x: Invalid value for specified option', 'option_failed', { option: 'bufsize=1x' }],
  ["dtrace: failed to open output file 'out.txt': Permission denied", 'output_failed', { file: 'out.txt', reason: 'Permission denied' }],
  ['dtrace: pid 51524 has exited', 'pid_exit', { pid: 51524, status: null, signal: null }],
  ['dtrace: pid 7 exited with status 3', 'pid_exit', { pid: 7, status: 3 }],
  ['dtrace: pid 7 terminated by SIGKILL', 'pid_exit', { pid: 7, signal: 'SIGKILL' }],
  ["dtrace: pid 7 exec'd a set-id or unobservable program", 'pid_notice', { pid: 7 }],
  ['dtrace: pid 7: Resource busy', 'pid_notice', { pid: 7, message: 'Resource busy' }],
  ['dtrace: allowing destructive actions', 'destructive', {}],
  ['dtrace: buffer size lowered to 2m', 'buffer_adjust', { what: 'buffer size', direction: 'lowered', value: '2m' }],
  ['dtrace: dynamic variable size lowered to 512k', 'buffer_adjust', { what: 'dynamic variable size', value: '512k' }],
  ['dtrace: cleaning rate increased to 50 hz', 'buffer_adjust', { what: 'cleaning rate', direction: 'increased' }],
  ['dtrace: cleaning rate reduced to once every 2 seconds', 'buffer_adjust', { direction: 'reduced', value: 'once every 2 seconds' }],
  ['CPU     ID                    FUNCTION:NAME', 'header', {}],
  ['CPU FUNCTION                                 ', 'header', {}],
  ['Attaching 3 probes...', 'attaching', { count: 3 }],
  ['Attaching 1 probe...', 'attaching', { count: 1 }],
  ['Lost 42 events', 'drops', { count: 42, dropKind: 'lost_events' }],
  ['script.bt:12:3-10: ERROR: Unknown function: foo', 'compile_error', { file: 'script.bt', scriptLine: 12, message: 'Unknown function: foo' }],
  ['ERROR: bpftrace currently only supports running as the root user.', 'privileges', {}],
  [
    'ERROR: Unknown error -1: couldn\'t set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem',
    'memlock',
    {},
  ],
  ['ERROR: Could not resolve symbol: /bin/x:dlopen', 'tracer_error', { message: 'Could not resolve symbol: /bin/x:dlopen' }],
  ['WARNING: could not attach 1 probe', 'tracer_notice', {}],
  ['dtrace: something new in a later release', 'tracer_error', { message: 'something new in a later release' }],
];

describe('classifyLine', () => {
  for (const [text, family, data] of cases) {
    it(`${family}: ${text.slice(0, 70)}`, () => {
      const d = classifyLine(text, 5);
      expect(d).not.toBeNull();
      expect(d!.family).toBe(family);
      expect(d!.severity).toBe(DIAGNOSTIC_FAMILIES[family].severity);
      expect(d!).toMatchObject({ type: 'diagnostic', line: 5, lines: 1, text });
      expect(d!.data).toMatchObject(data);
    });
  }

  it('leaves program output, prompts and ^C foreign', () => {
    for (const t of ['^C', '$ sudo dtrace -n x', 'matmul done: (512, 512)', '  5  65087   os.Stat:entry ', 'dtrace is great', 'Error: x']) {
      expect(classifyLine(t, 1)).toBeNull();
    }
  });
});

describe('multi-line diagnostics in a stream', () => {
  it('ends an unclosed invalid probe specifier block at the next dtrace message', () => {
    const text = ['dtrace: invalid probe specifier BEGIN', '{ x = ', 'dtrace: pid 3 has exited', 'after'].join('\n');
    const r = parseTextSync(text);
    expect(r.items.map((i) => (i.type === 'diagnostic' ? `${i.family}:${i.lines}` : i.type))).toEqual([
      'compile_error:2',
      'pid_exit:1',
      'foreign',
    ]);
    expect(r.diagnostics[0]!.data).toMatchObject({ closed: false, message: null });
  });

  it('closes a block whose message follows the program on its last line', () => {
    const text = ['dtrace: invalid probe specifier BEGIN', '{ trace(1) }: syntax error near end of input', 'x'].join('\n');
    const r = parseTextSync(text);
    expect(r.diagnostics[0]).toMatchObject({ family: 'compile_error', lines: 2 });
    expect(r.diagnostics[0]!.data).toMatchObject({ specifier: 'BEGIN\n{ trace(1) }', message: 'syntax error near end of input', closed: true });
    expect(r.items[1]).toMatchObject({ type: 'foreign', text: 'x' });
  });

  it('keeps a wrapped probe error head alone when no fault text follows', () => {
    const r = parseTextSync('dtrace: error on enabled probe ID 2 (ID 8: syscall::open:entry):\nhello\n');
    expect(r.items.map((i) => i.type)).toEqual(['diagnostic', 'foreign']);
    expect(r.diagnostics[0]).toMatchObject({ family: 'probe_error', lines: 1, data: { epid: 2, fault: null } });
  });
});

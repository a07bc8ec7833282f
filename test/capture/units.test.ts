import { describe, expect, it } from 'vitest';
import { classifyEnding, exitCodeForEnding, type EndingInput } from '../../src/capture/ending.ts';
import { defaultCaptureDir } from '../../src/capture/folder.ts';
import { dropFraction, dropsExceeded, parseDropThreshold } from '../../src/capture/drops.ts';
import { LineMerger } from '../../src/capture/raw.ts';
import { parseCsrutilStatus } from '../../src/capture/sip.ts';
import { emptyStderrFacts, LineScanner, scanStderrLine, totalDrops } from '../../src/capture/stderr-scan.ts';
import { formatStatus } from '../../src/capture/status.ts';
import { tracerArgv, launchSpec } from '../../src/capture/launch.ts';
import { EXIT } from '../../src/exit-codes.ts';

function facts(...lines: string[]) {
  const f = emptyStderrFacts();
  for (const l of lines) scanStderrLine(f, l);
  return f;
}

describe('stderr scan', () => {
  it('recognises refusals, with SIP winning over the compile error it ends', () => {
    expect(facts('dtrace: failed to initialize dtrace: DTrace requires additional privileges').refusal?.reason).toBe('privileges');
    expect(facts('ERROR: bpftrace currently only supports running as the root user.').refusal?.reason).toBe('privileges');
    expect(facts('/tmp/y.bt:1:9-12: ERROR: Unknown function: bad').refusal?.reason).toBe('compile');
    expect(facts('stdin:1:13-14: ERROR: syntax error, unexpected }').refusal?.reason).toBe('compile');
    expect(
      facts('dtrace: invalid probe specifier', 'syscall::mmap:entry', ': probe description syscall::mmap:entry does not match any probes. System Integrity Protection is on')
        .refusal?.reason,
    ).toBe('sip');
    expect(facts('dtrace: could not enable tracing: Permission denied').refusal?.reason).toBe('enable');
    expect(facts('dtrace: system integrity protection is on, some features will not be available').refusal).toBeNull();
  });

  it('recognises attach failures and target exits', () => {
    expect(facts('dtrace: failed to grab pid 12: No such process').attachFailure).toEqual({ pid: 12, text: 'dtrace: failed to grab pid 12: No such process' });
    expect(facts('dtrace: failed to execute ls: DTrace cannot control executables signed with restricted entitlements').attachFailure?.pid).toBeNull();
    expect(facts('ERROR: : No such process').attachFailure).not.toBeNull();
    expect(facts('dtrace: pid 77 has exited', 'dtrace: pid 78 terminated by SIGKILL').pidExits.map((e) => e.pid)).toEqual([77, 78]);
  });

  it('sums drops by kind across CPUs', () => {
    const f = facts('dtrace: 5 drops on CPU 0', 'dtrace: 7 drops on CPU 3', 'dtrace: 1347 dynamic variable drops with non-empty dirty list', 'Lost 2 events');
    expect(f.drops).toEqual({ principal: 12, dynvar_dirty: 1347, lost_events: 2 });
    expect(totalDrops(f)).toBe(1361);
  });

  it('splits chunks into lines across awkward boundaries, UTF-8 included', () => {
    const lines: string[] = [];
    const s = new LineScanner((l) => lines.push(l));
    const bytes = Buffer.from('dtrace: pid 1 has exited\né-line\npartial');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
    s.end();
    expect(lines).toEqual(['dtrace: pid 1 has exited', 'é-line', 'partial']);
  });
});

describe('drop threshold', () => {
  it('parses counts, fractions and percentages, and refuses the rest', () => {
    expect(parseDropThreshold('100')).toEqual({ kind: 'count', value: 100 });
    expect(parseDropThreshold('0.05')).toEqual({ kind: 'fraction', value: 0.05 });
    expect(parseDropThreshold('5%')).toEqual({ kind: 'fraction', value: 0.05 });
    for (const bad of ['-1', 'lots', '1.5', '200%', '']) {
      expect(() => parseDropThreshold(bad)).toThrow(/--drop-threshold/);
    }
  });
  it('compares drops with the threshold', () => {
    expect(dropsExceeded({ kind: 'count', value: 0 }, 1, 100)).toBe(true);
    expect(dropsExceeded({ kind: 'count', value: 0 }, 0, 100)).toBe(false);
    expect(dropsExceeded({ kind: 'count', value: 10 }, 10, 0)).toBe(false);
    expect(dropsExceeded({ kind: 'fraction', value: 0.1 }, 10, 90)).toBe(false);
    expect(dropsExceeded({ kind: 'fraction', value: 0.1 }, 11, 89)).toBe(true);
    expect(dropFraction(0, 0)).toBe(0);
  });
});

describe('csrutil status', () => {
  it('reads the custom configuration with DTrace restrictions disabled', () => {
    const s = parseCsrutilStatus(
      'System Integrity Protection status: unknown (Custom Configuration).\n\nConfiguration:\n\tDTrace Restrictions: disabled\n\tKext Signing: enabled\n\nThis is an unsupported configuration, likely to break in the future.\n',
    );
    expect(s).toMatchObject({ state: 'custom', dtraceRestricted: false });
  });
  it('reads plain enabled and disabled, and says unknown for anything else', () => {
    expect(parseCsrutilStatus('System Integrity Protection status: enabled.\n')).toMatchObject({ state: 'enabled', dtraceRestricted: true });
    expect(parseCsrutilStatus('System Integrity Protection status: disabled.\n')).toMatchObject({ state: 'disabled', dtraceRestricted: false });
    expect(parseCsrutilStatus('command not found')).toMatchObject({ state: 'unknown', dtraceRestricted: null });
  });
});

describe('line merger', () => {
  it('never interleaves two sources inside a line', () => {
    const out: string[] = [];
    const m = new LineMerger((c) => out.push(c.toString()));
    m.push('a', Buffer.from('A1 part'));
    m.push('b', Buffer.from('B1\nB2 pa'));
    m.push('a', Buffer.from('ial\nA2\n'));
    m.push('b', Buffer.from('rtial'));
    m.end('b');
    m.end('a');
    expect(out.join('')).toBe('B1\nA1 partial\nA2\nB2 partial\n');
    expect(m.unterminated).toBe(1);
  });
});

describe('endings', () => {
  const base: EndingInput = {
    exit: { code: 0, signal: null, spawnError: null },
    facts: emptyStderrFacts(),
    target: { kind: 'all' },
    ioFailure: null,
    killed: false,
    stopReason: null,
  };
  it('puts what loadtrace did before what the tracer said', () => {
    const refused = facts('dtrace: failed to initialize dtrace: DTrace requires additional privileges');
    expect(classifyEnding({ ...base, facts: refused, killed: true }).ending).toBe('killed');
    expect(
      classifyEnding({ ...base, facts: refused, ioFailure: { path: 'x', code: 'ENOSPC', message: '', diskFull: true } }).ending,
    ).toBe('disk-full');
    expect(classifyEnding({ ...base, ioFailure: { path: 'x', code: 'EIO', message: 'bad', diskFull: false } }).ending).toBe('error');
    expect(classifyEnding({ ...base, facts: refused, exit: { code: 1, signal: null, spawnError: null } }).ending).toBe('tracer-refused');
    expect(classifyEnding({ ...base, stopReason: 'duration' }).ending).toBe('duration');
    expect(classifyEnding({ ...base, exit: { code: null, signal: 'SIGBUS', spawnError: null } }).ending).toBe('tracer-crashed');
  });
  it('target-exited only for the -p target; a -c command finishing is completed', () => {
    const gone = facts('dtrace: pid 9 has exited');
    expect(classifyEnding({ ...base, facts: gone, target: { kind: 'pid', pid: 9 } }).ending).toBe('target-exited');
    expect(classifyEnding({ ...base, facts: gone, target: { kind: 'command', command: ['ls'] } }).ending).toBe('completed');
  });
  it('maps endings to exit codes', () => {
    expect(exitCodeForEnding('killed')).toBe(130);
    expect(exitCodeForEnding('disk-full')).toBe(EXIT.io);
    expect(exitCodeForEnding('tracer-refused')).toBe(3);
    expect(exitCodeForEnding('attach-failed')).toBe(3);
    expect(exitCodeForEnding('tracer-crashed')).toBe(4);
    expect(exitCodeForEnding('error', { spawnFailed: true })).toBe(3);
    expect(exitCodeForEnding('error')).toBe(6);
    expect(exitCodeForEnding('completed')).toBeNull();
  });
});

describe('small pieces', () => {
  it('formats the status line', () => {
    expect(formatStatus(3_725_000, { records: 1200, drops: 3, findings: 2 }, 41.6)).toBe(
      'capturing 1:02:05  1200 records (42/s)  drops 3  findings 2',
    );
  });
  it('names default capture folders by tool, UTC time to the millisecond and a random suffix', () => {
    expect(defaultCaptureDir('/x', 'an0840', new Date('2026-01-05T10:15:00.123Z'), '3fa9c2')).toBe('/x/captures/an0840-20260105T101500.123Z-3fa9c2');
    const at = new Date('2026-01-05T10:15:00.123Z');
    expect(defaultCaptureDir('/x', 'an0840', at)).not.toBe(defaultCaptureDir('/x', 'an0840', at));
  });
  it('passes the script with -s to dtrace and as an argument to bpftrace, behind sudo -n when needed', () => {
    expect(tracerArgv('dtrace', { tracerArgs: ['-q', '-p', '5'] }, '/c/script.d')).toEqual(['-q', '-p', '5', '-s', '/c/script.d']);
    expect(tracerArgv('bpftrace', { tracerArgs: ['-p', '5'] }, '/c/script.bt')).toEqual(['-p', '5', '/c/script.bt']);
    const spec = launchSpec({ tracerPath: '/usr/sbin/dtrace', viaSudo: true, sudoPath: '/usr/bin/sudo' }, ['-s', 'x'], 'ignore', {});
    expect([spec.file, ...spec.args]).toEqual(['/usr/bin/sudo', '-n', '--', '/usr/sbin/dtrace', '-s', 'x']);
  });
});

describe('bpftrace -c target', () => {
  it('refuses an interpreter script up front, naming the interpreter to use', async () => {
    const { refuseScriptCommand } = await import('../../src/cli/capture.ts');
    const { mkdtempSync, writeFileSync, chmodSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'loadtrace-script-'));
    const script = join(dir, 'run.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o755);
    expect(() => refuseScriptCommand(script)).toThrow(/interpreter script.*-c "\/bin\/sh /);
    expect(() => refuseScriptCommand(process.execPath)).not.toThrow();
    expect(() => refuseScriptCommand('no-such-command-here')).not.toThrow();
  });
});

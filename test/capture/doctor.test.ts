import { describe, expect, it } from 'vitest';
import { runDoctor, renderDoctor, type DoctorDeps } from '../../src/capture/doctor.ts';
import type { CommandResult, CommandRunner } from '../../src/capture/run-command.ts';
import { FIXTURE_BIN } from './helpers.ts';

const CSRUTIL_DTRACE_OFF =
  'System Integrity Protection status: unknown (Custom Configuration).\n\nConfiguration:\n\tApple Internal: disabled\n\tKext Signing: enabled\n\tFilesystem Protections: enabled\n\tDebugging Restrictions: enabled\n\tDTrace Restrictions: disabled\n\tNVRAM Protections: enabled\n\tBaseSystem Verification: enabled\n\nThis is an unsupported configuration, likely to break in the future and leave your machine in an unknown state.\n';
const CSRUTIL_ON = 'System Integrity Protection status: enabled.\n';

const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '' });
const fail = (stderr: string, code = 1): CommandResult => ({ code, stdout: '', stderr });

/** A runner answering from a table keyed by "file arg arg…"; unknown commands are "not found". */
function canned(table: Record<string, CommandResult>, calls: string[] = []): CommandRunner {
  return async (file, args) => {
    const key = [file.split('/').pop(), ...args].join(' ');
    calls.push(key);
    return table[key] ?? { code: null, stdout: '', stderr: '', error: 'ENOENT' };
  };
}

const listing = (probe: string) => ok(`   ID   PROVIDER            MODULE                          FUNCTION NAME\n  171    syscall                                            ${probe}\n`);

function darwin(table: Record<string, CommandResult>, over: Partial<DoctorDeps> = {}, calls: string[] = []): DoctorDeps {
  return {
    platform: 'darwin',
    arch: 'arm64',
    isRoot: true,
    env: { PATH: '/usr/sbin' },
    run: canned(table, calls),
    exists: () => false,
    locate: () => '/usr/sbin/dtrace',
    ...over,
  };
}

const GOOD_MAC: Record<string, CommandResult> = {
  'dtrace -V': ok('dtrace: Sun D 1.6.4\n'),
  'csrutil status': ok(CSRUTIL_DTRACE_OFF),
  "dtrace -l -n syscall::mmap:entry": listing('mmap entry'),
  'dtrace -l -n mach_trap::_kernelrpc_mach_vm_protect_trap:entry': listing('_kernelrpc_mach_vm_protect_trap entry'),
  'dtrace -l -n proc:::exec-success': listing('exec-success'),
  'dtrace -l -n profile:::profile-997': listing('profile-997'),
};

describe('doctor on macOS (canned outputs)', () => {
  it('passes on a test Mac with DTrace restrictions disabled', async () => {
    const r = await runDoctor(darwin(GOOD_MAC));
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.id === 'sip')).toMatchObject({ status: 'ok', detail: expect.stringContaining('DTrace restrictions are off') });
    expect(r.checks.filter((c) => c.id.startsWith('probe:')).map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(r.checks.find((c) => c.id === 'tracer')?.detail).toBe('/usr/sbin/dtrace (dtrace: Sun D 1.6.4)');
    expect(renderDoctor(r)).toContain('ready to capture');
  });

  it('fails when SIP hides the syscall provider, with the csrutil fix and what SIP disables', async () => {
    const r = await runDoctor(
      darwin({
        ...GOOD_MAC,
        'csrutil status': ok(CSRUTIL_ON),
        'dtrace -l -n syscall::mmap:entry': fail(
          'dtrace: invalid probe specifier syscall::mmap:entry: probe description syscall::mmap:entry does not match any probes. System Integrity Protection is on\n',
        ),
      }),
    );
    expect(r.ok).toBe(false);
    const sip = r.checks.find((c) => c.id === 'sip')!;
    expect(sip.status).toBe('warn');
    expect(sip.detail).toContain('destructive actions');
    expect(sip.fix).toContain('csrutil enable --without dtrace');
    const mmap = r.checks.find((c) => c.id === 'probe:syscall::mmap:entry')!;
    expect(mmap).toMatchObject({ status: 'fail', required: true });
    expect(mmap.fix).toContain('csrutil enable --without dtrace');
    const text = renderDoctor(r);
    expect(text).toContain('FAIL  probe syscall::mmap:entry');
    expect(text).toContain('not ready');
  });

  it('a missing mach_trap provider only warns', async () => {
    const r = await runDoctor(darwin({ ...GOOD_MAC, 'dtrace -l -n mach_trap::_kernelrpc_mach_vm_protect_trap:entry': fail('dtrace: failed to match mach_trap::_kernelrpc_mach_vm_protect_trap:entry: No probe matches description\n') }));
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.id.startsWith('probe:mach_trap'))?.status).toBe('warn');
  });

  it('not root: uses sudo -n for the probe test when it does not prompt; skips it when it would', async () => {
    const calls: string[] = [];
    const sudoOk = await runDoctor(
      darwin(
        { ...GOOD_MAC, 'sudo -n true': ok(''), ...Object.fromEntries(Object.entries(GOOD_MAC).filter(([k]) => k.startsWith('dtrace -l')).map(([k, v]) => [`sudo -n /usr/sbin/${k}`, v])) },
        { isRoot: false, env: { PATH: FIXTURE_BIN } },
        calls,
      ),
    );
    expect(sudoOk.ok).toBe(true);
    expect(calls).toContain('sudo -n /usr/sbin/dtrace -l -n syscall::mmap:entry');
    const prompt = await runDoctor(darwin({ ...GOOD_MAC, 'sudo -n true': fail('sudo: a password is required\n') }, { isRoot: false, env: { PATH: FIXTURE_BIN } }));
    expect(prompt.checks.find((c) => c.id === 'privileges')).toMatchObject({ status: 'warn', fix: expect.stringContaining('sudo') });
    expect(prompt.checks.find((c) => c.id === 'probes')?.status).toBe('skip');
  });

  it('fails without dtrace and says where it should be', async () => {
    const r = await runDoctor(darwin(GOOD_MAC, { locate: () => null }));
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.id === 'tracer')).toMatchObject({ status: 'fail', fix: expect.stringContaining('/usr/sbin') });
  });
});

describe('doctor on Linux (canned outputs)', () => {
  const INFO = 'System\n  OS: Linux 6.18\n\nProbe types\n  kprobe: yes\n  tracepoint: yes\n  perf_event: yes\n';
  const linux = (table: Record<string, CommandResult>, exists: (p: string) => boolean): DoctorDeps => ({
    platform: 'linux',
    arch: 'x64',
    isRoot: true,
    env: {},
    run: canned(table),
    exists,
    locate: () => '/usr/bin/bpftrace',
  });
  it('passes with bpftrace --info and tracefs', async () => {
    const r = await runDoctor(linux({ 'bpftrace --version': ok('bpftrace v0.17.0\n'), 'bpftrace --info': ok(INFO) }, (p) => p === '/sys/kernel/tracing/events'));
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.id, c.status])).toEqual([
      ['platform', 'ok'],
      ['tracer', 'ok'],
      ['privileges', 'ok'],
      ['probes', 'ok'],
      ['tracefs', 'ok'],
    ]);
  });
  it('fails without tracefs and gives the mount command', async () => {
    const r = await runDoctor(linux({ 'bpftrace --version': ok('bpftrace v0.17.0\n'), 'bpftrace --info': ok(INFO) }, () => false));
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.id === 'tracefs')?.fix).toBe('mount -t tracefs nodev /sys/kernel/tracing');
  });
});

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
    findLibc: () => LIBC,
  });
  const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
  const KERNEL = new Set(['/sys/kernel/tracing/events', '/sys/kernel/btf/vmlinux', '/sys/kernel/tracing/uprobe_events', LIBC]);
  const GOOD_BT: Record<string, CommandResult> = {
    'bpftrace --version': ok('bpftrace v0.17.0\n'),
    'bpftrace --info': ok(INFO),
    [`bpftrace -l uprobe:${LIBC}:dlopen`]: ok(`uprobe:${LIBC}:dlopen\n`),
  };
  it('passes with bpftrace --info, tracefs, BTF, uprobes and a libc that exports dlopen', async () => {
    const r = await runDoctor(linux(GOOD_BT, (p) => KERNEL.has(p)));
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.id, c.status])).toEqual([
      ['platform', 'ok'],
      ['tracer', 'ok'],
      ['privileges', 'ok'],
      ['probes', 'ok'],
      ['tracefs', 'ok'],
      ['btf', 'ok'],
      ['uprobes', 'ok'],
      ['libc', 'ok'],
    ]);
    expect(r.checks.find((c) => c.id === 'libc')?.detail).toBe(`${LIBC} exports dlopen (uprobe:${LIBC}:dlopen)`);
  });
  it('fails without tracefs and gives the mount command', async () => {
    const r = await runDoctor(linux(GOOD_BT, (p) => p !== '/sys/kernel/tracing/events' && KERNEL.has(p)));
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.id === 'tracefs')?.fix).toBe('mount -t tracefs nodev /sys/kernel/tracing');
  });
  it('fails without BTF, without uprobes, and with a libc that does not export dlopen, saying which', async () => {
    const noBtf = await runDoctor(linux(GOOD_BT, (p) => p !== '/sys/kernel/btf/vmlinux' && KERNEL.has(p)));
    expect(noBtf.ok).toBe(false);
    expect(noBtf.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['btf']);
    const noUprobes = await runDoctor(linux(GOOD_BT, (p) => p !== '/sys/kernel/tracing/uprobe_events' && KERNEL.has(p)));
    expect(noUprobes.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['uprobes']);
    const noDlopen = await runDoctor(linux({ ...GOOD_BT, [`bpftrace -l uprobe:${LIBC}:dlopen`]: ok('') }, (p) => KERNEL.has(p)));
    expect(noDlopen.ok).toBe(false);
    expect(noDlopen.checks.find((c) => c.id === 'libc')).toMatchObject({ status: 'fail', fix: expect.stringContaining('--libc') });
    const noLibc = await runDoctor({ ...linux(GOOD_BT, (p) => KERNEL.has(p)), findLibc: () => { throw new Error('no libc.so.6 found'); } });
    expect(noLibc.checks.find((c) => c.id === 'libc')).toMatchObject({ status: 'fail', detail: 'no C library to probe: no libc.so.6 found' });
  });
});

describe('doctor for DTrace on Linux (canned outputs)', () => {
  const COMPILE = "dtrace -e -n BEGIN { exit(0); }";
  const deps = (table: Record<string, CommandResult>, exists: (p: string) => boolean): DoctorDeps => ({
    platform: 'linux',
    arch: 'x64',
    isRoot: true,
    env: {},
    run: canned(table),
    exists,
    locate: () => '/opt/dtrace/sbin/dtrace',
    findLibc: () => { throw new Error('the D backend does not use findLibc'); },
  });
  const KERNEL = new Set(['/sys/kernel/tracing/events', '/sys/kernel/tracing/uprobe_events']);
  const GOOD_D = { 'dtrace -V': ok('dtrace: Oracle D 2.0\n'), [COMPILE]: ok('') };
  it("passes with Oracle's DTrace, tracefs at /sys/kernel/tracing, uprobes and a compiled trivial script", async () => {
    const r = await runDoctor(deps(GOOD_D, (p) => KERNEL.has(p)), 'dtrace');
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.id, c.status])).toEqual([
      ['platform', 'ok'],
      ['tracer', 'ok'],
      ['privileges', 'ok'],
      ['probes', 'ok'],
      ['tracefs', 'ok'],
      ['uprobes', 'ok'],
    ]);
    expect(r.checks.some((c) => c.id === 'sip' || c.id.startsWith('probe:'))).toBe(false);
  });
  it('fails for a dtrace that is not Oracle D, for tracefs only under debugfs, and for a failed compile', async () => {
    const other = await runDoctor(deps({ ...GOOD_D, 'dtrace -V': ok('dtrace: Sun D 1.6.4\n') }, (p) => KERNEL.has(p)), 'dtrace');
    expect(other.ok).toBe(false);
    expect(other.checks.find((c) => c.id === 'tracer')).toMatchObject({ status: 'fail', detail: expect.stringContaining('Oracle D') });
    const debugfs = await runDoctor(deps(GOOD_D, (p) => p === '/sys/kernel/debug/tracing/events' || p === '/sys/kernel/debug/tracing/uprobe_events'), 'dtrace');
    expect(debugfs.ok).toBe(false);
    expect(debugfs.checks.find((c) => c.id === 'tracefs')?.detail).toContain('(it is at /sys/kernel/debug/tracing/events)');
    const broken = await runDoctor(deps({ ...GOOD_D, [COMPILE]: fail('dtrace: failed to initialize dtrace: DTrace device not available on system\n') }, (p) => KERNEL.has(p)), 'dtrace');
    expect(broken.ok).toBe(false);
    expect(broken.checks.find((c) => c.id === 'probes')).toMatchObject({ status: 'fail', detail: expect.stringContaining('DTrace device not available') });
  });
});

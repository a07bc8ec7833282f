/**
 * `loadtrace doctor`: can this machine capture, and if not, what to do about
 * it. Every check that fails says how to fix it. The command runner and the
 * file probe are injected, so the checks are tested with canned outputs.
 */
import { existsSync } from 'node:fs';
import type { CommandResult, CommandRunner } from './run-command.ts';
import { parseCsrutilStatus, SIP_DTRACE_LIMITS } from './sip.ts';
import { defaultBackend, locateTracer, tracerEnvVar, tracerVersion, whichSync, type Backend } from './tracer.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** A failing required check makes doctor exit 1; others only warn. */
  readonly required: boolean;
  readonly detail: string;
  /** What to do about a warn or fail. */
  readonly fix: string | null;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly platform: string;
  readonly backend: Backend;
  readonly checks: readonly DoctorCheck[];
}

export interface DoctorDeps {
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  readonly isRoot: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly run: CommandRunner;
  readonly exists: (path: string) => boolean;
  /** Tracer lookup; default PATH and LOADTRACE_DTRACE / LOADTRACE_BPFTRACE. */
  readonly locate?: (backend: Backend) => string | null;
}

/** The probes an0840 relies on, with what is lost without each (docs/platforms/macos.md §2, §7, §8). */
export const DARWIN_PROBES: readonly { probe: string; required: boolean; without: string }[] = [
  { probe: 'syscall::mmap:entry', required: true, without: 'mmap/mprotect tracing (RWX and W->X detection)' },
  {
    probe: 'mach_trap::_kernelrpc_mach_vm_protect_trap:entry',
    required: false,
    without: 'Mach VM calls (mach_vm_protect/map/allocate) are invisible',
  },
  { probe: 'proc:::exec-success', required: true, without: 'process tracking and follow mode' },
  { probe: 'profile:::profile-997', required: false, without: 'execution samples (code run from anonymous memory)' },
];

const TRACEFS = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'];

function check(c: DoctorCheck): DoctorCheck {
  return c;
}

function firstLine(res: CommandResult): string {
  const text = `${res.stderr}\n${res.stdout}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  return text ?? res.error ?? `exit status ${res.code}`;
}

/** Runs every check for this platform. */
export async function runDoctor(deps: DoctorDeps, backendOverride?: Backend): Promise<DoctorReport> {
  const backend = backendOverride ?? defaultBackend(deps.platform);
  const checks: DoctorCheck[] = [];

  const supported = deps.platform === 'darwin' || deps.platform === 'linux';
  checks.push(
    check({
      id: 'platform',
      title: 'platform',
      status: supported ? 'ok' : 'fail',
      required: true,
      detail: `${deps.platform} ${deps.arch}, ${backend} backend`,
      fix: supported ? null : 'loadtrace captures on macOS (DTrace) and Linux (bpftrace); elsewhere use `loadtrace replay` on captures made there',
    }),
  );

  const tracerPath = deps.locate ? deps.locate(backend) : locateTracer(backend, deps.env).path;
  if (!tracerPath) {
    checks.push(
      check({
        id: 'tracer',
        title: backend,
        status: 'fail',
        required: true,
        detail: `${backend} not found (${tracerEnvVar(backend)} unset or not executable, not on PATH)`,
        fix:
          backend === 'dtrace'
            ? 'dtrace ships with macOS as /usr/sbin/dtrace: make sure /usr/sbin is on PATH, or set LOADTRACE_DTRACE'
            : 'install bpftrace (Debian/Ubuntu: apt-get install -y bpftrace), or set LOADTRACE_BPFTRACE to its path',
      }),
    );
  } else {
    const version = await tracerVersion(deps.run, backend, tracerPath);
    checks.push(
      check({
        id: 'tracer',
        title: backend,
        status: version ? 'ok' : 'warn',
        required: true,
        detail: `${tracerPath}${version ? ` (${version})` : ' (did not report its version)'}`,
        fix: version ? null : `run \`${tracerPath} ${backend === 'dtrace' ? '-V' : '--version'}\` to see what is wrong`,
      }),
    );
  }

  // Privileges: root, or sudo that will not prompt (capture asks for the password itself on a terminal).
  let sudoOk = false;
  let sudoPath: string | null = null;
  if (deps.isRoot) {
    checks.push(check({ id: 'privileges', title: 'privileges', status: 'ok', required: true, detail: 'running as root', fix: null }));
  } else {
    sudoPath = whichSync('sudo', deps.env);
    const res = sudoPath ? await deps.run(sudoPath, ['-n', 'true'], { timeoutMs: 10_000, env: deps.env }) : null;
    sudoOk = res?.code === 0;
    checks.push(
      check({
        id: 'privileges',
        title: 'privileges',
        status: sudoOk ? 'ok' : sudoPath ? 'warn' : 'fail',
        required: true,
        detail: sudoOk
          ? 'not root; sudo works without a password prompt'
          : sudoPath
            ? 'not root; sudo needs a password (capture will ask for it on the terminal)'
            : 'not root and sudo is not available',
        fix: sudoOk ? null : `run loadtrace as root (sudo loadtrace …)${sudoPath ? ', or run `sudo -v` first' : ''}`,
      }),
    );
  }
  const canRunTracer = Boolean(tracerPath) && (deps.isRoot || sudoOk);
  const asRoot = (file: string, args: string[]): Promise<CommandResult> =>
    deps.isRoot || !sudoPath ? deps.run(file, args, { timeoutMs: 20_000, env: deps.env }) : deps.run(sudoPath, ['-n', file, ...args], { timeoutMs: 20_000, env: deps.env });

  if (deps.platform === 'darwin') {
    const res = await deps.run('csrutil', ['status'], { timeoutMs: 5000 });
    const sip = parseCsrutilStatus(res.stdout);
    const restricted = sip.dtraceRestricted;
    checks.push(
      check({
        id: 'sip',
        title: 'SIP',
        status: restricted === false ? 'ok' : 'warn',
        required: false,
        detail:
          restricted === false
            ? `DTrace restrictions are off (SIP ${sip.state})`
            : restricted === true
              ? `SIP restricts DTrace (status ${sip.state}); under it:\n${SIP_DTRACE_LIMITS.map((l) => `  - ${l}`).join('\n')}`
              : `could not read SIP status (${res.error ?? (sip.raw || 'no output')})`,
        fix:
          restricted === false
            ? null
            : 'on a test Mac, boot to Recovery and run `csrutil enable --without dtrace` (docs/platforms/macos.md §6), then reboot',
      }),
    );
  }

  if (!canRunTracer) {
    checks.push(
      check({
        id: 'probes',
        title: 'probe test',
        status: 'skip',
        required: false,
        detail: tracerPath ? 'skipped: needs root or password-less sudo' : `skipped: ${backend} not found`,
        fix: null,
      }),
    );
  } else if (backend === 'dtrace' && tracerPath) {
    for (const p of DARWIN_PROBES) {
      const res = await asRoot(tracerPath, ['-l', '-n', p.probe]);
      const listed = res.code === 0 && res.stdout.split('\n').filter((l) => l.trim()).length > 1;
      checks.push(
        check({
          id: `probe:${p.probe}`,
          title: `probe ${p.probe}`,
          status: listed ? 'ok' : p.required ? 'fail' : 'warn',
          required: p.required,
          detail: listed ? 'available' : `not available (${firstLine(res)}); without it: ${p.without}`,
          fix: listed
            ? null
            : /System Integrity Protection/i.test(res.stderr)
              ? 'SIP hides it: `csrutil enable --without dtrace` from Recovery'
              : /privileges/i.test(res.stderr)
                ? 'run as root'
                : 'check `dtrace -l -n ' + `'${p.probe}'\` by hand; the provider may be missing on this macOS version`,
        }),
      );
    }
  } else if (tracerPath) {
    const res = await asRoot(tracerPath, ['--info']);
    const out = `${res.stdout}\n${res.stderr}`;
    const tp = /^\s*tracepoint:\s*yes/m.test(out);
    const perf = /^\s*perf_event:\s*yes/m.test(out);
    const ok = res.code === 0 && tp;
    checks.push(
      check({
        id: 'probes',
        title: 'bpftrace --info',
        status: ok ? (perf ? 'ok' : 'warn') : 'fail',
        required: true,
        detail: ok
          ? `tracepoint: yes, perf_event: ${perf ? 'yes' : 'no (no execution samples)'}`
          : `bpftrace --info failed or reports no tracepoint support (${firstLine(res)})`,
        fix: ok ? (perf ? null : 'a kernel with perf events (CONFIG_PERF_EVENTS) is needed for execution samples') : 'a kernel with BPF and tracepoints (CONFIG_BPF_SYSCALL, CONFIG_FTRACE) is needed; run `bpftrace --info` as root',
      }),
    );
  }

  if (deps.platform === 'linux') {
    const found = TRACEFS.find((p) => deps.exists(p));
    checks.push(
      check({
        id: 'tracefs',
        title: 'tracefs',
        status: found ? 'ok' : 'fail',
        required: backend === 'bpftrace',
        detail: found ? `mounted (${found})` : 'not mounted: tracepoints cannot attach',
        fix: found ? null : 'mount -t tracefs nodev /sys/kernel/tracing',
      }),
    );
  }

  const ok = checks.every((c) => !(c.required && c.status === 'fail'));
  return { ok, platform: deps.platform, backend, checks };
}

/** Doctor's report for people. */
export function renderDoctor(report: DoctorReport): string {
  const label: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };
  const lines = [`loadtrace doctor: ${report.platform}, ${report.backend} backend`];
  for (const c of report.checks) {
    const [first, ...rest] = c.detail.split('\n');
    lines.push(`  ${label[c.status]}  ${c.title}: ${first}`);
    for (const r of rest) lines.push(`        ${r}`);
    if (c.fix && c.status !== 'ok') lines.push(`        fix: ${c.fix}`);
  }
  lines.push(report.ok ? 'ready to capture' : 'not ready: fix the FAIL lines above');
  return `${lines.join('\n')}\n`;
}

/** Doctor with the real system behind it. */
export function systemDoctorDeps(run: CommandRunner, isRoot: boolean): DoctorDeps {
  return { platform: process.platform, arch: process.arch, isRoot, env: process.env, run, exists: existsSync };
}

/**
 * `loadtrace doctor`: can this machine capture, and if not, what to do about
 * it. Every check that fails says how to fix it. The command runner and the
 * file probe are injected, so the checks are tested with canned outputs.
 */
import { existsSync } from 'node:fs';
import type { CommandResult, CommandRunner } from './run-command.ts';
import { parseCsrutilStatus, SIP_DTRACE_LIMITS } from './sip.ts';
import { findLibc } from '../generate/libc.ts';
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
  /** The C library the bpftrace scripts probe (generate's findLibc); throws when there is none. */
  readonly findLibc?: () => string;
}

/** The probes an0840 relies on, with what is lost without each (docs/platforms/macos.md §2, §7, §8). */
const DARWIN_PROBES: readonly { probe: string; required: boolean; without: string }[] = [
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
/** DTrace for Linux reads tracefs at this path only (its libdtrace names no other). */
const DTRACE_LINUX_TRACEFS = '/sys/kernel/tracing/events';
const BTF = '/sys/kernel/btf/vmlinux';
const UPROBE_EVENTS = ['/sys/kernel/tracing/uprobe_events', '/sys/kernel/debug/tracing/uprobe_events'];
/** What `dtrace -V` prints for Oracle's DTrace for Linux, the only D the Linux scripts are written for. */
const ORACLE_D = /Oracle D \d/;

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

  const supported = deps.platform === 'linux' || (deps.platform === 'darwin' && backend === 'dtrace');
  checks.push(
    check({
      id: 'platform',
      title: 'platform',
      status: supported ? 'ok' : 'fail',
      required: true,
      detail: `${deps.platform} ${deps.arch}, ${backend} backend${backend === 'dtrace' && deps.platform === 'linux' ? " (DTrace for Linux)" : ''}`,
      fix: supported ? null : 'loadtrace captures on macOS (DTrace) and Linux (bpftrace, or DTrace for Linux); elsewhere use `loadtrace replay` on captures made there',
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
    // On Linux a `dtrace` may be Oracle's DTrace for Linux, or something else of that name (systemtap's
    // dtrace(1) is a script that only compiles USDT headers): only the first runs D scripts.
    const wrongD = backend === 'dtrace' && deps.platform === 'linux' && !(version !== null && ORACLE_D.test(version));
    checks.push(
      check({
        id: 'tracer',
        title: backend,
        status: wrongD ? 'fail' : version ? 'ok' : 'warn',
        required: true,
        detail: `${tracerPath}${version ? ` (${version})` : ' (did not report its version)'}${wrongD ? `: not Oracle's DTrace for Linux (\`dtrace -V\` should say "Oracle D")` : ''}`,
        fix: wrongD
          ? "install DTrace for Linux (https://github.com/oracle/dtrace-utils; scripts/dtrace-linux/build.sh builds it) and set LOADTRACE_DTRACE to its sbin/dtrace, or use --backend bpftrace"
          : version
            ? null
            : `run \`${tracerPath} ${backend === 'dtrace' ? '-V' : '--version'}\` to see what is wrong`,
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
  } else if (backend === 'dtrace' && tracerPath && deps.platform === 'linux') {
    const res = await asRoot(tracerPath, ['-e', '-n', 'BEGIN { exit(0); }']);
    checks.push(
      check({
        id: 'probes',
        title: 'D compile test',
        status: res.code === 0 ? 'ok' : 'fail',
        required: true,
        detail: res.code === 0 ? "dtrace -e -n 'BEGIN { exit(0); }' compiles" : `dtrace cannot compile a trivial script (${firstLine(res)})`,
        fix: res.code === 0 ? null : `run \`${tracerPath} -e -n 'BEGIN { exit(0); }'\` as root to see why; DTrace for Linux needs BPF, tracefs at /sys/kernel/tracing and its kernel modules`,
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

  if (deps.platform === 'linux') checks.push(...(await linuxKernelChecks(deps, backend, canRunTracer ? tracerPath : null, asRoot)));

  const ok = checks.every((c) => !(c.required && c.status === 'fail'));
  return { ok, platform: deps.platform, backend, checks };
}

/** tracefs, BTF, uprobes and, for bpftrace, the libc its uprobes attach to. */
async function linuxKernelChecks(
  deps: DoctorDeps,
  backend: Backend,
  runnableTracer: string | null,
  asRoot: (file: string, args: string[]) => Promise<CommandResult>,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  if (backend === 'dtrace') {
    const found = deps.exists(DTRACE_LINUX_TRACEFS);
    const elsewhere = TRACEFS.find((p) => p !== DTRACE_LINUX_TRACEFS && deps.exists(p));
    out.push({
      id: 'tracefs',
      title: 'tracefs',
      status: found ? 'ok' : 'fail',
      required: true,
      detail: found
        ? `mounted where DTrace for Linux reads it (${DTRACE_LINUX_TRACEFS})`
        : `not at ${DTRACE_LINUX_TRACEFS}, the only place DTrace for Linux reads it${elsewhere ? ` (it is at ${elsewhere})` : ''}`,
      fix: found ? null : 'mount -t tracefs nodev /sys/kernel/tracing',
    });
  } else {
    const found = TRACEFS.find((p) => deps.exists(p));
    out.push({
      id: 'tracefs',
      title: 'tracefs',
      status: found ? 'ok' : 'fail',
      required: true,
      detail: found ? `mounted (${found})` : 'not mounted: tracepoints cannot attach',
      fix: found ? null : 'mount -t tracefs nodev /sys/kernel/tracing',
    });
    const btf = deps.exists(BTF);
    out.push({
      id: 'btf',
      title: 'BTF',
      status: btf ? 'ok' : 'fail',
      required: true,
      detail: btf ? `kernel type information at ${BTF}` : `${BTF} is missing: the scripts read curtask->real_parent, which bpftrace resolves with BTF`,
      fix: btf ? null : 'a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2020)',
    });
  }
  const uprobes = UPROBE_EVENTS.find((p) => deps.exists(p));
  out.push({
    id: 'uprobes',
    title: 'uprobes',
    status: uprobes ? 'ok' : 'fail',
    required: true,
    detail: uprobes
      ? `available (${uprobes})`
      : `no uprobe_events in tracefs: ${backend === 'dtrace' ? 'the pid provider' : 'the uprobes'} on dlopen/dlsym cannot attach`,
    fix: uprobes ? null : 'a kernel with CONFIG_UPROBE_EVENTS=y, and tracefs mounted',
  });
  if (backend === 'bpftrace') {
    let libc: string | null = null;
    let why = '';
    try {
      libc = (deps.findLibc ?? findLibc)();
    } catch (err) {
      why = (err as Error).message;
    }
    if (libc === null || !deps.exists(libc)) {
      out.push({
        id: 'libc',
        title: 'libc',
        status: 'fail',
        required: true,
        detail: libc === null ? `no C library to probe: ${why}` : `${libc} does not exist`,
        fix: 'pass --libc PATH to capture, naming the library that exports dlopen (glibc 2.34+: libc.so.6, else libdl.so.2)',
      });
    } else if (runnableTracer === null) {
      out.push({ id: 'libc', title: 'libc', status: 'skip', required: false, detail: `${libc}; whether it exports dlopen needs bpftrace as root`, fix: null });
    } else {
      const probe = `uprobe:${libc}:dlopen`;
      const res = await asRoot(runnableTracer, ['-l', probe]);
      const listed = res.code === 0 && res.stdout.split('\n').some((l) => l.trim() === probe);
      out.push({
        id: 'libc',
        title: 'libc',
        status: listed ? 'ok' : 'fail',
        required: true,
        detail: listed ? `${libc} exports dlopen (${probe})` : `${libc} does not export dlopen (bpftrace -l ${probe}: ${res.code === 0 ? 'no match' : firstLine(res)})`,
        fix: listed ? null : 'pass --libc PATH to capture, naming the library that exports dlopen (glibc before 2.34: libdl.so.2)',
      });
    }
  }
  return out;
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

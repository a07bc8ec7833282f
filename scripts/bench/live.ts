/**
 * Live tracing overhead (`npm run bench -- --live`): C workloads run untraced and traced by
 * the an0840 tool through bpftrace (`loadtrace capture --backend bpftrace`). Three classes:
 * worst cases (nothing but traced calls, back to back, every one printed), representative
 * programs (an allocator's mmap/mprotect traffic, a plugin host's dlopen/dlsym traffic, with
 * the program's own work between calls), and the cost floor of a probe (a system call the
 * script does not trace; read-only and read-write mmap the script filters out).
 *
 * Each workload also runs under an empty tracer: bpftrace attached to the same probes as the
 * an0840 script (every tracepoint, uprobe and the sampling profile probe it uses), with empty
 * actions. What the empty tracer adds is the floor any tracer on those probes pays; an0840's
 * cost is reported against it.
 *
 * Each workload times its own loop (CLOCK_MONOTONIC and CLOCK_PROCESS_CPUTIME_ID), so tracer
 * start-up is not counted. Untraced, empty-traced and traced runs alternate, the order rotated
 * every round, so drift on the machine falls on all three. A separate bpftrace run counts the
 * workload's system calls. Linux only; needs root, bpftrace and gcc.
 *
 * Options (after `--live`): `--runs N` (default 5), `--only a,b` (workload names).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

type WorkloadClass = 'worst case' | 'representative' | 'floor';

interface Workload {
  readonly name: string;
  readonly cls: WorkloadClass;
  /** Binary built from scripts/bench/<source>. */
  readonly binary: string;
  /** Arguments; `dir` is the build directory (where the plugins are). */
  readonly args: (dir: string) => string[];
  readonly what: string;
  /** What the workload's calls= counts. */
  readonly callUnit: string;
}

const PLUGINS = 16;

const WORKLOADS: readonly Workload[] = [
  {
    name: 'mmap-work',
    cls: 'worst case',
    binary: 'mmap-work',
    args: () => ['50000'],
    what: '50,000 × (mmap RW, mprotect RX, mprotect RW, munmap) of 64 KiB, back to back',
    callUnit: 'mmap/mprotect/munmap',
  },
  {
    name: 'dlopen-work',
    cls: 'worst case',
    binary: 'dlopen-work',
    args: () => ['5000'],
    what: '5,000 × (dlopen libm.so.6, dlsym cos, dlclose), back to back',
    callUnit: 'dlopen/dlsym/dlclose',
  },
  {
    name: 'alloc-work',
    cls: 'representative',
    binary: 'alloc-work',
    args: () => ['10000', '32'],
    what: '10,000 × (mmap RW 128 KiB, fill, mprotect R, checksum, mprotect RW, munmap)',
    callUnit: 'mmap/mprotect/munmap',
  },
  {
    name: 'alloc-work-1m',
    cls: 'representative',
    binary: 'alloc-work',
    args: () => ['1500', '256'],
    what: '1,500 × the same with 1 MiB blocks (an arena, a GC heap region)',
    callUnit: 'mmap/mprotect/munmap',
  },
  {
    name: 'plugin-host',
    cls: 'representative',
    binary: 'plugin-host',
    args: (dir) => ['once', dir, String(PLUGINS), '200000', '4096', '16'],
    what: `${PLUGINS} plugins dlopen'd once, 17 dlsym each; 200,000 requests of 32 KiB checksum, a dlsym every 16th`,
    callUnit: 'dlopen/dlsym/dlclose',
  },
  {
    name: 'plugin-reload',
    cls: 'representative',
    binary: 'plugin-host',
    args: (dir) => ['reload', dir, String(PLUGINS), '200000', '4096', '16', '20'],
    what: `as plugin-host, but all ${PLUGINS} plugins dlclose'd and dlopen'd again 20 times`,
    callUnit: 'dlopen/dlsym/dlclose',
  },
  {
    name: 'floor-getpid',
    cls: 'floor',
    binary: 'floor-work',
    args: () => ['getpid', '1000000'],
    what: '1,000,000 × getpid (not traced by an0840)',
    callUnit: 'getpid',
  },
  {
    name: 'floor-mmap-r',
    cls: 'floor',
    binary: 'floor-work',
    args: () => ['mmap-r', '300000'],
    what: '300,000 × (mmap R 4 KiB, munmap): probes run, nothing kept',
    callUnit: 'mmap/munmap',
  },
  {
    name: 'floor-mmap-rw',
    cls: 'floor',
    binary: 'floor-work',
    args: () => ['mmap-rw', '300000'],
    what: '300,000 × (mmap RW 4 KiB, munmap): region remembered and forgotten in the kernel',
    callUnit: 'mmap/munmap',
  },
];

const BINARIES: Record<string, { source: string; libs: string[] }> = {
  'mmap-work': { source: 'mmap-work.c', libs: [] },
  'dlopen-work': { source: 'dlopen-work.c', libs: ['-ldl'] },
  'alloc-work': { source: 'alloc-work.c', libs: [] },
  'plugin-host': { source: 'plugin-host.c', libs: ['-ldl'] },
  'floor-work': { source: 'floor-work.c', libs: [] },
};

function run(cmd: string, args: string[], timeoutMs = 600_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`, { cause: r.error });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The empty tracer: every probe of the an0840 bpftrace script, with an empty action. The
 * script's probe lines are those that start a clause (before its predicate or its body);
 * BEGIN and END run once and are left out.
 */
export function emptyTracer(script: string): string {
  const probes: string[] = [];
  let header: string[] = [];
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    if (/^(tracepoint|uprobe|uretprobe|profile|interval|kprobe|kretprobe|usdt):/.test(line)) {
      header.push(...line.split(',').map((p) => p.trim()).filter((p) => p !== ''));
    } else if (header.length > 0) {
      if (line.startsWith('/') || line.startsWith('{')) probes.push(...header);
      header = [];
    }
  }
  const unique = [...new Set(probes)];
  if (unique.length === 0) throw new Error('the an0840 script names no probes');
  return `${unique.map((p) => `${p} { }`).join('\n')}\n`;
}

interface Timing {
  pid: number;
  calls: number;
  wallMs: number;
  cpuMs: number;
}

/** The workload's timing line (bench-common.h), found in its own output or in a capture. */
function timing(text: string, name: string): Timing {
  const m = /workload=\S+ pid=(\d+) calls=(\d+) elapsed_ns=(\d+) cpu_ns=(\d+)/.exec(text);
  if (!m) throw new Error(`${name} printed no timing line: ${text.slice(0, 300)}`);
  return { pid: Number(m[1]), calls: Number(m[2]), wallMs: Number(m[3]) / 1e6, cpuMs: Number(m[4]) / 1e6 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function preflight(): string | null {
  if (process.platform !== 'linux') return 'the live benchmark runs on Linux only';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the live benchmark needs root (bpftrace)';
  for (const tool of ['bpftrace', 'gcc']) {
    if (spawnSync('which', [tool]).status !== 0) return `${tool} not found on PATH`;
  }
  if (!existsSync('/sys/kernel/tracing/events') && !existsSync('/sys/kernel/debug/tracing/events')) {
    return 'tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)';
  }
  return null;
}

/** Records of one process in a bpftrace capture, and the `Lost N events` bpftrace reported. */
function countCapture(cap: string, pid: number): { records: number; byKind: Record<string, number>; lost: number } {
  const byKind: Record<string, number> = {};
  let records = 0;
  let lost = 0;
  for (const file of ['stdout.raw', 'stderr.raw']) {
    const text = readFileSync(join(cap, file), 'utf8');
    for (const line of text.split('\n')) {
      if (line.startsWith('LT1:')) {
        // LT1:<nonce> kind ts pid …: begin and trailer are bpftrace's own pid, so never counted.
        const f = line.split('\t', 5);
        if (Number(f[3]) === pid) {
          records++;
          byKind[f[1]!] = (byKind[f[1]!] ?? 0) + 1;
        }
        continue;
      }
      const m = /^Lost (\d+) events/.exec(line);
      if (m) lost += Number(m[1]);
    }
  }
  return { records, byKind, lost };
}

export interface LiveRow {
  workload: string;
  class: WorkloadClass;
  what: string;
  callUnit: string;
  runs: number;
  untracedMs: number[];
  tracedMs: number[];
  untracedCpuMs: number[];
  tracedCpuMs: number[];
  /** The same under the empty tracer (same probes, empty actions). */
  emptyMs: number[];
  emptyCpuMs: number[];
  /** (traced − untraced) / (empty − untraced), of the medians of CPU time: an0840's cost in units of the empty tracer's. */
  costVsEmptyCpu: number;
  /** traced / untraced − 1, of the medians of wall-clock time. */
  slowdown: number;
  /** The same of the medians of the process's CPU time (user + system). */
  cpuSlowdown: number;
  /** Per interleaved pair, traced / untraced − 1 (wall). */
  pairSlowdowns: number[];
  /** System calls of the whole process (raw_syscalls:sys_enter, one run). */
  syscalls: number;
  /** Calls the workload's loop made of the kind in callUnit. */
  calls: number;
  /** Per traced run: records whose pid is the workload's, and Lost N events. */
  recordsPerRun: number[];
  lostPerRun: number[];
  recordsByKind: Record<string, number>;
  receivedPer1000Syscalls: number;
  emittedPer1000Syscalls: number;
  /** (traced − untraced) medians of wall time, per system call of the process. */
  addedNsPerSyscallWall: number;
  /** (traced − untraced) medians of CPU time, per call of callUnit. */
  addedNsPerCallCpu: number;
  /** System calls a second, untraced (median wall time). */
  syscallsPerSecond: number;
}

function argValue(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Run the live benchmark, print a table and write bench-results/live-<date>.json. */
export async function runLive(opts: { out: string; machine: Record<string, string | number> }): Promise<void> {
  const why = preflight();
  if (why !== null) {
    process.stderr.write(`live benchmark skipped: ${why}\n`);
    process.exitCode = 2;
    return;
  }
  const argv = process.argv.slice(2);
  const runs = Number(argValue(argv, '--runs') ?? 5);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${argValue(argv, '--runs')}`);
  const only = argValue(argv, '--only')?.split(',');
  const unknown = only?.filter((n) => !WORKLOADS.some((w) => w.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown workload ${unknown.join(', ')} (known: ${WORKLOADS.map((w) => w.name).join(', ')})`);
  const chosen = WORKLOADS.filter((w) => only === undefined || only.includes(w.name));

  const dir = mkdtempSync(join(tmpdir(), 'loadtrace-live-'));
  const rows: LiveRow[] = [];
  try {
    for (const [bin, b] of Object.entries(BINARIES)) {
      const cc = run('gcc', ['-O2', '-Wall', '-o', join(dir, bin), join(HERE, b.source), ...b.libs]);
      if (cc.code !== 0) throw new Error(`gcc ${b.source}: ${cc.stderr}`);
    }
    const gen = run(process.execPath, [join(ROOT, 'bin', 'loadtrace.js'), 'generate', 'an0840', '--backend', 'bpftrace']);
    if (gen.code !== 0) throw new Error(`loadtrace generate an0840: ${gen.stderr}`);
    const empty = join(dir, 'empty.bt');
    writeFileSync(empty, emptyTracer(gen.stdout));
    for (let k = 0; k < PLUGINS; k++) {
      const cc = run('gcc', ['-O2', '-shared', '-fPIC', `-DPLUGIN_ID=${k}`, '-o', join(dir, `plugin-${k}.so`), join(HERE, 'plugin.c')]);
      if (cc.code !== 0) throw new Error(`gcc plugin.c: ${cc.stderr}`);
    }
    for (const w of chosen) {
      const bin = join(dir, w.binary);
      const args = w.args(dir);
      const cmd = [bin, ...args].join(' ');
      // Warm the page cache and the dynamic loader's caches once.
      const warm = run(bin, args);
      if (warm.code !== 0) throw new Error(`${w.name}: ${warm.stderr}`);
      const untraced: Timing[] = [];
      const traced: Timing[] = [];
      const emptied: Timing[] = [];
      const recordsPerRun: number[] = [];
      const lostPerRun: number[] = [];
      let byKind: Record<string, number> = {};
      const runUntraced = () => {
        const u = run(bin, args);
        if (u.code !== 0) throw new Error(`${w.name}: ${u.stderr}`);
        untraced.push(timing(u.stdout, w.name));
      };
      const runTraced = (i: number) => {
        const cap = join(dir, `cap-${w.name}-${i}`);
        const c = run(process.execPath, [join(ROOT, 'bin', 'loadtrace.js'), 'capture', 'an0840', '--backend', 'bpftrace', '--out', cap, '--format', 'jsonl', '--log-level', 'error', '-c', cmd]);
        if (!existsSync(join(cap, 'stdout.raw'))) throw new Error(`capture of ${w.name} failed (exit ${c.code}): ${c.stderr.slice(0, 2000)}`);
        // The workload's own output is program output inside the trace.
        const t = timing(readFileSync(join(cap, 'stdout.raw'), 'utf8'), w.name);
        traced.push(t);
        const counted = countCapture(cap, t.pid);
        recordsPerRun.push(counted.records);
        lostPerRun.push(counted.lost);
        byKind = counted.byKind;
        rmSync(cap, { recursive: true, force: true });
      };
      const runEmpty = () => {
        const e = run('bpftrace', [empty, '-c', cmd]);
        if (e.code !== 0) throw new Error(`${w.name} under the empty tracer (exit ${e.code}): ${e.stderr.slice(0, 2000)}`);
        emptied.push(timing(e.stdout, w.name));
      };
      const arms = [runUntraced, runEmpty, (i: number) => runTraced(i)];
      for (let i = 0; i < runs; i++) {
        for (let k = 0; k < arms.length; k++) arms[(i + k) % arms.length]!(i);
      }
      // System calls the workload makes, counted by the kernel's raw_syscalls tracepoint.
      const count = run('bpftrace', ['-e', 'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @n = count(); }', '-c', cmd]);
      const m = /@n:\s*(\d+)/.exec(count.stdout);
      if (!m) throw new Error(`syscall count of ${w.name} failed: ${count.stdout.slice(0, 500)} ${count.stderr.slice(0, 500)}`);
      const syscalls = Number(m[1]);
      const uWall = median(untraced.map((t) => t.wallMs));
      const tWall = median(traced.map((t) => t.wallMs));
      const uCpu = median(untraced.map((t) => t.cpuMs));
      const tCpu = median(traced.map((t) => t.cpuMs));
      const eCpu = median(emptied.map((t) => t.cpuMs));
      const received = median(recordsPerRun);
      const lost = median(lostPerRun);
      const calls = traced[0]!.calls;
      const row: LiveRow = {
        workload: w.name,
        class: w.cls,
        what: w.what,
        callUnit: w.callUnit,
        runs,
        untracedMs: untraced.map((t) => round(t.wallMs)),
        tracedMs: traced.map((t) => round(t.wallMs)),
        untracedCpuMs: untraced.map((t) => round(t.cpuMs)),
        tracedCpuMs: traced.map((t) => round(t.cpuMs)),
        emptyMs: emptied.map((t) => round(t.wallMs)),
        emptyCpuMs: emptied.map((t) => round(t.cpuMs)),
        costVsEmptyCpu: round((tCpu - uCpu) / (eCpu - uCpu), 2),
        slowdown: round(tWall / uWall - 1, 4),
        cpuSlowdown: round(tCpu / uCpu - 1, 4),
        pairSlowdowns: traced.map((t, i) => round(t.wallMs / untraced[i]!.wallMs - 1, 4)),
        syscalls,
        calls,
        recordsPerRun,
        lostPerRun,
        recordsByKind: byKind,
        receivedPer1000Syscalls: round((received / syscalls) * 1000, 3),
        emittedPer1000Syscalls: round(((received + lost) / syscalls) * 1000, 3),
        addedNsPerSyscallWall: Math.round(((tWall - uWall) * 1e6) / syscalls),
        addedNsPerCallCpu: Math.round(((tCpu - uCpu) * 1e6) / calls),
        syscallsPerSecond: Math.round(syscalls / (uWall / 1000)),
      };
      rows.push(row);
      process.stderr.write(
        `${w.name}: untraced ${uWall.toFixed(0)} ms, traced ${tWall.toFixed(0)} ms (${pct(row.slowdown)} wall, ${pct(row.cpuSlowdown)} CPU), empty tracer CPU ${eCpu.toFixed(0)} ms against ${uCpu.toFixed(0)} untraced and ${tCpu.toFixed(0)} traced (an0840 costs ${row.costVsEmptyCpu}x the empty tracer), ${syscalls} syscalls, ${received} records + ${lost} lost (medians)\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${table(rows)}\n`);
  mkdirSync(opts.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..+/, '');
  const file = join(opts.out, `live-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: opts.machine, runs, results: rows }, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}

const spread = (xs: readonly number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

/** The Markdown table of the results: medians with (min–max) over the runs. */
export function table(rows: readonly LiveRow[]): string {
  const lines = [
    '| workload | class | untraced ms | traced ms | slowdown (wall) | slowdown (CPU) | untraced CPU ms | empty tracer CPU ms | an0840 CPU ms | an0840 cost / empty tracer cost (CPU) | syscalls | syscalls/s untraced | records received | records lost | received / 1,000 syscalls | emitted / 1,000 syscalls | added ns / syscall (wall) | added ns / call (CPU) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.class} | ${spread(r.untracedMs)} | ${spread(r.tracedMs)} | ${pct(r.slowdown)} | ${pct(r.cpuSlowdown)} | ${spread(r.untracedCpuMs)} | ${spread(r.emptyCpuMs)} | ${spread(r.tracedCpuMs)} | ${r.costVsEmptyCpu} | ${r.syscalls} | ${r.syscallsPerSecond} | ${median(r.recordsPerRun)} | ${median(r.lostPerRun)} | ${r.receivedPer1000Syscalls} | ${r.emittedPer1000Syscalls} | ${r.addedNsPerSyscallWall} | ${r.addedNsPerCallCpu} |`,
    ),
  ];
  return lines.join('\n');
}

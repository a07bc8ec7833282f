/**
 * Live tracing overhead (`npm run bench -- --live`): an mmap/mprotect-heavy
 * and a dlopen-heavy C workload run untraced and traced by the an0840 tool
 * through bpftrace (`loadtrace capture --backend bpftrace`). Each workload
 * times itself (CLOCK_MONOTONIC around its loop), so tracer start-up is not
 * counted. A separate bpftrace run counts the workload's system calls, for
 * records per 1,000 system calls. Linux only; needs root, bpftrace and gcc.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

interface Workload {
  readonly name: string;
  readonly source: string;
  readonly libs: string[];
  readonly args: string[];
  readonly what: string;
}

const WORKLOADS: readonly Workload[] = [
  { name: 'mmap-work', source: 'mmap-work.c', libs: [], args: ['50000'], what: '50,000 × (mmap RW, mprotect RX, mprotect RW, munmap) of 64 KiB' },
  { name: 'dlopen-work', source: 'dlopen-work.c', libs: ['-ldl'], args: ['5000'], what: '5,000 × (dlopen libm.so.6, dlsym cos, dlclose)' },
];

const RUNS = 3;

function run(cmd: string, args: string[], timeoutMs = 600_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`, { cause: r.error });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function elapsedNs(text: string): number {
  const m = /elapsed_ns=(\d+)/.exec(text);
  if (!m) throw new Error(`workload printed no elapsed_ns: ${text.slice(0, 300)}`);
  return Number(m[1]);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

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

export interface LiveRow {
  workload: string;
  what: string;
  untracedMs: number[];
  tracedMs: number[];
  slowdown: number;
  syscalls: number;
  records: number;
  recordsByKind: Record<string, number>;
  drops: number;
  recordsPer1000Syscalls: number;
  emittedPer1000Syscalls: number;
}

/** Run the live benchmark, print a table and write bench-results/live-<date>.json. */
export async function runLive(opts: { out: string; machine: Record<string, string | number> }): Promise<void> {
  const why = preflight();
  if (why !== null) {
    process.stderr.write(`live benchmark skipped: ${why}\n`);
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'loadtrace-live-'));
  const rows: LiveRow[] = [];
  try {
    for (const w of WORKLOADS) {
      const bin = join(dir, w.name);
      const cc = run('gcc', ['-O2', '-o', bin, join(HERE, w.source), ...w.libs]);
      if (cc.code !== 0) throw new Error(`gcc ${w.source}: ${cc.stderr}`);
      // Warm the page cache and the dynamic loader's caches once.
      run(bin, ['100']);
      const untraced: number[] = [];
      const traced: number[] = [];
      let records = 0;
      let drops = 0;
      let byKind: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const u = run(bin, w.args);
        if (u.code !== 0) throw new Error(`${w.name}: ${u.stderr}`);
        untraced.push(elapsedNs(u.stdout) / 1e6);
        const cap = join(dir, `cap-${w.name}-${i}`);
        const c = run(process.execPath, [join(ROOT, 'bin', 'loadtrace.js'), 'capture', 'an0840', '--backend', 'bpftrace', '--out', cap, '--format', 'jsonl', '--log-level', 'error', '-c', [bin, ...w.args].join(' ')]);
        if (!existsSync(join(cap, 'stdout.raw'))) throw new Error(`capture of ${w.name} failed (exit ${c.code}): ${c.stderr.slice(0, 2000)}`);
        const raw = readFileSync(join(cap, 'stdout.raw'), 'utf8');
        // The workload's own output is program output inside the trace.
        traced.push(elapsedNs(raw) / 1e6);
        const summary = JSON.parse(readFileSync(join(cap, 'summary.json'), 'utf8')) as {
          parse: { records: number; recordsByKind: Record<string, number>; drops: { total: number } };
        };
        // Records about the workload: begin and the END counters are the script's own.
        const k = { ...summary.parse.recordsByKind };
        const own = (k.begin ?? 0) + (k.trailer ?? 0);
        records = summary.parse.records - own;
        drops = summary.parse.drops.total;
        byKind = k;
        rmSync(cap, { recursive: true, force: true });
      }
      // System calls the workload makes, counted by the kernel's raw_syscalls tracepoint.
      const count = run('bpftrace', ['-e', 'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @n = count(); }', '-c', [bin, ...w.args].join(' ')]);
      const m = /@n:\s*(\d+)/.exec(count.stdout);
      if (!m) throw new Error(`syscall count of ${w.name} failed: ${count.stdout.slice(0, 500)} ${count.stderr.slice(0, 500)}`);
      const syscalls = Number(m[1]);
      const row: LiveRow = {
        workload: w.name,
        what: w.what,
        untracedMs: untraced.map((x) => Math.round(x * 10) / 10),
        tracedMs: traced.map((x) => Math.round(x * 10) / 10),
        slowdown: Math.round((median(traced) / median(untraced) - 1) * 1000) / 1000,
        syscalls,
        records,
        recordsByKind: byKind,
        drops,
        recordsPer1000Syscalls: Math.round((records / syscalls) * 1000 * 10) / 10,
        emittedPer1000Syscalls: Math.round(((records + drops) / syscalls) * 1000 * 10) / 10,
      };
      rows.push(row);
      process.stderr.write(`${w.name}: untraced ${median(untraced).toFixed(0)} ms, traced ${median(traced).toFixed(0)} ms (+${(row.slowdown * 100).toFixed(1)}%), ${syscalls} syscalls, ${records} records + ${drops} dropped\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = [
    '| workload | untraced ms (median) | traced ms (median) | slowdown | syscalls | records received | records dropped | received / 1,000 syscalls | emitted / 1,000 syscalls |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${median(r.untracedMs).toFixed(0)} | ${median(r.tracedMs).toFixed(0)} | ${(r.slowdown * 100).toFixed(1)}% | ${r.syscalls} | ${r.records} | ${r.drops} | ${r.recordsPer1000Syscalls} | ${r.emittedPer1000Syscalls} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(opts.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..+/, '');
  const file = join(opts.out, `live-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: opts.machine, runs: RUNS, results: rows }, null, 2)}\n`);
  process.stdout.write(`results: ${file}\n`);
}

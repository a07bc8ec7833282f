/**
 * Seeded trace generator for the benchmark's Linux shape: what a system-wide
 * `loadtrace capture an0840 --backend bpftrace` prints on Debian with
 * bpftrace 0.17. Strings are `%r` of fixed-size `buf()`s, every byte escaped
 * as `\xNN` and padded with `\x00` (comm 16 bytes, paths and symbols 112), so
 * a memory record is about 175 bytes long.
 *
 * The record mix is that of a 15 s system-wide capture taken while python3,
 * node, gcc and shell loops ran (docs/performance.md): samples 27%, mmap 25%,
 * fork/exec/exit 14% each (short-lived processes mapping their libraries and
 * leaving), dlopen/dlsym 2% each, mprotect and bytes 1% each, dlclose 0.1%,
 * munmap none (the kernel side filters unmaps of untracked ranges), and the
 * script's trailer counters at the end. Pids are handed out in order and wrap
 * at 32768 (`/proc/sys/kernel/pid_max` there), so over millions of records
 * many more processes come and go than are alive at once.
 */
import type { RecordKind } from '../../src/protocol/registry.ts';
import { compileFormatter, rng, TraceSink, type GenOptions, type GenStats } from './gen.ts';

/** `buf(s, n)` as bpftrace 0.17's `%r` prints it: every byte as `\xNN`, NUL-padded to n bytes. */
export function bpfBuf(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  let out = '';
  for (let i = 0; i < n; i++) out += '\\x' + (i < b.length ? b[i]! : 0).toString(16).padStart(2, '0');
  return out;
}

const COMM_LEN = 16;
const STR_LEN = 112;
const PID_MAX = 32768;

// Long-lived processes: the ones that sample, JIT and dlopen.
const LONG = ['node', 'python3', 'bash', 'systemd', 'sshd', 'containerd', 'dockerd', 'cron', 'rsyslogd', 'code', 'java', 'postgres'];
const JIT = new Set(['node', 'java', 'code']);
const LOADERS = new Set(['python3', 'node', 'java', 'code']);
// Short-lived children of shells and build tools.
const SHORT: readonly [string, string][] = [
  ['ls', '/usr/bin/ls'],
  ['cat', '/usr/bin/cat'],
  ['grep', '/usr/bin/grep'],
  ['sed', '/usr/bin/sed'],
  ['gcc', '/usr/bin/gcc'],
  ['cc1', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1'],
  ['as', '/usr/bin/x86_64-linux-gnu-as'],
  ['ld', '/usr/bin/x86_64-linux-gnu-ld.bfd'],
  ['python3', '/usr/bin/python3.11'],
  ['pyenv-hooks', '/root/.pyenv/libexec/pyenv-hooks'],
  ['git', '/usr/bin/git'],
  ['uname', '/usr/bin/uname'],
];
const LIBS = [
  '/usr/lib/python3.11/lib-dynload/math.cpython-311-x86_64-linux-gnu.so',
  '/usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so',
  '/usr/lib/x86_64-linux-gnu/libsqlite3.so.0',
  '/usr/lib/x86_64-linux-gnu/libz.so.1',
  '/usr/lib/x86_64-linux-gnu/libffi.so.8',
  '/tmp/.cache/libpayload.so',
];
const SYMBOLS = ['PyInit_math', 'PyInit__json', 'sqlite3_open_v2', 'inflate', 'ffi_call', 'napi_register_module_v1', 'JNI_OnLoad'];

interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  /** comm as printed */
  c: string;
  execd: boolean;
  maps: number;
  base: number;
  /** 16 slots of 16 MiB; a new mapping replaces what was in its slot. */
  slots: (number | null)[];
  cpu: number;
}

const SLOTS = 16;
const SLOT = 0x1000000;

/** Write a Linux-shaped trace of `opts.records` records to `path`. */
export function generateLinuxTrace(path: string, opts: GenOptions): GenStats {
  const rand = rng(opts.seed);
  const ri = (n: number) => Math.floor(rand() * n);
  const pick = <T>(a: readonly T[]): T => a[ri(a.length)]!;
  const fmt = compileFormatter(opts.nonce, 'bpftrace');
  const ncpu = opts.cpus ?? 4;
  const stats: GenStats = { records: 0, lines: 0, bytes: 0, byKind: {}, foreign: 0, blank: 0, dropMessages: 0, processes: 0, verified: 0 };
  const enc = new Map<string, string>();
  const buf = (s: string, n: number) => {
    const k = n + ':' + s;
    let v = enc.get(k);
    if (v === undefined) enc.set(k, (v = bpfBuf(s, n)));
    return v;
  };

  const sink = new TraceSink(path, ncpu, stats, 256);

  let sec = 1_796_563_800;
  let ns = 792_263_445;
  const tsNow = () => `${sec}${String(ns).padStart(9, '0')}`;
  const tick = () => {
    ns += ri(100_000);
    if (ns >= 1e9) {
      ns -= 1e9;
      sec++;
    }
  };
  let nextPid = 18_000;
  const livePids = new Set<number>();
  const allocPid = () => {
    do {
      nextPid += 1 + ri(3);
      if (nextPid >= PID_MAX) nextPid = 300 + ri(100);
    } while (livePids.has(nextPid));
    livePids.add(nextPid);
    return nextPid;
  };
  const proc = (ppid: number, comm: string): Proc => {
    stats.processes++;
    return { pid: allocPid(), ppid, uid: rand() < 0.8 ? 0 : 1000, comm, c: buf(comm, COMM_LEN), execd: false, maps: 0, base: 0x7f0000000000 + ri(0x800) * 0x10000000, slots: new Array<number | null>(SLOTS).fill(null), cpu: ri(ncpu) };
  };
  const long: Proc[] = [];
  for (let i = 0; i < 40; i++) long.push(proc(1, LONG[i % LONG.length]!));
  const young: Proc[] = [];

  const rec = (kind: RecordKind, p: Proc, v: Record<string, string | number | boolean | null>) => {
    const tid = rand() < 0.7 ? p.pid : p.pid + 1 + ri(20);
    sink.record(rand() < 0.9 ? p.cpu : ri(ncpu), fmt[kind](tsNow(), p.pid, p.ppid, tid, p.uid, p.c, v));
    stats.records++;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    tick();
  };
  const mapSlot = (p: Proc, prot: number, anon: boolean) => {
    const i = ri(SLOTS);
    const len = anon ? (1 + ri(64)) * 0x1000 : pick([0x156000, 0x11000, 0x26000, 0x1b4000]);
    p.slots[i] = len;
    rec('mmap', p, { addr: anon ? 0 : p.base + i * SLOT, len, prot, flags: anon ? 0x22 : 0x812, fd: anon ? -1 : 3, off: anon ? 0 : 0x26000, ret: p.base + i * SLOT, err: 0 });
  };

  sink.line('Attaching 48 probes...\n');
  {
    const b = proc(1, 'bpftrace');
    sink.line(fmt.begin(tsNow(), b.pid, b.ppid, b.pid, 0, b.c, { tool: 'an0840', os: 'linux', backend: 'bpftrace' }));
    stats.records++;
    stats.byKind.begin = 1;
  }

  const target = opts.records - 13;
  while (stats.records < target) {
    const r = rand();
    if (r < 0.007) {
      sink.line('\n');
      stats.blank++;
      continue;
    }
    const k = rand();
    if (k < 0.266) {
      const p = rand() < 0.9 ? pick(long) : young.length > 0 ? pick(young) : pick(long);
      const used = p.slots.findIndex((s) => s !== null);
      const pc = used >= 0 && rand() < 0.1 ? p.base + used * SLOT + ri(p.slots[used]!) : 0x555555554000 + ri(0x4000000);
      rec('sample', p, { pc });
    } else if (k < 0.515) {
      // The dynamic loader mapping a fresh image's libraries, or a long-lived process mapping code.
      const fresh = young.find((y) => y.execd && y.maps < 3);
      if (fresh !== undefined && rand() < 0.9) {
        fresh.maps++;
        mapSlot(fresh, 5, false);
      } else {
        const p = pick(long);
        mapSlot(p, JIT.has(p.comm) && rand() < 0.3 ? 7 : 5, JIT.has(p.comm));
      }
    } else if (k < 0.659) {
      if (young.length > 48) continue;
      const parent = rand() < 0.7 ? pick(long.filter((p) => p.comm === 'bash' || p.comm === 'python3' || p.comm === 'node')) : pick(long);
      const child = proc(parent.pid, parent.comm);
      rec('fork', parent, { child: child.pid });
      young.push(child);
    } else if (k < 0.796) {
      const c = young.find((y) => !y.execd);
      if (c === undefined) continue;
      const [comm, path] = pick(SHORT);
      c.execd = true;
      c.comm = comm;
      c.c = buf(comm, COMM_LEN);
      c.slots.fill(null);
      rec('exec', c, { path: buf(path, STR_LEN), pathTrunc: false });
    } else if (k < 0.942) {
      if (young.length === 0) continue;
      const i = young.length > 24 ? 0 : ri(young.length);
      const c = young[i]!;
      if (!c.execd && young.length <= 24 && rand() < 0.9) continue;
      young.splice(i, 1);
      livePids.delete(c.pid);
      rec('exit', c, { status: rand() < 0.95 ? 0 : 1 });
    } else if (k < 0.961) {
      const p = pick(long.filter((q) => LOADERS.has(q.comm)));
      const ok = rand() < 0.8;
      rec('dlopen', p, { path: buf(rand() < 0.98 ? pick(LIBS.slice(0, 5)) : LIBS[5]!, STR_LEN), pathTrunc: false, mode: 2, handle: ok ? 0x55f7dcbc0000 + ri(0x10000) * 16 : 0 });
    } else if (k < 0.979) {
      const p = pick(long.filter((q) => LOADERS.has(q.comm)));
      rec('dlsym', p, { handle: 0x55f7dcbc0000 + ri(0x10000) * 16, symbol: buf(pick(SYMBOLS), STR_LEN), symbolTrunc: false, ret: 0x7f1201f00000 + ri(0x100000) * 16 });
    } else if (k < 0.98) {
      const p = pick(long.filter((q) => LOADERS.has(q.comm)));
      rec('dlclose', p, { handle: 0x55f7dcbc0000 + ri(0x10000) * 16, ret: 0 });
    } else if (k < 0.99) {
      // JIT W^X flips on anonymous memory, each followed by the bytes the script reads there.
      const p = pick(long.filter((q) => JIT.has(q.comm)));
      const i = ri(SLOTS);
      const len = p.slots[i] ?? (1 + ri(64)) * 0x1000;
      const tracked = p.slots[i] !== null;
      p.slots[i] = len;
      const prot = rand() < 0.5 ? 5 : 7;
      rec('mprotect', p, { addr: p.base + i * SLOT, len, prot, ret: 0, err: 0, prevProt: tracked ? 3 : -1, prevFlags: tracked ? 0x22 : -1 });
      rec('bytes', p, { addr: p.base + i * SLOT, data: rand() < 0.02 ? '7f454c46020101000000000000000000' : '00000000000000000000000000000000' });
    }
  }
  sink.drain();
  const b = long[0]!;
  for (const counter of ['dl_nested', 'dlsym_null_symbol', 'regions_tracked', 'regions_forgotten', 'mmap_filtered', 'mprotect_filtered', 'munmap_filtered', 'regions_evicted', 'pids_watched', 'samples_printed', 'samples_limited', 'execs_printed', 'lost']) {
    rec('trailer', b, { counter, value: ri(10000) });
  }
  sink.close();
  return stats;
}

/**
 * Seeded, deterministic trace generator for the benchmark: a macOS dtrace
 * capture of an `an0840` run as the parser would read it, with records in
 * the registry's line format, foreign program output, blank lines, drop
 * messages and per-CPU interleaving.
 *
 * Lines are formatted by a formatter compiled from the registry (same field
 * order, same wire encodings as formatRecord, but without per-call checks and
 * BigInt), and a sample of them is compared byte for byte with formatRecord
 * so that the two cannot drift apart unnoticed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { encodeDtraceS } from '../../src/parse/escape.ts';
import { formatRecord, type FormatFields } from '../../src/parse/format.ts';
import { COMMON_FIELDS, MARKER_PREFIX, RECORD_KINDS, wireFields, type RecordKind } from '../../src/protocol/registry.ts';

export interface GenOptions {
  /** Records to write (noise lines, blank lines and drop messages come on top). */
  readonly records: number;
  readonly seed: number;
  /** 16 lowercase hex digits. */
  readonly nonce: string;
  /** CPUs whose buffers are drained in turn (default 4). */
  readonly cpus?: number;
  /** Compare every Nth record (and the first 20000) with formatRecord (default 997). */
  readonly verifyEvery?: number;
}

export interface GenStats {
  records: number;
  lines: number;
  bytes: number;
  byKind: Partial<Record<RecordKind, number>>;
  foreign: number;
  blank: number;
  dropMessages: number;
  processes: number;
  verified: number;
}

/** xorshift128+ on two 32-bit halves would do; mulberry32 is enough for a benchmark mix. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Values for the fast formatter: int as number, u64 as a non-negative safe
 * integer or a bare lowercase hex string, ts as a decimal string, strings from
 * the generator's fixed tables (checked at start to need no escaping but the
 * terminator), trunc as boolean.
 */
type FastFields = Record<string, string | number | boolean | null>;
type CompiledFn = (ts: string, pid: number, ppid: number, tid: number, uid: number, comm: string, v: FastFields) => string;
/** One formatting function per kind: common fields as arguments, the kind's own fields in an object. */
export type Formatter = Readonly<Record<RecordKind, CompiledFn>>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const HEX2: string[] = [];
const HEX1: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX2.push(i.toString(16).padStart(2, '0'));
  HEX1.push(i.toString(16));
}

/** `x.toString(16)` for a non-negative safe integer, by table: Number#toString(16) costs ~0.6 µs a call. */
export function hex(x: number): string {
  const lo = x >>> 0;
  const hi = (x - lo) / 4294967296;
  const low4 = HEX2[lo >>> 24]! + HEX2[(lo >>> 16) & 255]! + HEX2[(lo >>> 8) & 255]! + HEX2[lo & 255]!;
  if (hi !== 0) return (hi < 256 ? HEX1[hi]! : hi < 65536 ? HEX1[hi >>> 8]! + HEX2[hi & 255]! : HEX1[hi >>> 16]! + HEX2[(hi >>> 8) & 255]! + HEX2[hi & 255]!) + low4;
  if (lo < 256) return HEX1[lo]!;
  if (lo < 65536) return HEX1[lo >>> 8]! + HEX2[lo & 255]!;
  if (lo < 16777216) return HEX1[lo >>> 16]! + HEX2[(lo >>> 8) & 255]! + HEX2[lo & 255]!;
  return HEX1[lo >>> 24]! + HEX2[(lo >>> 16) & 255]! + HEX2[(lo >>> 8) & 255]! + HEX2[lo & 255]!;
}

/**
 * A formatter compiled from the registry for strings that need no escapes
 * (dtrace style, NUL-terminated): one generated function per kind, so each
 * field is a plain property read instead of a keyed lookup by name.
 */
export function compileFormatter(nonce: string, style: 'dtrace' | 'bpftrace' = 'dtrace'): Formatter {
  // bpftrace prints strings as fixed-size buffers the caller has already escaped, and no truncation flag.
  const bpf = style === 'bpftrace';
  const fns = new Map<RecordKind, CompiledFn>();
  const common = new Set<string>(COMMON_FIELDS.map((f) => f.name));
  for (const k of RECORD_KINDS) {
    const parts = [JSON.stringify(`${MARKER_PREFIX}${nonce}\t${k}`)];
    for (const f of wireFields(k)) {
      if (!IDENT.test(f.name)) throw new Error(`registry name ${f.name} is not an identifier`);
      // Common fields are parameters; the kind's own fields come in v.
      const x = common.has(f.name) ? f.name : `v.${f.name}`;
      switch (f.type) {
        case 'int':
        case 'ts':
        case 'word':
        case 'bytes':
          parts.push(`'\\t' + ${x}`);
          break;
        case 'u64':
          parts.push(`'\\t' + (typeof ${x} === 'number' ? hex(${x}) : ${x})`);
          break;
        case 'str':
          parts.push(bpf ? `'\\t' + ${x}` : `'\\t' + ${x} + '\\\\0'`);
          break;
        case 'str?':
          parts.push(bpf ? `(${x} === null ? '\\t' : '\\t' + ${x})` : `(${x} === null ? '\\t' : '\\t' + ${x} + '\\\\0')`);
          break;
        case 'trunc':
          parts.push(bpf ? `'\\t-'` : `(${x} ? '\\t1' : '\\t0')`);
          break;
      }
    }
    const body = `return function format_${k}(${COMMON_FIELDS.map((f) => f.name).join(', ')}, v) { return ${parts.join(' + ')} + '\\n'; };`;
    fns.set(k, new Function('hex', body)(hex) as CompiledFn);
  }
  const out = {} as Record<RecordKind, CompiledFn>;
  for (const [k, fn] of fns) out[k] = fn;
  return out;
}

/** formatRecord's input for the same values (numbers that are u64 become bigint-free integers; hex strings get 0x). */
function toFormatFields(kind: RecordKind, v: FastFields): FormatFields {
  const out: Record<string, string | number | boolean | null> = {};
  for (const f of wireFields(kind)) {
    const x = v[f.name]!;
    out[f.name] = f.type === 'u64' && typeof x === 'string' ? '0x' + x : x;
  }
  return out;
}

// Processes the default macOS baseline does not expect to load code at run time.
const COMMS_PLAIN = ['bash', 'zsh', 'ls', 'cat', 'grep', 'launchd', 'cfprefsd', 'mds_stores', 'sshd', 'make', 'clang', 'git', 'curl', 'Finder', 'Dock', 'WindowServer', 'coreaudiod', 'trustd', 'softwareupdated'];
// Processes it expects to (dlopen, dlsym; the first five also JIT, node and java by W^X flips).
const COMMS_JIT = ['node', 'java', 'Google Chrome Helper (Renderer)', 'com.apple.WebKit.WebContent', 'firefox'];
const COMMS_WX = ['node', 'java'];
const COMMS_LOADERS = [...COMMS_JIT, 'python3', 'mdworker_shared', 'Xcode'];
// Processes that do something suspicious now and then: these make the findings.
const COMMS_ODD = ['updater', 'helperd', 'svc-agent', 'syncer'];
const LIBS_SYSTEM = [
  '/usr/lib/libz.1.dylib',
  '/usr/lib/libsqlite3.dylib',
  '/usr/lib/libxml2.2.dylib',
  '/System/Library/Frameworks/Security.framework/Versions/A/Security',
  '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation',
  '/System/Library/PrivateFrameworks/SkyLight.framework/Versions/A/SkyLight',
  '/usr/lib/swift/libswiftCore.dylib',
];
const LIBS_OTHER = ['/opt/homebrew/lib/libssl.3.dylib', '/Applications/Tool.app/Contents/Frameworks/libtool.dylib', '/tmp/.cache/libpayload.dylib', '/Users/alice/Downloads/plugin.dylib'];
const SYMBOLS = ['malloc', 'free', 'objc_msgSend', 'CFStringCreateWithCString', 'sqlite3_open', 'inflate', 'SSL_new', 'pthread_create', 'strlen', 'mprotect', 'dlopen', 'task_for_pid'];
const EXEC_PATHS: Record<string, string> = {
  bash: '/bin/bash',
  zsh: '/bin/zsh',
  ls: '/bin/ls',
  cat: '/bin/cat',
  grep: '/usr/bin/grep',
  make: '/usr/bin/make',
  clang: '/usr/bin/clang',
  git: '/usr/bin/git',
  curl: '/usr/bin/curl',
  node: '/opt/homebrew/bin/node',
  java: '/usr/bin/java',
  jsc: '/System/Library/Frameworks/JavaScriptCore.framework/Versions/A/Helpers/jsc',
  updater: '/Users/alice/Library/Application Support/upd/updater',
  helperd: '/private/tmp/helperd',
};
const FOREIGN = [
  'Listening on http://127.0.0.1:8080',
  'GET /index.html 200 3.2ms',
  'warning: deprecated option --foo',
  '[worker 3] job 1842 done',
  'Compiling module app.core (12/40)',
  'LT2: not a record, just text that looks a bit like one',
  'ok 17 - parses config',
];
const BYTES_PLAIN = 'fd7bbfa9fd030091ff4300d1e00b00f9e10700f9ff430091fd7bc1a8c0035fd6';
const BYTES_MACHO = 'cffaedfe0c000001000000000600000012000000e80400008580210000000000';

/** Every string the generator can print, checked once: formatRecord must print it as itself plus `\0`. */
function checkStringTables(): void {
  const all = [...COMMS_PLAIN, ...COMMS_LOADERS, ...COMMS_ODD, ...LIBS_SYSTEM, ...LIBS_OTHER, ...SYMBOLS, ...Object.values(EXEC_PATHS)];
  for (const s of all) {
    if (encodeDtraceS(s) !== s + '\\0') throw new Error(`generator string needs escaping: ${s}`);
  }
}

interface Slot {
  len: number;
  prot: number;
  anon: boolean;
}

interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  path: string;
  jit: boolean;
  wx: boolean;
  loader: boolean;
  odd: boolean;
  threads: number;
  /** 32 fixed address slots of 16 MiB each: mappings never overlap, munmap frees a slot. */
  slots: (Slot | null)[];
  base: number;
  cpu: number;
}

const SLOTS = 32;
const SLOT_SIZE = 0x1000000;
const PAGE = 4096;
const MAP_PRIVATE = 0x2;
const MAP_ANON = 0x1000;
const MAP_JIT = 0x800;

/**
 * Where a generated trace goes. Lines go straight into one byte buffer, so that no string
 * outlives a young-generation GC; records wait in per-CPU buffers drained in turn, as dtrace
 * without -x temporal and bpftrace's perf buffers deliver them, so timestamps arrive out of
 * order across CPUs. Every generated string is ASCII, so latin1 bytes are its UTF-8 bytes.
 */
export class TraceSink {
  private readonly fd: number;
  private readonly out = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private readonly cpus: string[][];
  private held = 0;

  constructor(
    path: string,
    ncpu: number,
    private readonly stats: GenStats,
    /** Records held across the CPU buffers before they are drained. */
    private readonly drainEvery: number,
  ) {
    this.fd = openSync(path, 'w');
    this.cpus = Array.from({ length: ncpu }, () => []);
  }

  /** A line written now, outside the CPU buffers (tracer messages, program output, begin). */
  line(l: string): void {
    if (this.pos + l.length > this.out.length) this.flush();
    this.pos += this.out.write(l, this.pos, 'latin1');
    this.stats.lines++;
  }

  /** A record on one CPU's buffer. */
  record(cpu: number, l: string): void {
    this.cpus[cpu]!.push(l);
    if (++this.held >= this.drainEvery) this.drain();
  }

  /** Every CPU's buffer in turn. */
  drain(): void {
    for (const b of this.cpus) {
      for (const l of b) this.line(l);
      b.length = 0;
    }
    this.held = 0;
  }

  /** Drains, writes what is buffered and closes the file. */
  close(): void {
    this.drain();
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.pos === 0) return;
    writeSync(this.fd, this.out, 0, this.pos);
    this.stats.bytes += this.pos;
    this.pos = 0;
  }
}

/** Write a trace of `opts.records` records to `path`; returns what was written. */
export function generateTrace(path: string, opts: GenOptions): GenStats {
  checkStringTables();
  const rand = rng(opts.seed);
  const ri = (n: number) => Math.floor(rand() * n);
  const pick = <T>(a: readonly T[]): T => a[ri(a.length)]!;
  const fmt = compileFormatter(opts.nonce);
  const ncpu = opts.cpus ?? 4;
  const verifyEvery = opts.verifyEvery ?? 997;
  const stats: GenStats = { records: 0, lines: 0, bytes: 0, byKind: {}, foreign: 0, blank: 0, dropMessages: 0, processes: 0, verified: 0 };

  const sink = new TraceSink(path, ncpu, stats, 512);

  // Clock: seconds and nanoseconds apart, since ns since the epoch exceed 2^53.
  let sec = 1_732_700_000;
  let ns = 123_456_789;
  const tsNow = () => `${sec}${String(ns).padStart(9, '0')}`;
  const tick = () => {
    // 50 µs apart on average: 20,000 records a second of trace time.
    ns += ri(100_000);
    if (ns >= 1e9) {
      ns -= 1e9;
      sec++;
    }
  };

  let nextPid = 400;
  const live: Proc[] = [];
  const newProc = (ppid: number, comm: string): Proc => {
    stats.processes++;
    const pid = nextPid;
    nextPid += 1 + ri(7);
    if (nextPid > 99_000) nextPid = 400;
    return {
      pid,
      ppid,
      uid: comm === 'launchd' || comm === 'WindowServer' ? 0 : 501,
      comm,
      path: EXEC_PATHS[comm] ?? `/usr/libexec/${comm}`,
      jit: COMMS_JIT.includes(comm),
      wx: COMMS_WX.includes(comm),
      loader: COMMS_LOADERS.includes(comm),
      odd: COMMS_ODD.includes(comm),
      threads: 1 + ri(6),
      slots: new Array<Slot | null>(SLOTS).fill(null),
      base: 0x100000000 + ri(0x1000) * 0x100000000,
      cpu: ri(ncpu),
    };
  };
  const randomComm = () => {
    const r = rand();
    return r < 0.5 ? pick(COMMS_PLAIN) : r < 0.97 ? pick(COMMS_LOADERS) : pick(COMMS_ODD);
  };
  for (let i = 0; i < 40; i++) live.push(newProc(1, randomComm()));

  const rec = (kind: RecordKind, p: Proc, v: FastFields) => {
    const ts = tsNow();
    const tid = p.pid * 10 + ri(p.threads);
    const line = fmt[kind](ts, p.pid, p.ppid, tid, p.uid, p.comm, v);
    const n = stats.records;
    if (n < 20_000 || n % verifyEvery === 0) {
      const all = { ts, pid: p.pid, ppid: p.ppid, tid, uid: p.uid, comm: p.comm, ...v };
      const ref = formatRecord(opts.nonce, kind, toFormatFields(kind, all));
      if (ref !== line) throw new Error(`fast formatter differs from formatRecord for ${kind}:\n${line}${ref}`);
      stats.verified++;
    }
    stats.records++;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    // Mostly on the process's own CPU: threads migrate now and then.
    sink.record(rand() < 0.9 ? p.cpu : ri(ncpu), line);
    tick();
  };

  sink.line(fmt.begin(tsNow(), 0, 0, 0, 0, 'dtrace', { tool: 'an0840', os: 'darwin', backend: 'dtrace' }));
  stats.records++;
  stats.byKind.begin = 1;

  const freeSlot = (p: Proc) => {
    const start = ri(SLOTS);
    for (let k = 0; k < SLOTS; k++) {
      const i = (start + k) % SLOTS;
      if (p.slots[i] === null) return i;
    }
    return -1;
  };
  const usedSlot = (p: Proc, exec: boolean) => {
    const start = ri(SLOTS);
    for (let k = 0; k < SLOTS; k++) {
      const i = (start + k) % SLOTS;
      const s = p.slots[i];
      if (s != null && (!exec || s.prot & 4)) return i;
    }
    return -1;
  };

  const target = opts.records;
  while (stats.records < target) {
    const r = rand();
    if (r < 0.003) {
      // Program output interleaved with the trace, and the blank lines it prints.
      sink.line(pick(FOREIGN) + '\n');
      stats.foreign++;
      continue;
    }
    if (r < 0.005) {
      sink.line('\n');
      stats.blank++;
      continue;
    }
    if (r < 0.00502) {
      sink.line(`dtrace: ${1 + ri(500)} drop${rand() < 0.1 ? '' : 's'} on CPU ${ri(ncpu)}\n`);
      stats.dropMessages++;
      continue;
    }
    const p = live[ri(live.length)]!;
    const k = rand();
    if (k < 0.7) {
      // Samples: mostly inside an executable mapping the trace saw, else in the main image.
      const i = rand() < 0.8 ? usedSlot(p, true) : -1;
      const pc = i >= 0 ? p.base + i * SLOT_SIZE + ri(p.slots[i]!.len) : 0x100000000 + ri(0x400000);
      rec('sample', p, { pc });
    } else if (k < 0.77) {
      const i = freeSlot(p);
      if (i < 0) continue;
      const len = (1 + ri(256)) * PAGE;
      const addr = p.base + i * SLOT_SIZE;
      const fail = rand() < 0.005;
      if (p.jit && rand() < 0.3) {
        rec('mmap', p, { addr: 0, len, prot: 7, flags: MAP_PRIVATE | MAP_ANON | MAP_JIT, fd: -1, off: 0, ret: fail ? 'ffffffffffffffff' : addr, err: fail ? 12 : 0 });
        if (!fail) p.slots[i] = { len, prot: 7, anon: true };
      } else {
        rec('mmap', p, { addr: 0, len, prot: 5, flags: MAP_PRIVATE, fd: 3 + ri(20), off: ri(64) * PAGE, ret: fail ? 'ffffffffffffffff' : addr, err: fail ? 12 : 0 });
        if (!fail) p.slots[i] = { len, prot: 5, anon: false };
      }
    } else if (k < 0.83) {
      // JIT-style W^X flips on anonymous memory the script tracked (prevProt from its table), or on known regions.
      const used = usedSlot(p, false);
      if (used >= 0 && rand() < 0.6 && (p.wx || !p.slots[used]!.anon)) {
        const s = p.slots[used]!;
        const prot = s.anon ? (s.prot === 5 ? 3 : 5) : 1;
        rec('mprotect', p, { addr: p.base + used * SLOT_SIZE, len: s.len, prot, ret: 0, err: 0, prevProt: s.anon ? s.prot : -1, prevFlags: s.anon ? MAP_PRIVATE | MAP_ANON : -1 });
        s.prot = prot;
      } else if (p.wx || (p.odd && rand() < 0.05)) {
        const i = freeSlot(p);
        if (i < 0) continue;
        const len = (1 + ri(64)) * PAGE;
        rec('mprotect', p, { addr: p.base + i * SLOT_SIZE, len, prot: 5, ret: 0, err: 0, prevProt: 3, prevFlags: MAP_PRIVATE | MAP_ANON });
        p.slots[i] = { len, prot: 5, anon: true };
      } else continue;
    } else if (k < 0.89) {
      const i = usedSlot(p, false);
      if (i < 0) continue;
      rec('munmap', p, { addr: p.base + i * SLOT_SIZE, len: p.slots[i]!.len, ret: 0 });
      p.slots[i] = null;
    } else if (k < 0.915) {
      if (!p.loader && !p.odd && rand() < 0.9) continue;
      const path = rand() < (p.odd ? 0.3 : 0.97) ? pick(LIBS_SYSTEM) : pick(LIBS_OTHER);
      const ok = rand() < 0.97;
      rec('dlopen', p, { path, pathTrunc: false, mode: rand() < 0.5 ? 1 : 0xa, handle: ok ? 0x600000000000 + ri(0x100000) * 16 : 0 });
    } else if (k < 0.955) {
      if (!p.loader && rand() < 0.99) continue;
      const sym = rand() < 0.95 ? pick(SYMBOLS.slice(0, 9)) : pick(SYMBOLS);
      rec('dlsym', p, { handle: rand() < 0.2 ? 'fffffffffffffffe' : 0x600000000000 + ri(0x100000) * 16, symbol: sym, symbolTrunc: false, ret: 0x180000000 + ri(0x1000000) * 4 });
    } else if (k < 0.965) {
      rec('dlclose', p, { handle: 0x600000000000 + ri(0x100000) * 16, ret: 0 });
    } else if (k < 0.985) {
      const i = usedSlot(p, true);
      if (i < 0) continue;
      const s = p.slots[i]!;
      rec('bytes', p, { addr: p.base + i * SLOT_SIZE, data: s.anon && p.odd && rand() < 0.2 ? BYTES_MACHO : BYTES_PLAIN });
    } else if (k < 0.9855) {
      // Processes come and go: fork (+ exec of a new image in the child), or exit.
      if (live.length < 64 && (live.length < 24 || rand() < 0.5)) {
        const child = newProc(p.pid, p.comm);
        child.path = p.path;
        child.jit = p.jit;
        child.wx = p.wx;
        child.loader = p.loader;
        child.odd = p.odd;
        child.base = p.base;
        child.slots = p.slots.map((s) => (s === null ? null : { ...s }));
        rec('fork', p, { child: child.pid });
        live.push(child);
        if (rand() < 0.8) {
          const comm = randomComm();
          child.comm = comm;
          child.path = EXEC_PATHS[comm] ?? `/usr/libexec/${comm}`;
          child.jit = COMMS_JIT.includes(comm);
          child.wx = COMMS_WX.includes(comm);
          child.loader = COMMS_LOADERS.includes(comm);
          child.odd = COMMS_ODD.includes(comm);
          rec('exec', child, { path: child.path, pathTrunc: false });
          child.slots.fill(null);
        }
      } else if (live.length > 8) {
        rec('exit', p, { status: rand() < 0.9 ? 0 : 1 });
        live.splice(live.indexOf(p), 1);
      }
    }
  }
  sink.close();
  return stats;
}

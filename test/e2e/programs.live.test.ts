/**
 * Live end-to-end tests on Linux: the real CLI runs the real bpftrace against
 * small C programs that really do each behaviour (DESIGN "How we know it
 * works", point 3). Every test asserts the exact set of rules a program must
 * fire, and that each finding names that program and no other process.
 *
 * One file, run in order: bpftrace attaches are heavy and must not compete
 * for the CPUs. Captures that several tests read are made once.
 */
import { spawn as spawnChild } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatJsonLines, replay, type ReplayResult } from '../../src/index.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import type { Finding } from '../../src/engine/index.ts';
import { buildPayloadLibrary, buildProgram, describeLive } from '../helpers/live.ts';
import {
  describeFindings,
  dirFindings,
  dirMeta,
  distinct,
  killLeftovers,
  liveFindings,
  parseFindings,
  programOutput,
  rank,
  runCli,
  SHIPPED_LINUX_BASELINE,
  type CliRun,
} from './support.ts';

const CAPTURE_MS = 60_000;

interface Capture {
  readonly dir: string;
  readonly run: CliRun;
  /** Findings printed on stdout while the capture ran, as first seen. */
  readonly live: Finding[];
  /** The same findings printed again when the capture ended, in their final state. */
  readonly final: Finding[];
  /** The same capture read back through the library, with its events. */
  readonly replayed: ReplayResult;
}

let work = '';
const built = new Set<string>();

function program(name: string): string {
  const p = buildProgram(name);
  built.add(dirname(p));
  return p;
}

/** Runs `loadtrace capture [tool] --backend bpftrace -c CMD` into a fresh directory and reads it back. */
async function capture(label: string, command: string, extra: readonly string[] = [], tool?: string): Promise<Capture> {
  const dir = join(work, `capture-${label}`);
  const args = ['capture', ...(tool ? [tool] : []), '--backend', 'bpftrace', '--out', dir, '--format', 'jsonl', '--log-level', 'warn', ...extra, '-c', command];
  const run = await runCli(args);
  const replayed = await replay(dir, { keepEvents: true });
  const { firstSeen, final } = liveFindings(run.stdout);
  return { dir, run, live: firstSeen, final, replayed };
}

/** Starts a program outside any capture (for the system-wide test). */
function spawnProgram(path: string) {
  return spawnChild(path, [], { stdio: 'ignore' });
}

const once = new Map<string, Promise<Capture>>();
function captureOnce(label: string, make: () => Promise<Capture>): Promise<Capture> {
  let p = once.get(label);
  if (!p) {
    p = make();
    once.set(label, p);
  }
  return p;
}

function execsOf(c: Capture, path: string): TraceEvent[] {
  return c.replayed.events.filter((e) => e.kind === 'exec' && e.path === path);
}

/** The pid the traced program ran as: the one exec of its binary the capture saw. */
function programPid(c: Capture, path: string): number {
  const execs = execsOf(c, path);
  expect(execs.map((e) => e.pid), `exec events of ${path}`).toHaveLength(1);
  return execs[0]!.pid;
}

/** Every finding belongs to the traced program: its pid, its name, its executable, never the tracer or the CLI. */
function expectAllFromProgram(c: Capture, findings: readonly Finding[], path: string): void {
  const pid = programPid(c, path);
  const meta = dirMeta(c.dir);
  for (const f of findings) {
    expect(f.process, f.id).toMatchObject({ pid, name: basename(path).slice(0, 15), path });
    expect(f.process.pid).not.toBe(meta.tracer.pid);
    expect(f.process.pid).not.toBe(c.run.pid);
    for (const ev of f.evidence) expect(ev.pid, `evidence of ${f.id}`).toBe(pid);
  }
}

function ruleNames(fs: readonly Finding[]): string[] {
  return distinct(fs.map((f) => f.name));
}

/** A capture that ran to completion: exit 0, nothing malformed, nothing lost. */
function expectClean(c: Capture, opts: { drops?: boolean } = {}): void {
  expect(c.run.code, `exit code; stderr:\n${c.run.stderr}`).toBe(0);
  const meta = dirMeta(c.dir);
  expect(meta.tracer.backend).toBe('bpftrace');
  expect(meta.ending).toBe('completed');
  expect(c.replayed.parse.parseErrors, 'parse errors').toBe(0);
  expect(c.replayed.parse.forged, 'forged lines').toBe(0);
  if (!opts.drops) {
    expect(c.replayed.parse.drops.total, 'drops').toBe(0);
    // Every end-of-run counter the script announced arrived.
    const kinds = c.replayed.blindSpots.map((b) => b.kind);
    expect(kinds, 'trailer blind spots').not.toContain('partial_trailer');
    expect(kinds, 'trailer blind spots').not.toContain('missing_trailer');
    expect(c.replayed.parse.recordsByKind.trailer, 'trailers').toBeGreaterThan(1);
  }
  // Findings print on stdout when they first appear; findings.jsonl keeps their final state
  // (counts, last times, correlated members). The same findings, first seen at the same time.
  expect(c.live.map(identity)).toEqual(dirFindings(c.dir).map(identity));
  // When the capture ended, stdout gave each finding again in that final state.
  expect(c.final).toEqual(dirFindings(c.dir));
}

function identity(f: Finding): unknown {
  return { id: f.id, rule: f.rule, name: f.name, process: f.process, firstTs: f.firstTs };
}

describeLive('live bpftrace captures of real programs', () => {
  beforeAll(() => {
    // Under /tmp on purpose: a library there is in a user-writable location.
    work = mkdtempSync('/tmp/loadtrace-e2e-');
  });

  afterAll(() => {
    const left = killLeftovers();
    if (work) rmSync(work, { recursive: true, force: true });
    for (const d of built) rmSync(d, { recursive: true, force: true });
    expect(left, 'CLI processes still running after the tests').toBe(0);
  });

  // ---- loader: dlopen from a path holding a space and a tab, dlopen(NULL), dlsym ----

  let libPath = '';
  const loaderCapture = () =>
    captureOnce('loader', async () => {
      const loader = program('loader');
      libPath = buildPayloadLibrary(join(work, 'lib pay\tload.so'));
      // The tracers split -c on whitespace, so the path travels in a file (loader.c reads "@FILE").
      const pathFile = join(work, 'libpath');
      writeFileSync(pathFile, libPath);
      return capture('loader', `${loader} @${pathFile}`);
    });

  it(
    'loader: finds exactly the atypical loads and symbol lookups of that program, with the exact library path',
    async () => {
      const c = await loaderCapture();
      expectClean(c);
      const loader = program('loader');
      const fs = dirFindings(c.dir);
      expect(ruleNames(fs), describeFindings(fs)).toEqual(['atypical-dlsym', 'atypical-loader', 'correlated-activity', 'writable-location-lib']);
      expectAllFromProgram(c, fs, loader);

      // atypical-loader: dlopen(NULL) only; the library lies under the temp directory, a call LT-007 reports alone.
      const loads = fs.filter((f) => f.name === 'atypical-loader');
      expect(loads.map((f) => f.detail.path)).toEqual([null]);

      // writable-location-lib: the library, byte for byte (space and tab included), once.
      const writable = fs.filter((f) => f.name === 'writable-location-lib');
      expect(writable).toHaveLength(1);
      expect(writable[0]!.detail.path).toBe(libPath);
      expect(writable[0]!.evidence.map((e) => [e.kind, e.fields.path, e.fields.pathTrunc])).toEqual([['dlopen', libPath, false]]);
      expect(writable[0]!.baseline.expected).toBe(false);

      // atypical-dlsym: the three lookups, mprotect weighing more than the harmless ones.
      const syms = fs.filter((f) => f.name === 'atypical-dlsym');
      expect(syms.map((f) => f.detail.symbol).sort()).toEqual(['getpid', 'mprotect', 'payload_answer']);
      const bySym = new Map(syms.map((f) => [f.detail.symbol as string, f]));
      expect(bySym.get('mprotect')!.detail.sensitive).toBe(true);
      expect(bySym.get('getpid')!.detail.sensitive).toBe(false);
      expect(bySym.get('payload_answer')!.detail.sensitive).toBe(false);
      expect(rank(bySym.get('mprotect')!.severity)).toBeGreaterThan(rank(bySym.get('getpid')!.severity));
      expect(rank(bySym.get('mprotect')!.severity)).toBeGreaterThan(rank(bySym.get('payload_answer')!.severity));
      // The address the tracer saw dlsym return is the one the program printed.
      const [line] = programOutput(c.dir, 'loader: ');
      const printed = /mprotect=(0x[0-9a-f]+)/.exec(line ?? '')?.[1];
      expect(printed, `program output ${JSON.stringify(line)}`).toBeDefined();
      expect(bySym.get('mprotect')!.detail.resolved).toBe(printed);
    },
    CAPTURE_MS,
  );

  it(
    'loader: the correlated finding lists every distinct non-info rule the process fired',
    async () => {
      const c = await loaderCapture();
      const final = dirFindings(c.dir);
      const corr = final.filter((f) => f.name === 'correlated-activity');
      expect(corr).toHaveLength(1);
      const members = distinct(final.filter((f) => f.name !== 'correlated-activity' && f.severity !== 'info').map((f) => f.name));
      expect(distinct(corr[0]!.detail.rules as string[]), describeFindings(final)).toEqual(members);
    },
    CAPTURE_MS,
  );

  it(
    'live vs replay: `loadtrace replay DIR` gives the very findings the live run printed',
    async () => {
      const c = await loaderCapture();
      const r = await runCli(['replay', c.dir, '--format', 'jsonl']);
      expect(r.code, r.stderr).toBe(0);
      const replayed = parseFindings(r.stdout);
      expect(replayed.length).toBeGreaterThan(0);
      const kept = dirFindings(c.dir);
      // The same findings in the same order, then whole findings: rule, process, region,
      // count, evidence, verdict; nothing is ignored.
      expect(replayed.map((f) => f.id)).toEqual(kept.map((f) => f.id));
      expect(replayed).toEqual(kept);
      // And the library API agrees with the CLI.
      expect(parseFindings(formatJsonLines(c.replayed.findings))).toEqual(replayed);
    },
    CAPTURE_MS,
  );

  // ---- rwx: anonymous RWX mapping, called for 0.6 s so samples land in it ----

  it(
    'rwx: finds the RWX anonymous mapping and execution in it, in that program only',
    async () => {
      const rwx = program('rwx');
      const c = await capture('rwx', `${rwx} 0.6`);
      expectClean(c);
      const fs = dirFindings(c.dir);
      expect(ruleNames(fs), describeFindings(fs)).toEqual(['anon-exec', 'correlated-activity', 'rwx-memory']);
      expectAllFromProgram(c, fs, rwx);

      const [line] = programOutput(c.dir, 'rwx: ');
      const addr = /at (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
      expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
      const mapping = fs.filter((f) => f.name === 'rwx-memory');
      expect(mapping).toHaveLength(1);
      expect(mapping[0]!.region).toMatchObject({ start: addr, size: 4096, prot: 'rwx', anon: true, origin: 'mmap' });
      expect(mapping[0]!.evidence[0]!.decoded).toMatchObject({ rwx: 'rwx', flags: ['MAP_PRIVATE', 'MAP_ANONYMOUS'] });
      const exec = fs.filter((f) => f.name === 'anon-exec');
      expect(exec).toHaveLength(1);
      expect(exec[0]!.region).toMatchObject({ start: addr, anon: true });
      const pc = BigInt(exec[0]!.detail.pc as string);
      expect(pc >= BigInt(addr!) && pc < BigInt(addr!) + 4096n).toBe(true);
    },
    CAPTURE_MS,
  );

  // ---- wx: RW mapping made RX and run; the an0840 tool named explicitly ----

  it(
    'wx (an0840 tool): finds the W→X transition and execution from anonymous memory; the events parse cleanly',
    async () => {
      const wx = program('wx');
      const c = await capture('wx', wx, [], 'an0840');
      expectClean(c);
      expect(dirMeta(c.dir).tool).toBe('an0840');
      const fs = dirFindings(c.dir);
      expect(ruleNames(fs), describeFindings(fs)).toEqual(['anon-exec', 'correlated-activity', 'wx-transition']);
      expectAllFromProgram(c, fs, wx);

      const [line] = programOutput(c.dir, 'wx: ');
      const addr = /into (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
      expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
      const flip = fs.filter((f) => f.name === 'wx-transition');
      expect(flip).toHaveLength(1);
      expect(flip[0]!.region).toMatchObject({ start: addr, prot: 'r-x', anon: true, everWritable: true });
      const mp = flip[0]!.evidence.find((e) => e.kind === 'mprotect')!;
      expect(mp.decoded).toMatchObject({ rwx: 'r-x', prevProt: ['PROT_READ', 'PROT_WRITE'] });
      const exec = fs.filter((f) => f.name === 'anon-exec');
      expect(exec).toHaveLength(1);
      expect(exec[0]!.region).toMatchObject({ start: addr, prot: 'r-x' });

      // The an0840 events: begin, exec, the mprotect, the region's first bytes (the spin loop), samples, exit.
      const pid = programPid(c, wx);
      const mine = c.replayed.events.filter((e) => e.pid === pid);
      const kinds = distinct(mine.map((e) => e.kind));
      expect(kinds).toEqual(expect.arrayContaining(['bytes', 'exec', 'exit', 'mprotect', 'sample']));
      const begin = c.replayed.events.find((e) => e.kind === 'begin');
      expect(begin).toMatchObject({ tool: 'an0840', os: 'linux', backend: 'bpftrace' });
      const bytes = mine.find((e) => e.kind === 'bytes');
      // shellcode.h: mov ecx, imm32 (0xb9) starts the code written into the region.
      expect(bytes).toMatchObject({ addr });
      if (process.arch === 'x64') expect((bytes as { data: string }).data.startsWith('b9')).toBe(true);
    },
    CAPTURE_MS,
  );

  // ---- fileless: memfd mapped executable, and a memfd page made executable ----

  it(
    'fileless: finds the in-memory image load from a memfd, with the ELF magic',
    async () => {
      const fileless = program('fileless');
      const c = await capture('fileless', fileless);
      expectClean(c);
      const fs = dirFindings(c.dir);
      expect(ruleNames(fs), describeFindings(fs)).toEqual(['memory-image-load']);
      expectAllFromProgram(c, fs, fileless);

      const out = programOutput(c.dir, 'fileless: ');
      const mapped = /mapped ELF at (0x[0-9a-f]+)/.exec(out.join('\n'))?.[1];
      const flipped = /made executable at (0x[0-9a-f]+)/.exec(out.join('\n'))?.[1];
      expect([mapped, flipped], `program output ${JSON.stringify(out)}`).not.toContain(undefined);
      expect(fs).toHaveLength(2);
      const direct = fs.find((f) => f.detail.addr === mapped);
      expect(direct, describeFindings(fs)).toBeDefined();
      expect(direct!.detail).toMatchObject({ memfd: 'payload', prot: 'r-x' });
      expect(direct!.region).toMatchObject({ start: mapped, memfd: true, anon: false, prot: 'r-x' });
      const magic = fs.find((f) => f.detail.addr === flipped);
      expect(magic, describeFindings(fs)).toBeDefined();
      expect(magic!.detail).toMatchObject({ magic: 'ELF' });
      expect(String(magic!.detail.bytes).startsWith('7f454c46')).toBe(true);
      expect(magic!.region).toMatchObject({ start: flipped, memfd: true });
      const memfd = c.replayed.events.filter((e) => e.kind === 'memfd');
      expect(memfd.map((e) => (e as { name: string }).name)).toEqual(['payload']);
    },
    CAPTURE_MS,
  );

  // ---- regions: memory followed as the kernel does (sub-ranges, adjacent mappings, moves, aliases) ----

  const REGION_CASES: readonly (readonly [mode: string, rules: readonly string[], what: string])[] = [
    ['segment', ['anon-exec', 'correlated-activity', 'wx-transition'], 'only the middle page of a 3-page RW mapping made RX'],
    ['partial', ['anon-exec', 'correlated-activity', 'wx-transition'], 'the first page unmapped, the rest made RX'],
    ['adjacent', ['anon-exec', 'correlated-activity', 'wx-transition'], 'one mprotect over two adjacent RW mappings'],
    ['mremap', ['anon-exec', 'correlated-activity', 'wx-transition'], 'an RW page moved by mremap, then made RX at its new address'],
  ];
  for (const [mode, rules, what] of REGION_CASES) {
    it(
      `regions ${mode}: ${what} is found, with the page that ran`,
      async () => {
        const regions = program('regions');
        const c = await capture(`regions-${mode}`, `${regions} ${mode}`);
        expectClean(c);
        const fs = dirFindings(c.dir);
        expect(ruleNames(fs), describeFindings(fs)).toEqual(rules);
        expectAllFromProgram(c, fs, regions);
        const [line] = programOutput(c.dir, `regions: ${mode}: `);
        const addr = /into (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
        expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
        const flip = fs.filter((f) => f.name === 'wx-transition');
        expect(flip, describeFindings(fs)).toHaveLength(1);
        // The previous protection came from the script's region ring: the mapping was RW.
        const mp = flip[0]!.evidence.find((e) => e.kind === 'mprotect')!;
        expect(mp.decoded).toMatchObject({ rwx: 'r-x', prevProt: ['PROT_READ', 'PROT_WRITE'] });
        const exec = fs.filter((f) => f.name === 'anon-exec');
        expect(exec).toHaveLength(1);
        const pc = BigInt(exec[0]!.detail.pc as string);
        expect(pc >= BigInt(addr!) && pc < BigInt(addr!) + 4096n, `pc ${exec[0]!.detail.pc} in the page at ${addr}`).toBe(true);
      },
      CAPTURE_MS,
    );
  }

  it(
    'regions alias: one memfd mapped RW and RX is a double mapping, with both views in the evidence',
    async () => {
      const regions = program('regions');
      const c = await capture('regions-alias', `${regions} alias`);
      expectClean(c);
      const fs = dirFindings(c.dir);
      // No anon-exec: the code runs from a memfd view, which is not anonymous memory (memory-image-load names it).
      // One mmap is both the memfd image load and the executable view: one behaviour, so no LT-100.
      expect(ruleNames(fs), describeFindings(fs)).toEqual(['double-mapping', 'memory-image-load']);
      expectAllFromProgram(c, fs, regions);
      const out = programOutput(c.dir, 'regions: alias: ').join('\n');
      const x = /into (0x[0-9a-f]+)/.exec(out)?.[1];
      const w = /written through (0x[0-9a-f]+)/.exec(out)?.[1];
      expect([x, w], out).not.toContain(undefined);
      const dm = fs.filter((f) => f.name === 'double-mapping');
      expect(dm).toHaveLength(1);
      expect(dm[0]!.detail).toMatchObject({
        writable: `${w}-0x${(BigInt(w!) + 4096n).toString(16)} rw- shared memfd:alias`,
        executable: `${x}-0x${(BigInt(x!) + 4096n).toString(16)} r-x shared memfd:alias`,
      });
      expect(dm[0]!.region).toMatchObject({ start: x, memfd: true });
      // Both views' mmap records are the evidence of the finding and the trace.
      const maps = c.replayed.events.filter((e) => e.kind === 'mmap' && e.fd >= 0 && (e.ret === x || e.ret === w));
      expect(maps).toHaveLength(2);
    },
    CAPTURE_MS,
  );

  // ---- shm: one POSIX shared-memory object mapped RW and RX (an openat of /dev/shm/NAME) ----

  for (const [mode, what] of [
    ['two', 'two opens of one /dev/shm name, mapped RW and RX'],
    ['one', 'one /dev/shm fd mapped RW and RX'],
    ['dup', 'one /dev/shm fd mapped RW, and its dup() RX'],
  ] as const) {
    it(
      `shm ${mode}: ${what}, is a double mapping with both views`,
      async () => {
        const shm = program('shm');
        const c = await capture(`shm-${mode}`, `${shm} ${mode}`);
        expectClean(c);
        const fs = dirFindings(c.dir);
        // A shared-memory object is a file on tmpfs, not anonymous memory: no anon-exec, no image load.
        expect(ruleNames(fs), describeFindings(fs)).toEqual(['double-mapping']);
        expectAllFromProgram(c, fs, shm);
        const out = programOutput(c.dir, `shm: ${mode}: `).join('\n');
        const x = /into (0x[0-9a-f]+)/.exec(out)?.[1];
        const w = /written through (0x[0-9a-f]+)/.exec(out)?.[1];
        expect([x, w], out).not.toContain(undefined);
        const end = (a: string) => `0x${(BigInt(a) + 4096n).toString(16)}`;
        const dm = fs.filter((f) => f.name === 'double-mapping');
        expect(dm).toHaveLength(1);
        expect(dm[0]!.detail.writable).toMatch(new RegExp(`^${w}-${end(w!)} rw- shared shm:/dev/shm/loadtrace-shm-\\d+$`));
        expect(dm[0]!.detail.executable).toMatch(new RegExp(`^${x}-${end(x!)} r-x shared shm:/dev/shm/loadtrace-shm-\\d+$`));
        expect(dm[0]!.region).toMatchObject({ start: x, anon: false, memfd: false });
        const opens = c.replayed.events.filter((e) => e.kind === 'shm');
        expect(opens).toHaveLength(mode === 'two' ? 2 : 1);
        const dups = c.replayed.events.filter((e) => e.kind === 'dup');
        expect(dups).toHaveLength(mode === 'dup' ? 1 : 0);
        // Each descriptor's close is printed, so a reused number names no shm object.
        expect(c.replayed.events.filter((e) => e.kind === 'close')).toHaveLength(opens.length + dups.length);
      },
      CAPTURE_MS,
    );
  }

  it(
    'shm quiet: one /dev/shm object mapped RW and read-only, never executable, gives no finding',
    async () => {
      const shm = program('shm');
      const c = await capture('shm-quiet', `${shm} quiet`);
      expectClean(c);
      expect(programOutput(c.dir, 'shm: quiet: ')).toHaveLength(1);
      // Both views were printed (the fd is known as an shm object), so the quiet is the rule's, not a blind spot.
      const [open] = c.replayed.events.filter((e) => e.kind === 'shm');
      expect(open).toBeDefined();
      const maps = c.replayed.events.filter((e) => e.kind === 'mmap' && e.comm === 'shm' && e.fd === (open as { fd: number }).fd && e.seq > open!.seq);
      expect(maps.map((e) => (e as { prot: number }).prot).sort()).toEqual([1, 3]);
      expect(c.replayed.findings).toEqual([]);
    },
    CAPTURE_MS,
  );

  it(
    'regions many: 1,000 live RW pages in one process keep the ring bounded; the trailer counts what was not kept',
    async () => {
      const regions = program('regions');
      const n = 1000;
      const c = await capture('regions-many', `${regions} many ${n}`, [], 'rwxsnoop');
      expectClean(c);
      expect(programOutput(c.dir, 'regions: many: ')).toEqual([`regions: many: ${n} pages`]);
      const trailers = new Map(
        c.replayed.events.flatMap((e) => (e.kind === 'trailer' ? [[e.counter, e.value] as const] : [])),
      );
      // Every page took a slot; all but the ring's 8 were pushed out by newer ones, counted as evicted.
      expect(trailers.get('regions_tracked')).toBeGreaterThanOrEqual(n);
      expect(trailers.get('regions_evicted')).toBeGreaterThanOrEqual(n - 8);
      expect(trailers.get('regions_evicted')).toBeLessThanOrEqual(trailers.get('regions_tracked')!);
      // Nothing about RW memory was printed (rwxsnoop prints no exec: the program is known by its name).
      const mem = c.replayed.events.filter(
        (e) => e.comm === 'regions' && (e.kind === 'mmap' ? e.anon : ['mprotect', 'munmap', 'mremap'].includes(e.kind)),
      );
      expect(mem).toEqual([]);
      expect(c.replayed.findings).toEqual([]);
    },
    CAPTURE_MS,
  );

  it(
    'system-wide: loadtrace and its tracer are not in their own trace',
    async () => {
      const dir = join(work, 'capture-all');
      const wx = program('wx');
      // Something to see while the capture runs: the wx program, started every 1.5 s once the
      // tracer has printed its begin record (attaching system-wide takes seconds, more under load).
      const children: ReturnType<typeof spawnProgram>[] = [];
      const running = runCli(['capture', '--backend', 'bpftrace', '--out', dir, '--format', 'jsonl', '--log-level', 'warn', '--duration', '15']);
      const raw = join(dir, 'stdout.raw');
      for (let i = 0; i < 120 && !(existsSync(raw) && readFileSync(raw, 'utf8').includes('\tbegin\t')); i++) await sleep(100);
      const timer = setInterval(() => children.push(spawnProgram(wx)), 1500);
      const run = await running;
      clearInterval(timer);
      await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.on('close', resolve)))));
      expect(run.code, run.stderr).toBe(0);
      const r = await replay(dir, { keepEvents: true });
      const meta = dirMeta(dir) as unknown as { options: { selfPid?: number }; tracer: { pid: number } };
      expect(meta.options.selfPid).toBe(run.pid);
      // begin and trailer records are the script's own announcements, printed from the tracer's BEGIN and END.
      const own = r.events.filter(
        (e) => e.kind !== 'begin' && e.kind !== 'trailer' && (e.pid === run.pid || e.ppid === run.pid || e.pid === meta.tracer.pid),
      );
      expect(own.map((e) => `${e.kind} ${e.pid} ${e.comm}`)).toEqual([]);
      // The capture saw the rest of the system: wx's exec and its W→X.
      expect(r.events.some((e) => e.kind === 'exec' && e.path === wx)).toBe(true);
      expect(r.findings.some((f) => f.name === 'wx-transition' && f.process.path === wx), describeFindings(r.findings)).toBe(true);
      // And none of the findings is about loadtrace.
      expect(r.findings.filter((f) => f.process.pid === run.pid)).toEqual([]);
    },
    CAPTURE_MS,
  );

  // ---- control: ordinary work, nothing to report ----

  it(
    'control: no findings at all, although the program was traced',
    async () => {
      const control = program('control');
      const c = await capture('control', control);
      expectClean(c);
      expect(c.live, describeFindings(c.live)).toEqual([]);
      expect(dirFindings(c.dir)).toEqual([]);
      // The capture did see the program, so "no findings" is not "traced nothing".
      const pid = programPid(c, control);
      const exits = c.replayed.events.filter((e) => e.kind === 'exit' && e.pid === pid);
      expect(exits).toHaveLength(1);
      expect(programOutput(c.dir, 'control: ')).toHaveLength(1);
    },
    CAPTURE_MS,
  );

  // ---- JIT: node is quiet against the shipped baseline, loud against an empty one ----

  it(
    'JIT: a hot node loop gives no finding with the shipped baseline, and findings with an empty one',
    async () => {
      // No whitespace: the tracers split -c on it. ~1 s of a hot loop gets JIT-compiled.
      const js = '((s,t,i)=>{t=Date.now();while(Date.now()-t<1e3)for(i=0;i<1e5;i++)s+=i%7;console.log(/jit:/.source+s)})(0)';
      const c = await capture('jit', `${process.execPath} -e ${js}`, ['--baseline', SHIPPED_LINUX_BASELINE]);
      expectClean(c);
      expect(c.live, describeFindings(c.live)).toEqual([]);
      const pid = programPid(c, process.execPath);
      expect(programOutput(c.dir, 'jit:'), 'the node program ran to its end').toHaveLength(1);
      // node did make executable memory while traced: the baseline, not a blind spot, kept it quiet.
      const execMem = c.replayed.events.filter(
        (e) => e.pid === pid && ((e.kind === 'mprotect' && (e.prot & 4) !== 0) || (e.kind === 'mmap' && (e.prot & 4) !== 0 && e.fd === -1)),
      );
      expect(execMem.length, 'executable anonymous memory events of node').toBeGreaterThan(0);

      const empty = join(work, 'empty-baseline.json');
      writeFileSync(empty, JSON.stringify({ version: 1, entries: [] }));
      const check = await runCli(['baseline', 'check', empty]);
      expect(check.code, check.stdout + check.stderr).toBe(0);

      const shipped = await runCli(['replay', c.dir, '--format', 'jsonl']);
      expect(shipped.code, shipped.stderr).toBe(0);
      expect(parseFindings(shipped.stdout)).toEqual([]);

      const r = await runCli(['replay', c.dir, '--format', 'jsonl', '--baseline', empty]);
      expect(r.code, r.stderr).toBe(0);
      const fs = parseFindings(r.stdout);
      expect(fs.length, 'findings without a baseline').toBeGreaterThan(0);
      for (const f of fs) {
        expect(f.process).toMatchObject({ pid, name: basename(process.execPath).slice(0, 15) });
        if (f.name !== 'correlated-activity') expect(f.baseline.expected).toBe(false);
      }
      const jitRules = ['anon-exec', 'rwx-memory', 'wx-transition'];
      expect(ruleNames(fs).filter((n) => jitRules.includes(n)), describeFindings(fs)).not.toEqual([]);
    },
    CAPTURE_MS,
  );

  // ---- The bpftrace twins of each tool, live, parsed into the expected events ----

  it(
    'dlsnoop: the loader\'s dlopen, dlsym and dlclose calls, exactly, and `replay --events` agrees',
    async () => {
      await loaderCapture();
      const loader = program('loader');
      const c = await capture('dlsnoop', `${loader} @${join(work, 'libpath')}`, [], 'dlsnoop');
      expectClean(c);
      expect(dirMeta(c.dir).tool).toBe('dlsnoop');
      const ev = c.replayed.events.filter((e) => e.kind !== 'begin' && e.kind !== 'trailer');
      const pids = distinct(ev.map((e) => e.pid));
      expect(pids).toHaveLength(1);
      const calls = ev.map((e) => {
        switch (e.kind) {
          case 'dlopen':
            return ['dlopen', e.path, e.pathTrunc, e.handle !== '0x0'];
          case 'dlsym':
            return ['dlsym', e.symbol, e.symbolTrunc, e.ret !== '0x0'];
          case 'dlclose':
            return ['dlclose', e.ret];
          default:
            return [e.kind];
        }
      });
      expect(calls).toEqual([
        ['dlopen', libPath, false, true],
        ['dlsym', 'payload_answer', false, true],
        ['dlopen', null, false, true],
        ['dlsym', 'mprotect', false, true],
        ['dlsym', 'getpid', false, true],
        ['dlclose', 0],
      ]);
      const cli = await runCli(['replay', c.dir, '--events']);
      expect(cli.code, cli.stderr).toBe(0);
      const cliEvents = cli.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; path?: string });
      expect(cliEvents.map((e) => e.kind)).toEqual(c.replayed.events.map((e) => e.kind));
      expect(cliEvents.find((e) => e.kind === 'dlopen')?.path).toBe(libPath);
    },
    CAPTURE_MS,
  );

  it(
    'rwxsnoop: the RWX anonymous mmap and its munmap',
    async () => {
      const rwx = program('rwx');
      const c = await capture('rwxsnoop', rwx, [], 'rwxsnoop');
      expectClean(c);
      const [line] = programOutput(c.dir, 'rwx: ');
      const addr = /at (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
      expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
      const anon = c.replayed.events.filter((e) => e.kind === 'mmap' && e.fd === -1);
      expect(anon.map((e) => e.kind === 'mmap' && [e.ret, e.len, e.prot, e.err])).toEqual([[addr, '0x1000', 7, 0]]);
      const unmaps = c.replayed.events.filter((e) => e.kind === 'munmap');
      expect(unmaps.map((e) => e.kind === 'munmap' && [e.addr, e.len, e.ret])).toEqual([[addr, '0x1000', 0]]);
      expect(distinct(c.replayed.events.map((e) => e.kind))).not.toContain('dlopen');
    },
    CAPTURE_MS,
  );

  it(
    'anonexec: execution samples whose PC lies in the region wx runs',
    async () => {
      const wx = program('wx');
      const c = await capture('anonexec', wx, [], 'anonexec');
      expectClean(c);
      const [line] = programOutput(c.dir, 'wx: ');
      const addr = /into (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
      expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
      const samples = c.replayed.events.filter((e) => e.kind === 'sample');
      expect(samples.length).toBeGreaterThan(0);
      const base = BigInt(addr!);
      const inside = samples.filter((e) => e.kind === 'sample' && BigInt(e.pc) >= base && BigInt(e.pc) < base + 4096n);
      // The program spends nearly all of its 0.6 s in that page.
      expect(inside.length / samples.length).toBeGreaterThan(0.5);
      expect(distinct(c.replayed.events.map((e) => e.kind)).filter((k) => !['begin', 'trailer', 'sample'].includes(k))).toEqual([]);
    },
    CAPTURE_MS,
  );

  it(
    'procsnoop: exec, fork, the child\'s exec of /bin/true and both exits',
    async () => {
      const spawn = program('spawn');
      const c = await capture('procsnoop', spawn, [], 'procsnoop');
      expectClean(c);
      const ev = c.replayed.events.filter((e) => e.kind !== 'begin' && e.kind !== 'trailer');
      const parent = programPid(c, spawn);
      const fork = ev.find((e) => e.kind === 'fork');
      expect(fork).toMatchObject({ pid: parent });
      const child = (fork as { child: number }).child;
      const [line] = programOutput(c.dir, 'spawn: ');
      expect(line).toContain(`child ${child} exited`);
      const seen = ev.map((e) => {
        switch (e.kind) {
          case 'exec':
            return ['exec', e.pid, e.path];
          case 'fork':
            return ['fork', e.pid, e.child];
          case 'exit':
            return ['exit', e.pid, e.status];
          default:
            return [e.kind, e.pid];
        }
      });
      // Time order: the child's events fall between the fork and the parent's exit.
      expect(seen).toEqual([
        ['exec', parent, spawn],
        ['fork', parent, child],
        ['exec', child, '/bin/true'],
        ['exit', child, 0],
        ['exit', parent, 3 << 8],
      ]);
    },
    CAPTURE_MS,
  );

  // ---- Volume: 100,000 anonymous RW mmap/munmap pairs must stay in the kernel ----

  it(
    'volume: 100,000 anonymous read-write mmap/munmap pairs give a bounded number of records',
    async () => {
      const volume = program('volume');
      const pairs = 100_000;
      const c = await capture('volume', `${volume} ${pairs}`);
      expect(c.run.code, c.run.stderr).toBe(0);
      expect(c.replayed.parse.parseErrors).toBe(0);
      expect(programOutput(c.dir, 'volume: ')).toEqual([`volume: ${pairs} pairs`]);
      const pid = programPid(c, volume);
      const mine = c.replayed.events.filter((e) => e.pid === pid);
      // Records the kernel emitted for this program: those received, plus those lost on the way
      // (losses are not attributed to a pid; they can only have come from this burst).
      const emitted = mine.length + c.replayed.parse.drops.total;
      const per1000 = (emitted / (2 * pairs)) * 1000;
      const byKind = Object.entries(
        mine.reduce<Record<string, number>>((acc, e) => ((acc[e.kind] = (acc[e.kind] ?? 0) + 1), acc), {}),
      );
      console.log(
        `volume: ${mine.length} records from pid ${pid} + ${c.replayed.parse.drops.total} lost for ${2 * pairs} syscalls = ` +
          `${per1000.toFixed(3)} records per 1,000 syscalls (${byKind.map(([k, n]) => `${k} ${n}`).join(', ')})`,
      );
      expect(c.replayed.findings, describeFindings(c.replayed.findings)).toEqual([]);
      expect(emitted, `records by kind: ${JSON.stringify(byKind)}`).toBeLessThan(100);
    },
    CAPTURE_MS,
  );
});


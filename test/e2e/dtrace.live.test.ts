/**
 * The e2e programs through real DTrace (Oracle's DTrace for Linux) and through bpftrace, side by
 * side: the D scripts must make the rules find what the bpftrace twins make them find, program by
 * program, and the real dtrace's own behaviours (Ctrl-C, probe errors) must be understood by
 * the capture and the parser.
 *
 * Needs what the bpftrace e2e tests need (root, bpftrace, gcc, tracefs) and a built dtrace
 * (LOADTRACE_DTRACE, or scripts/dtrace-linux/build.sh's cache). Without them the suite skips with
 * the reason; LOADTRACE_REQUIRE_DTRACE=1 or LOADTRACE_REQUIRE_LIVE=1 turns that skip into a failure.
 *
 * Oracle's DTrace enables the probes of a -c child when it reaches main, so with pid-provider
 * probes in the script the exec of the program itself is never in a dtrace capture: the program's
 * pid is taken from its own records there, and from its exec record in the bpftrace capture.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { replay, type ReplayResult } from '../../src/index.ts';
import type { Finding } from '../../src/engine/index.ts';
import { parseTextSync } from '../../src/parse/index.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { describeDtraceLive } from '../helpers/dtrace.ts';
import { buildPayloadLibrary, buildProgram } from '../helpers/live.ts';
import { BIN, describeFindings, dirFindings, dirMeta, distinct, killLeftovers, programOutput, runCli, type CliRun } from './support.ts';

const CAPTURE_MS = 90_000;
const NAME = 'live: the e2e programs through real DTrace and through bpftrace give the same rules';

type Backend = 'dtrace' | 'bpftrace';

interface Capture {
  readonly backend: Backend;
  readonly dir: string;
  readonly run: CliRun;
  readonly replayed: ReplayResult;
}

let work = '';

async function capture(label: string, backend: Backend, command: string, extra: readonly string[] = [], tool = 'an0840'): Promise<Capture> {
  const dir = join(work, `${label}-${backend}`);
  const args = ['capture', tool, '--backend', backend, '--out', dir, '--format', 'jsonl', '--log-level', 'warn', ...extra, '-c', command];
  const run = await runCli(args, CAPTURE_MS - 5_000);
  return { backend, dir, run, replayed: await replay(dir, { keepEvents: true }) };
}

/** Completed, exit 0, every line understood, nothing lost, every END trailer there. */
function expectClean(c: Capture): void {
  expect(c.run.code, `${c.backend} exit code; stderr:\n${c.run.stderr}`).toBe(0);
  const meta = dirMeta(c.dir);
  expect(meta.tracer.backend).toBe(c.backend);
  expect(meta.ending).toBe('completed');
  const p = c.replayed.parse;
  expect(p.parseErrors, `${c.backend} parse errors`).toBe(0);
  expect(p.forged, `${c.backend} forged lines`).toBe(0);
  expect(p.drops.total, `${c.backend} drops`).toBe(0);
  expect(p.probeErrors, `${c.backend} probe errors`).toBe(0);
  expect(p.diagnostics.tracer_error ?? 0, `${c.backend} tracer errors`).toBe(0);
  const kinds = c.replayed.blindSpots.map((b) => b.kind);
  expect(kinds).not.toContain('missing_trailer');
  expect(kinds).not.toContain('partial_trailer');
  expect(p.recordsByKind.trailer, 'trailers').toBeGreaterThan(1);
  const begin = c.replayed.events.find((e) => e.kind === 'begin');
  expect(begin).toMatchObject({ tool: 'an0840', os: 'linux', backend: c.backend });
}

/**
 * The pid the program ran as. bpftrace: its one exec. dtrace: the one pid of the records that
 * carry its name, since the exec happened before the probes were enabled (checked here, so a
 * dtrace that starts seeing it makes this test say so).
 */
function programPid(c: Capture, path: string): number {
  const execs = c.replayed.events.filter((e) => e.kind === 'exec' && e.path === path);
  if (c.backend === 'bpftrace') {
    expect(execs.map((e) => e.pid), `exec events of ${path}`).toHaveLength(1);
    return execs[0]!.pid;
  }
  expect(execs, 'dtrace -c enables the probes after the exec of the program').toEqual([]);
  const pids = distinct(c.replayed.events.filter((e) => e.comm === basename(path).slice(0, 15)).map((e) => e.pid));
  expect(pids, `pids of the records named ${basename(path)}`).toHaveLength(1);
  return pids[0]!;
}

/** Every finding is the program's (pid, name; path where the exec was seen), none the tracer's or the CLI's. */
function expectAllFromProgram(c: Capture, fs: readonly Finding[], path: string): number {
  const pid = programPid(c, path);
  const tracer = dirMeta(c.dir).tracer.pid;
  for (const f of fs) {
    expect(f.process, `${c.backend} ${f.id}`).toMatchObject({ pid, name: basename(path).slice(0, 15) });
    if (c.backend === 'bpftrace') expect(f.process.path).toBe(path);
    expect(f.process.pid).not.toBe(tracer);
    expect(f.process.pid).not.toBe(c.run.pid);
    for (const ev of f.evidence) expect(ev.pid, `evidence of ${f.id}`).toBe(pid);
  }
  // The program ran to its end under the tracer.
  const mine = c.replayed.events.filter((e) => e.pid === pid).map((e) => e.kind);
  expect(mine.filter((k) => k === 'exit'), `${c.backend} records of pid ${pid}: ${mine.join(' ')}`).toHaveLength(1);
  return pid;
}

function ruleNames(fs: readonly Finding[]): string[] {
  return distinct(fs.map((f) => f.name));
}

/** How many findings each rule made: the same program must give the same count through either tracer. */
function perRule(fs: readonly Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fs) out[f.name] = (out[f.name] ?? 0) + 1;
  return out;
}

function eventsOf(c: Capture, pid: number): TraceEvent[] {
  return c.replayed.events.filter((e) => e.pid === pid);
}

describeDtraceLive(NAME, (dtrace) => {
  beforeAll(() => {
    // The CLI finds the D compiler through this variable, as a user who built it would set it.
    process.env.LOADTRACE_DTRACE = dtrace;
    // Under /tmp on purpose: a library there is in a user-writable location.
    work = mkdtempSync('/tmp/loadtrace-dtrace-e2e-');
  });

  afterAll(() => {
    const left = killLeftovers();
    if (work) rmSync(work, { recursive: true, force: true });
    expect(left, 'CLI processes still running after the tests').toBe(0);
  });

  /** Runs one program through both tracers, one after the other (never two tracers at once). */
  async function both(label: string, command: string): Promise<[Capture, Capture]> {
    const d = await capture(label, 'dtrace', command);
    const b = await capture(label, 'bpftrace', command);
    expectClean(d);
    expectClean(b);
    return [d, b];
  }

  // The rule sets programs.live.test.ts asserts for each program through bpftrace.
  const PROGRAMS: readonly (readonly [label: string, rules: readonly string[]])[] = [
    ['loader', ['atypical-dlsym', 'atypical-loader', 'correlated-activity', 'writable-location-lib']],
    ['rwx', ['anon-exec', 'correlated-activity', 'rwx-memory']],
    ['wx', ['anon-exec', 'correlated-activity', 'wx-transition']],
    ['fileless', ['memory-image-load']],
  ];

  function commandFor(label: string): { path: string; command: string } {
    const path = buildProgram(label);
    if (label === 'loader') {
      const lib = buildPayloadLibrary(join(work, 'lib pay\tload.so'));
      // The tracers split -c on whitespace, so the path travels in a file (loader.c reads "@FILE").
      const pathFile = join(work, 'libpath');
      writeFileSync(pathFile, lib);
      return { path, command: `${path} @${pathFile}` };
    }
    if (label === 'rwx') return { path, command: `${path} 0.6` };
    return { path, command: path };
  }

  for (const [label, rules] of PROGRAMS) {
    it(
      `${label}: dtrace and bpftrace give the rules ${rules.join(', ')}, all about that program`,
      async () => {
        const { path, command } = commandFor(label);
        const [d, b] = await both(label, command);
        const df = dirFindings(d.dir);
        const bf = dirFindings(b.dir);
        expect(ruleNames(bf), `bpftrace:\n${describeFindings(bf)}`).toEqual(rules);
        expect(ruleNames(df), `dtrace:\n${describeFindings(df)}\nbpftrace:\n${describeFindings(bf)}`).toEqual(ruleNames(bf));
        expect(perRule(df)).toEqual(perRule(bf));
        const dpid = expectAllFromProgram(d, df, path);
        expectAllFromProgram(b, bf, path);

        if (label === 'loader') {
          const lib = join(work, 'lib pay\tload.so');
          for (const fs of [df, bf]) {
            // The library path with its space and tab, byte for byte through both string encodings.
            expect(fs.filter((f) => f.name === 'writable-location-lib').map((f) => f.detail.path)).toEqual([lib]);
            expect(fs.filter((f) => f.name === 'atypical-dlsym').map((f) => f.detail.symbol).sort()).toEqual(['getpid', 'mprotect', 'payload_answer']);
          }
          // The address dtrace saw dlsym return is the one the program printed.
          const [line] = programOutput(d.dir, 'loader: ');
          const printed = /mprotect=(0x[0-9a-f]+)/.exec(line ?? '')?.[1];
          expect(printed, `program output ${JSON.stringify(line)}`).toBeDefined();
          expect(df.find((f) => f.name === 'atypical-dlsym' && f.detail.symbol === 'mprotect')!.detail.resolved).toBe(printed);
        }
        if (label === 'rwx' || label === 'wx') {
          // The region that ran is the one the program printed, through dtrace's samples too.
          const [line] = programOutput(d.dir, `${label}: `);
          const addr = /(?:at|into) (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
          expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
          const exec = df.filter((f) => f.name === 'anon-exec');
          expect(exec.map((f) => f.region?.start)).toEqual([addr]);
          const samples = eventsOf(d, dpid).filter((e) => e.kind === 'sample');
          expect(samples.length).toBeGreaterThan(0);
        }
        if (label === 'wx') {
          const mp = df.find((f) => f.name === 'wx-transition')!.evidence.find((e) => e.kind === 'mprotect')!;
          expect(mp.decoded).toMatchObject({ rwx: 'r-x', prevProt: ['PROT_READ', 'PROT_WRITE'] });
        }
        if (label === 'fileless') {
          for (const fs of [df, bf]) {
            expect(fs.map((f) => f.detail.memfd ?? f.detail.magic).sort()).toEqual(['ELF', 'payload']);
          }
          expect(eventsOf(d, dpid).filter((e) => e.kind === 'memfd').map((e) => (e as { name: string }).name)).toEqual(['payload']);
        }
      },
      2 * CAPTURE_MS,
    );
  }

  it(
    'control: no finding through either tracer, although both saw the program',
    async () => {
      const { path, command } = commandFor('control');
      const [d, b] = await both('control', command);
      for (const c of [d, b]) {
        expect(dirFindings(c.dir), `${c.backend}:\n${describeFindings(dirFindings(c.dir))}`).toEqual([]);
        expectAllFromProgram(c, [], path);
        expect(programOutput(c.dir, 'control: ')).toHaveLength(1);
      }
    },
    2 * CAPTURE_MS,
  );

  it(
    'Ctrl-C during a system-wide dtrace capture: END runs (every trailer arrives) and the capture is "interrupted"',
    async () => {
      const dir = join(work, 'sigint');
      // Detached, so the CLI and the dtrace it starts share a process group of their own, like a
      // terminal's foreground job; Ctrl-C signals that whole group.
      const child = spawn(
        process.execPath,
        [BIN, 'capture', 'an0840', '--backend', 'dtrace', '--follow', 'off', '--out', dir, '--format', 'jsonl', '--log-level', 'warn'],
        { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const err: Buffer[] = [];
      child.stdout!.resume();
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
      const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), CAPTURE_MS - 10_000);
      try {
        // Wait for the BEGIN record, so the signal reaches a tracer that runs, then trace a few seconds.
        const raw = join(dir, 'stdout.raw');
        const started = Date.now();
        while (!(existsSync(raw) && readFileSync(raw, 'utf8').includes('\tbegin\t'))) {
          if (Date.now() - started > 45_000) throw new Error(`dtrace never printed BEGIN; stderr:\n${Buffer.concat(err).toString()}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        await new Promise((r) => setTimeout(r, 3_000));
        process.kill(-child.pid!, 'SIGINT');
        const exit = await closed;
        expect(exit, Buffer.concat(err).toString()).toEqual({ code: 0, signal: null });
      } finally {
        clearTimeout(kill);
      }
      const meta = dirMeta(dir);
      expect(meta.tracer.backend).toBe('dtrace');
      expect(meta.ending).toBe('interrupted');
      const r = await replay(dir, { keepEvents: true });
      expect(r.parse.parseErrors).toBe(0);
      expect(r.parse.forged).toBe(0);
      const kinds = r.blindSpots.map((s) => s.kind);
      expect(kinds).not.toContain('missing_trailer');
      expect(kinds).not.toContain('partial_trailer');
      const trailers = r.events.filter((e) => e.kind === 'trailer');
      const announced = trailers.find((e) => e.kind === 'trailer' && e.counter === 'trailers');
      expect(announced, 'the trailer that counts the others').toBeDefined();
      expect(trailers.length - 1).toBe((announced as { value: number }).value);
      expect(r.events.find((e) => e.kind === 'begin')).toMatchObject({ tool: 'an0840', os: 'linux', backend: 'dtrace' });
    },
    CAPTURE_MS,
  );

  it(
    'a probe error (first bytes of a page never touched) is a probe_error diagnostic; the records of that call still arrive',
    async () => {
      const regions = buildProgram('regions');
      const c = await capture('untouched', 'dtrace', `${regions} untouched`);
      expect(c.run.code, c.run.stderr).toBe(0);
      expect(dirMeta(c.dir).ending).toBe('completed');
      const [line] = programOutput(c.dir, 'regions: untouched: ');
      const addr = /at (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
      expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();

      // BPF cannot fault a page in: the copyin of the region's first bytes at mprotect:return fails.
      const diags = parseTextSync(readFileSync(join(c.dir, 'stderr.raw'))).diagnostics;
      expect(diags.map((d) => [d.family, d.data.probe, d.data.fault, d.data.addr])).toEqual([
        ['probe_error', 'syscall:vmlinux:mprotect:return', 'invalid address', addr],
      ]);
      expect(c.replayed.parse.probeErrors).toBe(1);
      expect(c.replayed.parse.diagnostics.tracer_error ?? 0).toBe(0);
      const spot = c.replayed.blindSpots.find((s) => s.kind === 'probe_errors');
      expect(spot?.count).toBe(1);

      // Only the bytes record was lost: the mprotect record came from its own clause, and W→X is judged.
      const pid = programPid(c, regions);
      const mine = eventsOf(c, pid);
      expect(mine.filter((e) => e.kind === 'bytes')).toEqual([]);
      expect(mine.filter((e) => e.kind === 'mprotect').map((e) => e.kind === 'mprotect' && [e.addr, e.prot, e.prevProt])).toEqual([[addr, 5, 3]]);
      const fs = dirFindings(c.dir);
      expect(ruleNames(fs), describeFindings(fs)).toEqual(['wx-transition']);
    },
    CAPTURE_MS,
  );
});

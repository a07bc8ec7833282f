/**
 * The region programs (and the shm program) through the D scripts on Linux (Oracle's DTrace for Linux), so the D
 * region ring is held to the same rule sets as the bpftrace one (programs.live.test.ts).
 * Needs a built dtrace (scripts/dtrace-linux/build.sh; test/helpers/dtrace.ts finds it); without
 * it the suite skips with that reason, and LOADTRACE_REQUIRE_DTRACE=1 turns the skip into a
 * failure. Oracle's DTrace enables the -c child's probes when it reaches main, so the exec of
 * the program is not in these captures: findings are tied to it by name and pid instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { replay, type ReplayResult } from '../../src/index.ts';
import type { Finding } from '../../src/engine/index.ts';
import { describeDtraceLive } from '../helpers/dtrace.ts';
import { buildProgram } from '../helpers/live.ts';
import { describeFindings, dirFindings, dirMeta, distinct, killLeftovers, programOutput, runCli } from './support.ts';

const CAPTURE_MS = 90_000;


interface Capture {
  readonly dir: string;
  readonly code: number | null;
  readonly stderr: string;
  readonly replayed: ReplayResult;
}

let work = '';

async function capture(label: string, command: string, tool = 'an0840'): Promise<Capture> {
  const dir = join(work, label);
  const run = await runCli(
    ['capture', tool, '--backend', 'dtrace', '--out', dir, '--format', 'jsonl', '--log-level', 'warn', '-c', command],
    CAPTURE_MS - 5_000,
  );
  return { dir, code: run.code, stderr: run.stderr, replayed: await replay(dir, { keepEvents: true }) };
}

function expectClean(c: Capture): void {
  expect(c.code, `exit code; stderr:\n${c.stderr}`).toBe(0);
  expect(dirMeta(c.dir).tracer.backend).toBe('dtrace');
  expect(dirMeta(c.dir).ending).toBe('completed');
  expect(c.replayed.parse.parseErrors, 'parse errors').toBe(0);
  expect(c.replayed.parse.drops.total, 'drops').toBe(0);
  const kinds = c.replayed.blindSpots.map((b) => b.kind);
  expect(kinds).not.toContain('missing_trailer');
  expect(kinds).not.toContain('partial_trailer');
}

/** Every finding is the program's, by name, and all of them one process. */
function expectOneProgram(fs: readonly Finding[], name = 'regions'): void {
  expect(distinct(fs.map((f) => f.process.name))).toEqual([name]);
  expect(distinct(fs.map((f) => String(f.process.pid)))).toHaveLength(1);
}

describeDtraceLive('live: the region programs through the D scripts (Linux)', (dtrace) => {
  beforeAll(() => {
    // The captures below run loadtrace, which finds the tracer through LOADTRACE_DTRACE.
    process.env.LOADTRACE_DTRACE = dtrace;
    work = mkdtempSync(join(tmpdir(), 'loadtrace-dtrace-e2e-'));
  });
  afterAll(() => {
    killLeftovers();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const CASES: readonly (readonly [mode: string, what: string])[] = [
    ['segment', 'only the middle page of a 3-page RW mapping made RX'],
    ['partial', 'the first page unmapped, the rest made RX'],
    ['adjacent', 'one mprotect over two adjacent RW mappings'],
    ['mremap', 'an RW page moved by mremap, then made RX at its new address'],
  ];
  for (const [mode, what] of CASES) {
    it(
      `regions ${mode}: ${what} gives the bpftrace rule set, with the previous protection from the ring`,
      async () => {
        const c = await capture(`regions-${mode}`, `${buildProgram('regions')} ${mode}`);
        expectClean(c);
        const fs = dirFindings(c.dir);
        expect(distinct(fs.map((f) => f.name)), describeFindings(fs)).toEqual(['anon-exec', 'correlated-activity', 'wx-transition']);
        expectOneProgram(fs);
        const flip = fs.filter((f) => f.name === 'wx-transition');
        expect(flip).toHaveLength(1);
        const mp = flip[0]!.evidence.find((e) => e.kind === 'mprotect')!;
        expect(mp.decoded).toMatchObject({ rwx: 'r-x', prevProt: ['PROT_READ', 'PROT_WRITE'] });
        const [line] = programOutput(c.dir, `regions: ${mode}: `);
        const addr = /into (0x[0-9a-f]+)/.exec(line ?? '')?.[1];
        expect(addr, `program output ${JSON.stringify(line)}`).toBeDefined();
        const pc = BigInt(fs.find((f) => f.name === 'anon-exec')!.detail.pc as string);
        expect(pc >= BigInt(addr!) && pc < BigInt(addr!) + 4096n).toBe(true);
      },
      CAPTURE_MS,
    );
  }

  it(
    'regions alias: one memfd mapped RW and RX is a double mapping',
    async () => {
      const c = await capture('regions-alias', `${buildProgram('regions')} alias`);
      expectClean(c);
      const fs = dirFindings(c.dir);
      // One mmap is both the memfd image load and the executable view: one behaviour, so no LT-100.
      expect(distinct(fs.map((f) => f.name)), describeFindings(fs)).toEqual(['double-mapping', 'memory-image-load']);
      expectOneProgram(fs);
    },
    CAPTURE_MS,
  );

  it(
    'shm two: two opens of one /dev/shm name mapped RW and RX is a double mapping (the shm fragment)',
    async () => {
      const c = await capture('shm-two', `${buildProgram('shm')} two`);
      expectClean(c);
      const fs = dirFindings(c.dir);
      expect(distinct(fs.map((f) => f.name)), describeFindings(fs)).toEqual(['double-mapping']);
      expectOneProgram(fs, 'shm');
      const out = programOutput(c.dir, 'shm: two: ').join('\n');
      const x = /into (0x[0-9a-f]+)/.exec(out)?.[1];
      const w = /written through (0x[0-9a-f]+)/.exec(out)?.[1];
      expect([x, w], out).not.toContain(undefined);
      expect(fs[0]!.detail.writable).toMatch(new RegExp(`^${w}-0x[0-9a-f]+ rw- shared shm:/dev/shm/loadtrace-shm-\\d+$`));
      expect(fs[0]!.detail.executable).toMatch(new RegExp(`^${x}-0x[0-9a-f]+ r-x shared shm:/dev/shm/loadtrace-shm-\\d+$`));
      expect(c.replayed.events.filter((e) => e.kind === 'shm')).toHaveLength(2);
      expect(c.replayed.events.filter((e) => e.kind === 'close')).toHaveLength(2);
    },
    CAPTURE_MS,
  );

  it(
    'shm dup: one /dev/shm fd mapped RW and its dup() mapped RX is a double mapping (dup followed in the kernel)',
    async () => {
      const c = await capture('shm-dup', `${buildProgram('shm')} dup`);
      expectClean(c);
      const fs = dirFindings(c.dir);
      expect(distinct(fs.map((f) => f.name)), describeFindings(fs)).toEqual(['double-mapping']);
      expectOneProgram(fs, 'shm');
      const [dup] = c.replayed.events.filter((e) => e.kind === 'dup');
      expect(dup).toBeDefined();
      const x = /into (0x[0-9a-f]+)/.exec(programOutput(c.dir, 'shm: dup: ').join('\n'))?.[1];
      const rx = c.replayed.events.find((e) => e.kind === 'mmap' && e.ret === x);
      expect(rx, `the RX view at ${x}`).toMatchObject({ fd: (dup as { newFd: number }).newFd });
    },
    CAPTURE_MS,
  );

  it(
    'shm quiet: one /dev/shm object mapped RW and read-only gives no finding, with both views printed',
    async () => {
      const c = await capture('shm-quiet', `${buildProgram('shm')} quiet`);
      expectClean(c);
      const [open] = c.replayed.events.filter((e) => e.kind === 'shm');
      expect(open).toBeDefined();
      const maps = c.replayed.events.filter((e) => e.kind === 'mmap' && e.comm === 'shm' && e.fd === (open as { fd: number }).fd && e.seq > open!.seq);
      expect(maps.map((e) => (e as { prot: number }).prot).sort()).toEqual([1, 3]);
      expect(c.replayed.findings).toEqual([]);
    },
    CAPTURE_MS,
  );

  it(
    'regions many: 1,000 live RW pages keep the D ring bounded; regions_evicted counts what was not kept',
    async () => {
      const n = 1000;
      const c = await capture('regions-many', `${buildProgram('regions')} many ${n}`, 'rwxsnoop');
      expectClean(c);
      const trailers = new Map(c.replayed.events.flatMap((e) => (e.kind === 'trailer' ? [[e.counter, e.value] as const] : [])));
      expect(trailers.get('regions_tracked')).toBeGreaterThanOrEqual(n);
      expect(trailers.get('regions_evicted')).toBeGreaterThanOrEqual(n - 8);
      expect(trailers.get('regions_evicted')).toBeLessThanOrEqual(trailers.get('regions_tracked')!);
      const mem = c.replayed.events.filter(
        (e) => e.comm === 'regions' && (e.kind === 'mmap' ? e.anon : ['mprotect', 'munmap', 'mremap'].includes(e.kind)),
      );
      expect(mem).toEqual([]);
      expect(c.replayed.findings).toEqual([]);
    },
    CAPTURE_MS,
  );
});

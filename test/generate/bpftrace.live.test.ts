/**
 * The bpftrace twins, run for real as root against a small C program that dlopens,
 * maps RWX, flips RW to RX, runs code from anonymous memory, maps a memfd executable,
 * forks and execs. Every line printed must be a valid record (or bpftrace's own chatter),
 * checked by the registry here and by the real parser.
 */
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTextSync } from '../../src/parse/index.ts';
import { generate, type GenerateRequest, type ToolName } from '../../src/generate/index.ts';
import type { RecordKind } from '../../src/protocol/registry.ts';
import { compile, liveBlocker, runBpftrace, type LiveRun } from './helpers/live.ts';
import { checkRecordLine } from './helpers/records.ts';

const blocker = liveBlocker();
const required = process.env.LOADTRACE_REQUIRE_LIVE === '1';
const here = dirname(fileURLToPath(import.meta.url));

/** Decode a %rx field (all `\xNN`), dropping the NUL padding. */
function rx(field: string): string {
  const bytes = [...field.matchAll(/\\x([0-9a-f]{2})/g)].map((m) => parseInt(m[1]!, 16));
  const nul = bytes.indexOf(0);
  return Buffer.from(nul === -1 ? bytes : bytes.slice(0, nul)).toString('utf8');
}

interface Checked {
  readonly records: string[][];
  readonly kinds: Set<RecordKind>;
}

/** Every stdout line is a record, a blank line, a stack frame or bpftrace's attach notice. */
function check(run: LiveRun, nonce: string, stacks = false): Checked {
  const records: string[][] = [];
  const bad: string[] = [];
  for (const line of run.stdout.split('\n')) {
    if (line === '' || /^Attaching \d+ probes?\.\.\.$/.test(line)) continue;
    if (stacks && /^ {8}\S/.test(line)) continue;
    const r = checkRecordLine(line, nonce);
    if ('error' in r) bad.push(`${r.error}: ${line.slice(0, 200)}`);
    else records.push(line.split('\t'));
  }
  expect(bad, `stderr: ${run.stderr}`).toEqual([]);
  // The real parser agrees: every record decodes, nothing is malformed.
  const parsed = parseTextSync(run.stdout, { nonce, os: 'linux', backend: 'bpftrace' });
  expect(parsed.diagnostics.filter((d) => d.family === 'parse_error')).toEqual([]);
  expect(parsed.events.length).toBe(records.length);
  return { records, kinds: new Set(records.map((r) => r[1] as RecordKind)) };
}

const of = (c: Checked, kind: string) => c.records.filter((r) => r[1] === kind);

describe.skipIf(blocker !== null && !required)('bpftrace twins, live', () => {
  let victim = '';
  beforeAll(() => {
    if (blocker) throw new Error(`LOADTRACE_REQUIRE_LIVE=1 but live tests cannot run: ${blocker}`);
    victim = compile(join(here, 'fixtures', 'victim.c'));
  });

  const run = (tool: ToolName, extra: Partial<GenerateRequest> = {}) => {
    const r = generate({ tool, backend: 'bpftrace', target: { kind: 'command', command: [victim] }, ...extra } as GenerateRequest);
    return { r, out: runBpftrace(r) };
  };

  it('dlsnoop sees dlopen (path and NULL), dlsym and dlclose', () => {
    const { r, out } = run('dlsnoop');
    const c = check(out, r.nonce);
    expect(of(c, 'begin')[0]!.slice(8)).toEqual(['dlsnoop', 'linux', 'bpftrace']);
    const opens = of(c, 'dlopen');
    expect(opens.map((o) => (o[8] === '' ? null : rx(o[8]!)))).toEqual(['libm.so.6', null]);
    expect(of(c, 'dlsym').map((s) => rx(s[9]!))).toEqual(['cos', 'printf']);
    expect(of(c, 'dlsym')[1]![8]).toBe('0'); // RTLD_DEFAULT is 0 in glibc
    expect(of(c, 'dlclose')[0]![8]).toBe(opens[0]![11]);
    // Last, the count of the others.
    expect(of(c, 'trailer').map((t) => t[8])).toEqual(['dl_nested', 'dlsym_null_symbol', 'trailers']);
    expect(of(c, 'trailer').at(-1)![9]).toBe('2');
  });

  it('rwxsnoop sees RWX, RW->RX with the previous protection and first bytes, memfd, munmap', () => {
    const { r, out } = run('rwxsnoop');
    const c = check(out, r.nonce);
    const mmaps = of(c, 'mmap');
    expect(mmaps.some((m) => m[10] === '7' && (Number(m[11]) & 0x20) !== 0)).toBe(true); // anonymous RWX
    const flip = of(c, 'mprotect').find((m) => m[10] === '5' && m[13] === '3');
    expect(flip, 'RW -> RX of a remembered region').toBeDefined();
    expect(Number(flip![14]) & 0x20).toBe(0x20);
    const bytes = of(c, 'bytes').find((b) => b[8] === flip![8]);
    expect(bytes![9]!.startsWith('7f454c46')).toBe(true);
    const memfd = of(c, 'memfd')[0]!;
    expect(rx(memfd[8]!)).toBe('lt\tmemfd');
    expect(mmaps.some((m) => m[12] === memfd[10] && m[10] === '5')).toBe(true); // memfd mapped r-x
    expect(of(c, 'munmap').some((m) => m[8] === flip![8])).toBe(true);
    expect(of(c, 'trailer').map((t) => t[8])).toEqual(['regions_tracked', 'regions_forgotten', 'mmap_filtered', 'mprotect_filtered', 'munmap_filtered', 'regions_evicted', 'trailers']);
    expect(of(c, 'trailer').at(-1)![9]).toBe('6');
    // The counters the mmap and munmap returns add to once per program (rwx-track.bt): at least the victim's
    // own two anonymous mappings tracked and unmapped, and its read-write one not printed. The loader's
    // mappings add to each, so these are lower bounds.
    const counter = (name: string) => Number(of(c, 'trailer').find((t) => t[8] === name)![9]);
    expect(counter('regions_tracked')).toBeGreaterThanOrEqual(2);
    expect(counter('regions_forgotten')).toBeGreaterThanOrEqual(2);
    expect(counter('mmap_filtered')).toBeGreaterThanOrEqual(1);
  });

  it('anonexec samples the code running in anonymous memory, within the per-second budget', () => {
    const { r, out } = run('anonexec', { options: { sampleLimit: 20 } });
    const c = check(out, r.nonce);
    const samples = of(c, 'sample');
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.length).toBeLessThanOrEqual(20 * 4);
    const limited = of(c, 'trailer').find((t) => t[8] === 'samples_limited')!;
    expect(Number(limited[9])).toBeGreaterThan(0);
  });

  it('procsnoop sees exec, fork and exit of the command and its child', () => {
    const { r, out } = run('procsnoop');
    const c = check(out, r.nonce);
    const fork = of(c, 'fork')[0]!;
    const execs = of(c, 'exec');
    expect(execs.some((e) => rx(e[8]!) === '/bin/true' && e[3] === fork[8])).toBe(true);
    const exits = of(c, 'exit');
    expect(exits.find((e) => e[3] === fork[3])![8]).toBe(String(3 << 8)); // wait status of exit(3)
  });

  it('an0840 prints all of it, with user stacks when asked', () => {
    const { r, out } = run('an0840', { options: { ustack: true, duration: 30 } });
    const c = check(out, r.nonce, true);
    for (const k of ['begin', 'dlopen', 'dlsym', 'mmap', 'mprotect', 'bytes', 'memfd', 'munmap', 'sample', 'exec', 'fork', 'exit', 'trailer']) {
      expect(c.kinds.has(k as RecordKind), k).toBe(true);
    }
    expect(out.stdout).toMatch(/\n\n {8}\S/); // stack frames follow records
    // Samples land in the region that was flipped RW -> RX (x86-64 runs a loop there).
    const flip = of(c, 'mprotect').find((m) => m[10] === '5' && m[13] === '3')!;
    const start = BigInt(`0x${flip[8]}`);
    const inRegion = of(c, 'sample').filter((s) => {
      const pc = BigInt(`0x${s[8]}`);
      return pc >= start && pc < start + 4096n;
    });
    if (process.arch === 'x64') expect(inRegion.length).toBeGreaterThan(0);
  });

  it('a process name with quotes, a backslash and a comment delimiter is matched exactly', () => {
    const odd = join(dirname(victim), 'v"i\\c*/m'.replace('/', '_'));
    copyFileSync(victim, odd);
    const name = 'v"i\\c*_m';
    const r = generate({ tool: 'an0840', backend: 'bpftrace', target: { kind: 'name', name }, options: { duration: 20 } });
    // Run the oddly named victim under bpftrace -c, but select it by name only.
    const out = runBpftrace({ ...r, tracerArgs: ['-c', odd, ...r.tracerArgs] });
    const c = check(out, r.nonce);
    const traced = c.records.filter((x) => x[1] !== 'begin' && x[1] !== 'trailer');
    expect(traced.length).toBeGreaterThan(0);
    expect(new Set(traced.filter((x) => x[1] !== 'exit' && x[1] !== 'exec').map((x) => rx(x[7]!)))).toEqual(new Set([name]));
  });
});

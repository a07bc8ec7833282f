/**
 * Hostile traced programs, live under bpftrace (root on Linux): a program
 * that forges records on the stdout it shares with the tracer, one that hides
 * behind escapes in the paths it loads, and one that floods the tracer to make
 * it drop events. Each runs through the real CLI, one after the other.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/index.ts';
import { stringToBytes } from '../../src/parse/escape.ts';
import { replay } from '../../src/index.ts';
import { readEvents } from '../../src/pipeline/events.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { buildProgram, describeLive } from '../helpers/live.ts';
import { cliLive } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Captured {
  code: number | null;
  dir: string;
  meta: Record<string, any>;
  summary: Record<string, any>;
  findings: Finding[];
  events: TraceEvent[];
  stdoutRaw: Buffer;
}

async function capture(name: string, command: string, extra: string[] = []): Promise<Captured> {
  const dir = join(tmp, name);
  const r = await cliLive(['capture', '--backend', 'bpftrace', '--out', dir, '--format', 'jsonl', ...extra, '-c', command]);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  const findings = readFileSync(join(dir, 'findings.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Finding);
  const events: TraceEvent[] = [];
  for await (const e of readEvents(dir)) events.push(e);
  if (r.code !== 0 && r.code !== 5) throw new Error(`capture ${name} exited ${r.code}: ${r.stderr}`);
  return { code: r.code, dir, meta, summary, findings, events, stdoutRaw: readFileSync(join(dir, 'stdout.raw')) };
}

function accountingHolds(parse: { lines: number; accounting: Record<string, number> }): void {
  const a = parse.accounting;
  expect(a.record! + a.diagnostic! + a.foreign! + a.blank!).toBe(a.lines);
  expect(a.lines).toBe(parse.lines);
}

describeLive('hostile programs traced live', () => {
  it('forge.c: record-shaped output is foreign or forged, never an event; the real records all parse', async () => {
    const c = await capture('forge', buildProgram('forge'));
    expect(c.code).toBe(0);
    const parse = c.summary.parse;
    // The guessed nonce and the all-zero nonce: marker-shaped, wrong nonce.
    expect(parse.forged).toBeGreaterThanOrEqual(2);
    // The same two, plus the line with no marker at all.
    expect(parse.foreign).toBeGreaterThanOrEqual(3);
    expect(parse.parseErrors).toBe(0);
    accountingHolds(parse);
    // The partial line glued to the tracer's next line: that record is still found, after the forged prefix.
    const raw = c.stdoutRaw.toString('latin1');
    expect(raw).toMatch(new RegExp(`LT1:[0-9a-f]{16}\\tmmap\\tLT1:${c.meta.nonce}\\t`));
    expect(parse.spliced).toBeGreaterThanOrEqual(1);
    // Nothing the forger printed became an event: no sshd, no ok.so, no mmap at 0x7f0000000000, one exit.
    const forge = c.events.find((e) => e.kind === 'exec' && e.comm === 'forge');
    expect(forge).toBeDefined();
    expect(c.events.some((e) => e.comm === 'sshd')).toBe(false);
    expect(c.events.some((e) => JSON.stringify(e).includes('ok.so'))).toBe(false);
    expect(c.events.some((e) => e.kind === 'mmap' && e.ret === '0x7f0000000000')).toBe(false);
    expect(c.events.filter((e) => e.kind === 'exit' && e.pid === forge!.pid).length).toBe(1);
    expect(c.findings.filter((f) => f.process.name === 'sshd' || JSON.stringify(f).includes('ok.so'))).toEqual([]);
    // The nonce is only in files no other user can read; the directory is private too.
    expect(statSync(join(c.dir, 'script.bt')).mode & 0o777).toBe(0o600);
    expect(statSync(join(c.dir, 'meta.json')).mode & 0o777).toBe(0o600);
    expect(statSync(c.dir).mode & 0o077).toBe(0);
  }, 60_000);

  it('escapes.c: dlopen paths with escapes, control bytes, record-shaped text and non-UTF-8 bytes arrive exact', async () => {
    // --max-findings 3 also checks that capture hands its limits to the analysis; replay (no limit) gives them all.
    const c = await capture('escapes', buildProgram('escapes'), ['--max-findings', '3']);
    expect(c.code).toBe(0);
    expect(c.findings.length).toBe(3);
    expect(c.summary.blindSpots.find((b: { kind: string }) => b.kind === 'limits')?.detail).toContain('new findings not kept (maxFindings 3)');
    const findings = (await replay(c.dir)).findings;
    const parse = c.summary.parse;
    expect(parse.parseErrors).toBe(0);
    expect(parse.forged).toBe(0);
    accountingHolds(parse);
    const expected: Buffer[] = [
      Buffer.from('/tmp/esc\\t\\n\\\\x.so', 'latin1'),
      Buffer.from('/tmp/tab\there.so', 'latin1'),
      Buffer.from('/tmp/nl\nLT1:0000000000000000\tdlopen\tfake.so', 'latin1'),
      Buffer.from('/tmp/quote"\'`$(id).so', 'latin1'),
      Buffer.from([...Buffer.from('/tmp/', 'latin1'), 0x01, 0x7f, 0xff, 0xfe, ...Buffer.from('-bytes.so', 'latin1')]),
    ];
    const pid = c.events.find((e) => e.kind === 'exec' && e.comm === 'escapes')!.pid;
    const opens = c.events.filter((e): e is Extract<TraceEvent, { kind: 'dlopen' }> => e.kind === 'dlopen' && e.pid === pid);
    expect(opens.length).toBe(6);
    for (let i = 0; i < 5; i++) {
      expect(Buffer.from(stringToBytes(opens[i]!.path!)).equals(expected[i]!), `path ${i}: ${JSON.stringify(opens[i]!.path)}`).toBe(true);
      expect(opens[i]!.pathTrunc).toBe(false);
    }
    // 905 characters do not fit the tracer's string buffer: a prefix, flagged truncated.
    const long = opens[5]!;
    expect(long.pathTrunc).toBe(true);
    expect(long.path!.length).toBeGreaterThan(50);
    expect(`/tmp/${'L'.repeat(900)}.so`.startsWith(long.path!)).toBe(true);
    // The record-shaped text inside a path made no record of its own.
    expect(c.events.some((e) => e.kind === 'dlopen' && e.path === 'fake.so')).toBe(false);
    // One writable-location-lib finding per distinct path, each naming its path exactly; LT-001 leaves these calls to it.
    const writable = findings.filter((f) => f.name === 'writable-location-lib' && f.process.pid === pid);
    expect(writable.length).toBe(6);
    expect(new Set(writable.map((f) => f.detail.path))).toEqual(new Set(opens.map((o) => o.path)));
    expect(findings.filter((f) => f.name === 'atypical-loader' && f.process.pid === pid)).toEqual([]);
  }, 60_000);

  it('flood.c: the capture completes, drops are accounted for and fail the run with --on-drops fail, the RWX rule still names flood', async () => {
    const c = await capture('flood', `${buildProgram('flood')} 150000`, ['--on-drops', 'fail']);
    const why = JSON.stringify({ ending: c.meta.ending, code: c.code, drops: c.meta.drops, parseDrops: c.summary.parse.drops, trailers: c.summary.stats.trailers });
    expect(c.meta.ending, why).toBe('completed');
    const raw = Buffer.concat([c.stdoutRaw, readFileSync(join(c.dir, 'stderr.raw'))]).toString('latin1');
    const lost = [...raw.matchAll(/^Lost (\d+) events$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    // Every "Lost N events" the tracer printed is in the summary, the blind spots and meta.json.
    expect(c.summary.parse.drops.total, why).toBe(lost);
    expect(c.meta.drops.total, why).toBeGreaterThanOrEqual(lost);
    const spot = c.summary.blindSpots.find((b: { kind: string }) => b.kind === 'drops');
    if (lost > 0) expect(spot.count).toBe(lost);
    else expect(spot).toBeUndefined();
    // Drops over the threshold (0) with --on-drops fail: exit 5; none: exit 0.
    expect(c.code, why).toBe(c.meta.drops.total > 0 ? 5 : 0);
    expect(c.meta.drops.exceeded).toBe(c.meta.drops.total > 0);
    const rwx = c.findings.find((f) => f.name === 'rwx-memory' && f.process.name === 'flood');
    expect(rwx, JSON.stringify(c.findings.map((f) => [f.name, f.process.name]))).toBeDefined();
    // The script's own counters saw every mapping even when records were lost. Under heavy loss the
    // END output itself can be lost: then the report must say so instead.
    const kinds = c.summary.blindSpots.map((b: { kind: string }) => b.kind);
    if (c.summary.stats.trailers.regions_tracked === undefined) {
      // Only loss can take the counter away, and the drops blind spot above already reports it;
      // with no trailer at all the report also says the end-of-run counters never arrived.
      expect(lost, why).toBeGreaterThan(0);
      if (Object.keys(c.summary.stats.trailers).length === 0) expect(kinds, why).toContain('missing_trailer');
    } else {
      expect(c.summary.stats.trailers.regions_tracked, why).toBeGreaterThanOrEqual(150_000);
      expect(kinds, why).not.toContain('missing_trailer');
    }
    // Counters reported missing only ever come with loss.
    if (kinds.includes('partial_trailer')) expect(lost, why).toBeGreaterThan(0);
    accountingHolds(c.summary.parse);
  }, 60_000);
});

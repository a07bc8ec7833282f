import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventSchema } from '../../src/protocol/schema.ts';
import { makeDemo, splitStreams } from '../fixtures/demo/make-demo.ts';
import { formatRecord } from '../../src/parse/format.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_DIR = join(ROOT, 'test/fixtures/demo/capture');
const DEMO_TRACE = join(ROOT, 'test/fixtures/demo/demo.trace');
const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), ...args], { cwd: tmp, input, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('loadtrace replay', () => {
  it('the demo capture directory is the demo trace laid out as a capture', () => {
    const { stdout, stderr } = splitStreams(makeDemo());
    expect(readFileSync(join(DEMO_DIR, 'stdout.raw'), 'utf8')).toBe(stdout);
    expect(readFileSync(join(DEMO_DIR, 'stderr.raw'), 'utf8')).toBe(stderr);
  });

  it('replays the quick-start demo: every rule fires, baseline-known JITs stay quiet', () => {
    const r = cli(['replay', DEMO_DIR, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const findings = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const rules = new Set(findings.map((f) => f.rule));
    for (const id of ['LT-001', 'LT-002', 'LT-003', 'LT-004', 'LT-005', 'LT-006', 'LT-007', 'LT-100']) expect(rules).toContain(id);
    const names = new Set(findings.map((f) => f.process.name));
    expect([...names].sort()).toEqual(['Invoice Viewer', 'updater']);
  });

  it('gives the same findings from the capture directory and from the raw trace', () => {
    // Evidence line numbers differ: the capture keeps the tracer's messages in stderr.raw, the raw trace inline.
    const strip = (out: string) => out.replace(/"line":\d+,/g, '');
    const a = cli(['replay', DEMO_DIR, '--format', 'jsonl']).stdout;
    const b = cli(['replay', DEMO_TRACE, '--format', 'jsonl']).stdout;
    expect(a.split('\n').length).toBeGreaterThan(10);
    expect(strip(a) === strip(b)).toBe(true);
  });

  it('--json gives the accounting and says whether records were authenticated', () => {
    const dir = JSON.parse(cli(['replay', DEMO_DIR, '--json']).stdout);
    const raw = JSON.parse(cli(['replay', DEMO_TRACE, '--json']).stdout);
    for (const s of [dir, raw]) {
      for (const k of ['lines', 'records', 'recordsByKind', 'diagnostics', 'drops', 'probeErrors', 'foreign', 'blank', 'parseErrors', 'late', 'accounting', 'findings', 'blindSpots']) {
        expect(s).toHaveProperty(k);
      }
      const a = s.accounting;
      expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
      expect(s.drops.total).toBe(3);
    }
    expect(dir.authenticated).toBe(true);
    expect(raw.authenticated).toBe(false);
  });

  it('--events prints schema-valid events in time order, from stdin too', () => {
    const r = cli(['replay', '-', '--events', '--nonce', 'a1b2c3d4e5f60718'], readFileSync(DEMO_TRACE, 'utf8'));
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.length).toBe(35);
    for (const e of events) expect(eventSchema.safeParse(e).success).toBe(true);
    for (let i = 1; i < events.length; i++) expect(BigInt(events[i].ts) >= BigInt(events[i - 1].ts)).toBe(true);
  });

  it('--events --format table prints one readable line an event, flags decoded with the trace\'s OS', () => {
    const r = cli(['replay', DEMO_DIR, '--events', '--format', 'table'], undefined, { TZ: 'UTC' });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(35);
    expect(r.stdout).not.toContain('{"kind"');
    expect(lines[0]).toBe('2026-01-01 00:00:00.000000+00:00       0 dtrace           begin       tool an0840 os darwin backend dtrace');
    // darwin's MAP_* table: 0x1000 is MAP_ANON and 0x800 MAP_JIT here, not Linux's meanings.
    expect(lines[1]).toBe(
      '2026-01-01 00:00:00.000001+00:00     600 node             mmap        addr 0x0 len 0x8000000 prot rwx flags MAP_PRIVATE|MAP_JIT|MAP_ANON|MAP_UNIX03 fd -1 off 0x0 ret 0x3a0000000 err 0',
    );
    const mprotect = lines.find((l) => l.includes(' updater ') && l.includes(' mprotect '))!;
    expect(mprotect).toContain('prot r-x ret 0 err 0 prevProt rwx prevFlags MAP_PRIVATE|MAP_ANON|MAP_UNIX03');
    expect(lines.find((l) => l.includes(' dlsym '))).toContain('handle RTLD_DEFAULT symbol "NSCreateObjectFileImageFromMemory"');
    expect(lines.find((l) => l.includes(' exec ') && l.includes('Invoice'))).toContain('path "/Users/bob/Downloads/Invoice Viewer.app/Contents/MacOS/Invoice Viewer"');
  });

  it('--events without --format, and with --format jsonl or --json, keeps printing JSON Lines', () => {
    for (const extra of [[], ['--format', 'jsonl'], ['--json']]) {
      const r = cli(['replay', DEMO_DIR, '--events', ...extra]);
      expect(r.code).toBe(0);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(events.length).toBe(35);
    }
  });

  it('--events --format table escapes traced strings: no control character reaches the terminal', () => {
    const nonce = 'a1b2c3d4e5f60718';
    const common = { ts: 1767225600000000000n, pid: 42, ppid: 1, tid: 42, uid: 0 };
    const trace =
      formatRecord(nonce, 'begin', { ...common, comm: 'bpftrace', tool: 'an0840', os: 'linux', backend: 'bpftrace' }, { style: 'bpftrace' }) +
      formatRecord(nonce, 'mmap', { ...common, comm: 'ev\x1bil', addr: 0, len: 4096, prot: 5, flags: 0x22, fd: -1, off: 0, ret: 0x7f0000000000, err: 0 }, { style: 'bpftrace' }) +
      formatRecord(nonce, 'exec', { ...common, comm: 'x', path: '/tmp/a\x1b[2J\r\nb"c\\', pathTrunc: false }, { style: 'bpftrace' });
    const r = cli(['replay', '-', '--nonce', nonce, '--events', '--format', 'table'], trace, { TZ: 'UTC' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[1]).toContain(' ev\\x1bil ');
    expect(lines[1]).toContain('prot r-x flags MAP_PRIVATE|MAP_ANONYMOUS fd -1');
    expect(lines[2]).toContain('path "/tmp/a\\x1b[2J\\r\\nb\\"c\\\\"');
  });

  it('tables show date, time and zone: local by default, UTC with Z under --utc', () => {
    // +05:30 and -05:00: offsets that are not whole hours and that cross the date line of the trace (2026-01-01 00:00 UTC).
    const kolkata = cli(['replay', DEMO_DIR], undefined, { TZ: 'Asia/Kolkata' }).stdout;
    expect(kolkata).toContain('dlsym of sensitive symbol NSCreateObjectFileImageFromMemory at 2026-01-01 05:30:00.085+05:30');
    const utc = cli(['replay', DEMO_DIR, '--utc'], undefined, { TZ: 'Asia/Kolkata' }).stdout;
    expect(utc).toContain('dlsym of sensitive symbol NSCreateObjectFileImageFromMemory at 2026-01-01 00:00:00.085Z');
    expect(utc).not.toContain('+05:30');
    const ny = cli(['replay', DEMO_DIR, '--events', '--format', 'table'], undefined, { TZ: 'America/New_York' }).stdout;
    expect(ny.split('\n')[1]).toMatch(/^2025-12-31 19:00:00\.000001-05:00 +600 node /);
    const nyUtc = cli(['replay', DEMO_DIR, '--events', '--format', 'table', '--utc'], undefined, { TZ: 'America/New_York' }).stdout;
    expect(nyUtc.split('\n')[1]).toMatch(/^2026-01-01 00:00:00\.000001Z +600 node /);
  });

  it('--color: auto is plain into a pipe, always colours even under NO_COLOR, never and --no-color stay plain', () => {
    const RED = '\x1b[31mHIGH';
    expect(cli(['replay', DEMO_DIR]).stdout).not.toContain('\x1b[');
    expect(cli(['replay', DEMO_DIR, '--color', 'auto']).stdout).not.toContain('\x1b[');
    expect(cli(['replay', DEMO_DIR, '--color', 'always']).stdout).toContain(RED);
    expect(cli(['replay', DEMO_DIR, '--color', 'always'], undefined, { NO_COLOR: '1' }).stdout).toContain(RED);
    expect(cli(['replay', DEMO_DIR, '--color', 'never']).stdout).not.toContain('\x1b[');
    expect(cli(['replay', DEMO_DIR, '--no-color']).stdout).not.toContain('\x1b[');
    expect(cli(['replay', DEMO_DIR, '--color', 'sometimes']).code).toBe(2);
  });

  it.skipIf(!existsSync('/usr/bin/script') || process.platform !== 'linux')('--color auto on a terminal: colour unless NO_COLOR is set and not empty', () => {
    // script(1) gives the CLI a pseudo-terminal as stdout.
    const onTty = (env: Record<string, string>) =>
      spawnSync('/usr/bin/script', ['-qec', `${process.execPath} ${join(ROOT, 'bin/loadtrace.js')} replay ${DEMO_DIR}`, '/dev/null'], {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: undefined, ...env },
      }).stdout;
    expect(onTty({})).toContain('\x1b[31mHIGH');
    expect(onTty({ NO_COLOR: '' })).toContain('\x1b[31mHIGH');
    expect(onTty({ NO_COLOR: '1' })).not.toContain('\x1b[31m');
    expect(onTty({ NO_COLOR: '1' })).toContain('HIGH');
  });

  it('--fail-on sets exit code 1 when a finding reaches the severity', () => {
    expect(cli(['replay', DEMO_DIR, '--fail-on', 'critical', '--format', 'jsonl']).code).toBe(1);
  });

  it('a missing input is a usage error naming the path', () => {
    const r = cli(['replay', 'no/such/trace.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/trace.txt');
  });

  it('a broken baseline is a usage error naming the bad entry', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, entries: [{ match: { name: 'x' }, dlopen: { allowed: 'yes' } }] }));
    const r = cli(['replay', DEMO_DIR, '--baseline', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: entries\[0\]\.dlopen\.allowed/);
  });

  it('bad options are usage errors', () => {
    expect(cli(['replay', DEMO_DIR, '--min-severity', 'loud']).code).toBe(2);
    expect(cli(['replay', DEMO_DIR, '--nonce', 'xyz']).code).toBe(2);
    expect(cli(['replay', DEMO_DIR, '--format', 'xml']).code).toBe(2);
  });

  it('refuses a capture directory whose raw file is a symbolic link', () => {
    const dir = join(tmp, 'linked');
    cpSync(DEMO_DIR, dir, { recursive: true });
    rmSync(join(dir, 'stdout.raw'));
    symlinkSync('/etc/hostname', join(dir, 'stdout.raw'));
    const r = cli(['replay', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdout\.raw: is a symbolic link/);
  });

  it('reports the processes a follow capture could not attach, from meta.json', () => {
    const dir = join(tmp, 'follow');
    cpSync(DEMO_DIR, dir, { recursive: true });
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    meta.notAttached = [{ pid: 4321, name: 'launchd-helper', reason: 'grab_failed: DTrace cannot control executables signed with restricted entitlements' }];
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    const summary = JSON.parse(cli(['replay', dir, '--json']).stdout);
    const spot = summary.blindSpots.find((b: { kind: string }) => b.kind === 'not_attached');
    expect(spot, JSON.stringify(summary.blindSpots.map((b: { kind: string }) => b.kind))).toBeDefined();
    expect(JSON.stringify(spot)).toContain('4321');
  });

  it('stops quietly when the reader goes away (| head)', () => {
    // Far more output than a pipe buffer holds, so the writer meets the closed pipe (records only, no begin: --allow-empty).
    const big = join(tmp, 'big.trace');
    const nonce = 'a1b2c3d4e5f60718';
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(formatRecord(nonce, 'sample', { ts: 1767225600000000000n + BigInt(i) * 1000n, pid: 7, ppid: 1, tid: 7, uid: 0, comm: 'spin', pc: 0x1000 + i }));
    }
    writeFileSync(big, lines.join(''));
    const cmd = `"${process.execPath}" "${join(ROOT, 'bin/loadtrace.js')}" replay "${big}" --allow-empty --events | head -n 1 >/dev/null; echo "status=\${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|Error/);
    expect(r.stdout.trim()).toBe('status=0');
  });
});

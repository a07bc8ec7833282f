/** Record decoding through the real parser: every kind, every wire type, every way a record can be wrong. */
import { describe, expect, it } from 'vitest';
import { eventSchema } from '../../src/protocol/schema.ts';
import { RECORD_KINDS, wireFields } from '../../src/protocol/registry.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { parseTextSync } from '../../src/parse/index.ts';
import { stringToBytes } from '../../src/parse/escape.ts';
import { exampleFields, NONCE, OTHER_NONCE } from './helpers/trace.ts';

const rec = (kind: Parameters<typeof formatRecord>[1], over: Record<string, unknown> = {}, style: 'dtrace' | 'bpftrace' = 'dtrace') =>
  formatRecord(NONCE, kind, exampleFields(kind, over), { style });
const begin = (os: 'darwin' | 'linux', backend: 'dtrace' | 'bpftrace' = 'dtrace') =>
  rec('begin', { os, backend, tool: 'an0840' }, backend);
const parse = (text: string, opts: Parameters<typeof parseTextSync>[1] = { nonce: NONCE }) => parseTextSync(text, opts);

describe('every record kind', () => {
  for (const kind of RECORD_KINDS) {
    it(`${kind} decodes to a schema-valid event`, () => {
      const r = parse(rec(kind));
      expect(r.summary.parseErrors).toBe(0);
      expect(r.events).toHaveLength(1);
      const ev = r.events[0]!;
      expect(eventSchema.safeParse(ev).success).toBe(true);
      expect(ev).toMatchObject({ kind, ts: '1732700000123456789', pid: 4242, ppid: 1, tid: 777, uid: 501, comm: 'loader', line: 1, seq: 0 });
      expect(ev.t).toBeCloseTo(1732700000123.456789, 3);
      expect(Object.keys(ev).slice(0, 7 + wireFields(kind).length - 6)).toEqual(['kind', ...wireFields(kind).map((f) => f.name)]);
    });
  }
});

describe('wire types', () => {
  it('keeps 64-bit values exact: MAP_FAILED and the RTLD handles', () => {
    const text = [
      rec('mmap', { ret: -1n, err: 13, addr: 0n }),
      rec('dlsym', { handle: -2n, symbol: 'x' }),
      rec('dlsym', { handle: -3n, symbol: 'x' }),
      rec('dlsym', { handle: -5n, symbol: 'x' }),
      rec('dlsym', { handle: -1n, symbol: 'x' }),
    ].join('');
    expect(text).toContain('\tffffffffffffffff\t13\n');
    const evs = parse(text).events as unknown as Record<string, unknown>[];
    expect(evs[0]).toMatchObject({ ret: '0xffffffffffffffff', addr: '0x0' });
    expect(evs.slice(1).map((e) => e.handle)).toEqual(['0xfffffffffffffffe', '0xfffffffffffffffd', '0xfffffffffffffffb', '0xffffffffffffffff']);
  });

  it('canonicalises u64 hex: lowercase, no leading zeros', () => {
    const line = rec('sample', { pc: 1n }).replace(/\t1\n$/, '\t00000001000FC5E6\n');
    expect(parse(line).events[0]).toMatchObject({ pc: '0x1000fc5e6' });
  });

  it('turns an empty str? into null and a NUL-only one into the empty string', () => {
    const evs = parse(rec('dlopen', { path: null, handle: 0n }) + rec('dlopen', { path: '' })).events as unknown as Record<string, unknown>[];
    expect(evs[0]!.path).toBeNull();
    expect(evs[1]!.path).toBe('');
  });

  it('derives mmap traits and prevAnon with the OS of the begin record', () => {
    const darwin = parse(begin('darwin') + rec('mmap', { flags: 0x41802, prot: 7 }) + rec('mprotect', { prevFlags: 0x1002 }) + rec('mprotect', { prevFlags: -1 }));
    expect(darwin.events[1]).toMatchObject({ anon: true, jit: true, shared: false, fixed: false });
    expect(darwin.events[2]).toMatchObject({ prevAnon: true });
    expect(darwin.events[3]).toMatchObject({ prevAnon: null });
    expect(darwin.summary.os).toBe('darwin');
    const linux = parse(begin('linux') + rec('mmap', { flags: 0x22 }) + rec('mmap', { flags: 0x1001 }) + rec('vm_protect', { prevFlags: 0x1002 }));
    expect(linux.events[1]).toMatchObject({ anon: true, jit: false, shared: false });
    expect(linux.events[2]).toMatchObject({ anon: false, shared: true });
    expect(linux.events[3]).toMatchObject({ prevAnon: false });
    expect(linux.summary.os).toBe('linux');
  });

  it('uses the os option before any begin record', () => {
    const r = parse(rec('mmap', { flags: 0x22 }), { nonce: NONCE, os: 'linux' });
    expect(r.events[0]).toMatchObject({ anon: true });
    expect(parse(rec('mmap', { flags: 0x22 })).events[0]).toMatchObject({ anon: false });
  });

  it('switches to bpftrace escaping after a bpftrace begin record and infers trunc -', () => {
    const long = '/usr/lib/x86_64-linux-gnu/' + 'a'.repeat(60) + '.so';
    const text =
      begin('linux', 'bpftrace') +
      formatRecord(NONCE, 'dlopen', exampleFields('dlopen', { path: 'C:\\dir\\lib.so', pathTrunc: '-' }), { style: 'bpftrace' }) +
      formatRecord(NONCE, 'dlopen', exampleFields('dlopen', { path: long, pathTrunc: '-' }), { style: 'bpftrace', bufLen: 64 });
    const evs = parse(text).events as unknown as Record<string, unknown>[];
    expect(evs[0]).toMatchObject({ kind: 'begin', backend: 'bpftrace', comm: 'loader' });
    expect(evs[1]).toMatchObject({ path: 'C:\\dir\\lib.so', pathTrunc: false });
    expect(evs[2]).toMatchObject({ path: long.slice(0, 64), pathTrunc: true });
  });

  it('round-trips a path with a tab, a newline, a quote, a backslash and non-UTF-8 bytes', () => {
    const path = Buffer.concat([Buffer.from('/tmp/a\tb\nc"d\\e/'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('.dylib')]);
    for (const style of ['dtrace', 'bpftrace'] as const) {
      const text =
        begin('darwin', style) + formatRecord(NONCE, 'dlopen', exampleFields('dlopen', { path, pathTrunc: style === 'dtrace' ? false : '-' }), { style, bufLen: 64 });
      expect(text.split('\n')).toHaveLength(3);
      const ev = parse(text).events[1] as unknown as Record<string, unknown>;
      expect(Buffer.from(stringToBytes(ev.path as string))).toEqual(path);
      expect(ev.pathTrunc).toBe(false);
    }
  });

  it('keeps ts exact beyond 2^53', () => {
    const ev = parse(rec('exit', { ts: '18446744073709551615' })).events[0]!;
    expect(ev.ts).toBe('18446744073709551615');
    expect(ev.t).toBeCloseTo(18446744073709.551615, 0);
  });
});

describe('malformed records become parse_error diagnostics naming the field', () => {
  const good = rec('mmap').slice(0, -1);
  const cols = good.split('\t');
  const withCol = (i: number, v: string) => [...cols.slice(0, i), v, ...cols.slice(i + 1)].join('\t') + '\n';
  // columns: 0 marker, 1 kind, 2 ts, 3 pid, ..., 7 comm, 8 addr, 9 len, 10 prot, 11 flags, 12 fd, 13 off, 14 ret, 15 err
  const cases: [string, string, RegExp][] = [
    ['unknown kind', withCol(1, 'mmapp'), /unknown record kind 'mmapp'/],
    ['missing kind', withCol(1, ''), /missing record kind/],
    ['too few fields', cols.slice(0, -1).join('\t') + '\n', /expected 14 fields after the kind, got 13/],
    ['too many fields', good + '\textra\n', /expected 14 fields after the kind, got 15/],
    ['int not decimal', withCol(3, '12x'), /field pid: '12x' is not a safe decimal integer/],
    ['int too big', withCol(3, '9007199254740993'), /field pid: .* not a safe decimal integer/],
    ['int empty', withCol(3, ''), /field pid/],
    ['u64 too long', withCol(8, '1' + '0'.repeat(16)), /field addr: .* is not 1 to 16 hex digits/],
    ['u64 with 0x', withCol(8, '0x10'), /field addr/],
    ['u64 empty', withCol(8, ''), /field addr/],
    ['ts not decimal', withCol(2, '17327e9'), /field ts: .* unsigned 64-bit decimal/],
    ['ts above 2^64-1', withCol(2, '18446744073709551616'), /field ts/],
    ['bad %S escape', withCol(7, 'lo\\qder\\0'), /field comm: unknown escape \\q/],
    ['dangling backslash', withCol(7, 'loader\\'), /field comm: dangling backslash/],
  ];
  for (const [name, line, reason] of cases) {
    it(name, () => {
      const r = parse(line);
      expect(r.events).toHaveLength(0);
      expect(r.diagnostics).toHaveLength(1);
      const d = r.diagnostics[0]!;
      expect(d.family).toBe('parse_error');
      expect(String(d.data.reason)).toMatch(reason);
      expect(r.summary.parseErrors).toBe(1);
      expect(r.summary.accounting.diagnostic).toBe(1);
    });
  }

  it('trunc, word, bytes', () => {
    const t = rec('exec').replace(/\t0\n$/, '\tyes\n');
    expect(parse(t).diagnostics[0]!.data).toMatchObject({ kind: 'exec', field: 'pathTrunc', reason: "field pathTrunc: 'yes' is not 0, 1 or -" });
    const w = rec('trailer').replace('\tdlsnoop\t', '\tno spaces!\t');
    expect(parse(w).diagnostics[0]!.data).toMatchObject({ field: 'counter' });
    const b = rec('bytes').replace('cffaedfe', 'CFFAEDFE');
    expect(parse(b).diagnostics[0]!.data).toMatchObject({ field: 'data' });
    const odd = rec('bytes').replace('cffaedfe', 'cffaedf');
    expect(parse(odd).diagnostics[0]!.data).toMatchObject({ field: 'data' });
  });

  it('begin with an unknown os or backend', () => {
    expect(parse(rec('begin', { os: 'windows' })).diagnostics[0]!.data).toMatchObject({ field: 'os' });
    expect(parse(rec('begin', { backend: 'ebpf' })).diagnostics[0]!.data).toMatchObject({ field: 'backend' });
  });
});

describe('nonce', () => {
  it('counts record-shaped lines with a wrong or missing nonce as forged foreign lines', () => {
    const text = [
      formatRecord(OTHER_NONCE, 'exit', exampleFields('exit')),
      rec('exit').replace(NONCE, ''),
      rec('exit').replace('LT1:' + NONCE, ''),
      rec('exit').replace('LT1:', 'LT2:'),
      rec('exit'),
    ].join('');
    const r = parse(text);
    expect(r.events).toHaveLength(1);
    expect(r.items.slice(0, 4).map((i) => i.type)).toEqual(['foreign', 'foreign', 'foreign', 'foreign']);
    expect(r.summary.foreign).toBe(4);
    // the line with no marker at all is plain foreign; the others carry a marker
    expect(r.summary.forged).toBe(3);
    expect(r.summary.authenticated).toBe(true);
    expect(r.summary.nonce).toBe(NONCE);
  });

  it('without a nonce, locks on the first one seen and reports unauthenticated', () => {
    const text = formatRecord(OTHER_NONCE, 'exit', exampleFields('exit')) + rec('exit') + formatRecord(OTHER_NONCE, 'fork', exampleFields('fork'));
    const r = parseTextSync(text);
    expect(r.events.map((e) => e.kind)).toEqual(['exit', 'fork']);
    expect(r.summary).toMatchObject({ authenticated: false, nonce: OTHER_NONCE, forged: 1, records: 2 });
  });

  it('accepts a record after junk on its line (spliced) and keeps the junk', () => {
    const text = 'partial program output' + rec('exit') + '  7  65081   os.WriteFile:entry ' + rec('fork');
    const r = parse(text);
    expect(r.events).toHaveLength(2);
    expect(r.summary.spliced).toBe(2);
    expect(r.items[0]).toMatchObject({ type: 'record', prefix: 'partial program output' });
  });

  it('does not let a forged marker earlier on the line hide the real one', () => {
    const r = parse('LT1:' + OTHER_NONCE + '\tjunk' + rec('exit'));
    expect(r.events).toHaveLength(1);
  });
});

describe('lines', () => {
  it('accounts for a final line without newline', () => {
    const r = parse(rec('exit') + rec('fork').slice(0, -1));
    expect(r.events.map((e) => e.kind)).toEqual(['exit', 'fork']);
    expect(r.summary.lines).toBe(2);
    const cut = parse(rec('exit') + rec('fork').slice(0, 30));
    expect(cut.summary.lines).toBe(2);
    expect(cut.summary.parseErrors).toBe(1);
  });

  it('treats CRLF as a line end and a lone CR as text', () => {
    const r = parse(rec('exit').replace('\n', '\r\n') + 'a\rb\r\n\r\n' + rec('fork').replace('\n', '\r'));
    expect(r.events.map((e) => e.kind)).toEqual(['exit', 'fork']);
    expect(r.items.map((i) => i.type)).toEqual(['record', 'foreign', 'blank', 'record']);
    expect(r.items[1]).toMatchObject({ text: 'a\rb' });
  });

  it('turns an over-long line into one parse_error and goes on', () => {
    const long = 'x'.repeat(5000);
    const r = parse(rec('exit') + long + '\n' + rec('fork'), { nonce: NONCE, maxLineLength: 1000 });
    expect(r.items.map((i) => (i.type === 'diagnostic' ? i.family : i.type))).toEqual(['record', 'parse_error', 'record']);
    expect(r.diagnostics[0]).toMatchObject({ line: 2, lines: 1, text: 'x'.repeat(200), data: { reason: 'line too long', maxLineLength: 1000 } });
    expect(r.summary.accounting).toMatchObject({ lines: 3, record: 2, diagnostic: 1 });
  });

  it('handles NULs, binary garbage and invalid UTF-8 without throwing', () => {
    const junk = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0xc3, 10, 0xe2, 0x82]);
    const r = parseTextSync(Buffer.concat([junk, Buffer.from(rec('exit'))]), { nonce: NONCE });
    expect(r.summary.lines).toBe(3);
    expect(r.events).toHaveLength(1);
    expect(r.summary.accounting).toMatchObject({ foreign: 2, record: 1 });
  });
});

describe('user stack frames', () => {
  it('attaches dtrace frames (after the blank line ustack() prints) to the record', () => {
    const text =
      rec('dlopen') +
      '\n' +
      '              io_race`os.WriteFile\n' +
      '              io_race`main.writeHostAndPortToFile+0x88\n' +
      '              0x10a3f2000\n' +
      '\n' +
      rec('exit');
    const r = parse(text);
    expect(r.events[0]!.ustack).toEqual(['io_race`os.WriteFile', 'io_race`main.writeHostAndPortToFile+0x88', '0x10a3f2000']);
    expect(r.items.map((i) => i.type)).toEqual(['record', 'blank', 'record']);
    expect(r.items[0]).toMatchObject({ lines: 5 });
    expect(r.summary.accounting).toEqual({ lines: 7, record: 6, diagnostic: 0, foreign: 0, blank: 1 });
    expect(r.events[1]!.ustack).toBeUndefined();
    expect(eventSchema.safeParse(r.events[0]).success).toBe(true);
  });

  it('attaches bpftrace frames (tab or 8 spaces) directly after the record', () => {
    const r = parse(rec('sample') + '\t5653f1a82f43 0x5653f1a82f43 ([unknown])\n        main+42\n' + 'program says hi\n');
    expect(r.events[0]!.ustack).toEqual(['5653f1a82f43 0x5653f1a82f43 ([unknown])', 'main+42']);
    expect(r.items.map((i) => i.type)).toEqual(['record', 'foreign']);
  });

  it('keeps a blank line after a record without frames as blank, and frames after foreign lines foreign', () => {
    const r = parse(rec('exit') + '\nhello\n              libfoo`bar\n');
    expect(r.items.map((i) => i.type)).toEqual(['record', 'blank', 'foreign', 'foreign']);
    expect(r.events[0]!.ustack).toBeUndefined();
  });
});

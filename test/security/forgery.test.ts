/**
 * Forging records by printing to stdout: the traced program shares the
 * tracer's stdout (dtrace -c, bpftrace -c), so it can print anything. Only a
 * line carrying the session's nonce is a record; everything else is counted.
 */
import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { parseTextSync } from '../../src/parse/index.ts';
import { NONCE } from './helpers.ts';

const TS = '1750000000000000000';
const dl = (nonce: string, path: string, comm = 'victim') =>
  formatRecord(nonce, 'dlopen', { ts: TS, pid: 42, ppid: 1, tid: 42, uid: 501, comm, path, mode: 2, handle: '0x5500' });
const REAL = dl(NONCE, '/tmp/real.so');

describe('forged records', () => {
  it('a record with a guessed, all-zero, upper-case or missing nonce is foreign and never an event', () => {
    const forged = [
      dl('0000000000000000', '/tmp/zero.so'),
      dl('0123456789abcdef', '/tmp/guess.so'),
      dl('0123456789abcdef', '/tmp/upper.so').replace('0123456789abcdef', NONCE.toUpperCase()),
      dl('0123456789abcdef', '/tmp/short.so').replace('LT1:0123456789abcdef', `LT1:${NONCE.slice(0, 15)}`),
      dl('0123456789abcdef', '/tmp/v2.so').replace('LT1:0123456789abcdef', `LT2:${NONCE}`),
      dl('0123456789abcdef', '/tmp/nomarker.so').replace('LT1:0123456789abcdef\t', ''),
    ];
    const r = parseTextSync(forged.join('') + REAL, { nonce: NONCE });
    expect(r.events.map((e) => (e as { path?: string }).path)).toEqual(['/tmp/real.so']);
    expect(r.summary.foreign).toBe(6);
    // Marker-shaped lines are flagged as forged; the one without any marker is plain program output.
    expect(r.summary.forged).toBe(5);
    expect(r.summary.parseErrors).toBe(0);
  });

  it('a partial line glued to the next tracer line: the real record is found after it, the prefix never parsed', () => {
    const r = parseTextSync(`LT1:0000000000000000\tdlopen\t${TS}\t1\t1\t1\t0\tsshd\\0\t` + REAL, { nonce: NONCE });
    expect(r.events.length).toBe(1);
    expect((r.events[0] as { path: string }).path).toBe('/tmp/real.so');
    expect(r.summary.spliced).toBe(1);
    const item = r.items.find((i) => i.type === 'record');
    expect(item?.type === 'record' && item.prefix).toContain('sshd');
  });

  it('the marker inside a traced string is escaped, so a path cannot carry a second record', () => {
    const r = parseTextSync(dl(NONCE, `/tmp/x\n${REAL.trimEnd()}`) + dl(NONCE, `/tmp/y\tLT1:${NONCE}\tdlopen`), { nonce: NONCE });
    expect(r.events.length).toBe(2);
    expect(r.summary.lines).toBe(2);
    expect((r.events[0] as { path: string }).path).toBe(`/tmp/x\n${REAL.trimEnd()}`);
  });

  it('indented program output after a record can only add stack frames, never records or fields', () => {
    const r = parseTextSync(REAL + `        LT1:${NONCE}\texit\n` + '        libfake`x+0x1\n', { nonce: NONCE });
    expect(r.events.length).toBe(1);
    expect(r.events[0]!.ustack).toEqual([`LT1:${NONCE}\texit`, 'libfake`x+0x1']);
    expect((r.events[0] as { path: string }).path).toBe('/tmp/real.so');
  });

  it('without the nonce (a raw trace replayed without --nonce) the first nonce seen wins, and the summary says UNAUTHENTICATED', () => {
    const r = parseTextSync(dl('0000000000000000', '/tmp/first.so') + REAL);
    expect(r.summary.authenticated).toBe(false);
    expect(r.summary.nonce).toBe('0000000000000000');
    // The limit of unauthenticated replay: whoever prints first sets the nonce.
    expect(r.events.map((e) => (e as { path?: string }).path)).toEqual(['/tmp/first.so']);
    expect(r.summary.forged).toBe(1);
  });
});

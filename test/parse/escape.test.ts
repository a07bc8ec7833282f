import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesToString,
  decodeField,
  decodeFieldBytes,
  encodeBpftraceR,
  encodeDtraceS,
  stringToBytes,
} from '../../src/parse/escape.ts';

// A path with a tab, a newline, a quote, a backslash, UTF-8 and bytes that are not UTF-8.
const NASTY = Buffer.concat([
  Buffer.from('/tmp/we\tird\nlib"q\\x/é/'),
  Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x01, 0x7f]),
  Buffer.from('.dylib'),
]);

describe('DTrace %S', () => {
  it('encodes like strchr2esc', () => {
    expect(encodeDtraceS(Buffer.from('a b\t"\\\n\x01\x7fé'))).toBe('a b\\t\\"\\\\\\n\\001\\177\\303\\251\\0');
    expect(encodeDtraceS(Buffer.from('x'), { nulTerminated: false })).toBe('x');
    // escaping stops after the first NUL
    expect(encodeDtraceS(Buffer.from('ab\0cd'))).toBe('ab\\0');
  });

  it('strips the copyinstr terminator and reports it', () => {
    expect(decodeField('/dev/dtracehelper\\0')).toEqual({ value: '/dev/dtracehelper', terminated: true });
    expect(decodeField('/dev/dtracehelper')).toEqual({ value: '/dev/dtracehelper', terminated: false });
  });

  it('decodes every C escape and 3-digit octal', () => {
    expect(decodeField('\\a\\b\\f\\n\\r\\t\\v\\"\\\\\\001\\377\\0').value).toBe('\x07\b\f\n\r\t\v"\\\x01\udcff');
  });

  it('reads \\0 followed by two octal digits as an octal byte, not a terminator', () => {
    expect(decodeField('a\\001b\\0')).toEqual({ value: 'a\x01b', terminated: true });
  });

  it('keeps malformed escapes as text in decodeField and refuses them in decodeFieldBytes', () => {
    expect(decodeField('bad\\q')).toEqual({ value: 'bad\\q', terminated: false });
    expect(decodeFieldBytes('bad\\q')).toBeNull();
    expect(decodeFieldBytes('dangling\\')).toBeNull();
    expect(decodeFieldBytes('\\777')).toBeNull();
  });

  it('round-trips a nasty path', () => {
    const enc = encodeDtraceS(NASTY);
    expect(enc).not.toMatch(/[\t\n]/);
    const d = decodeField(enc);
    expect(d.terminated).toBe(true);
    expect(Buffer.from(stringToBytes(d.value))).toEqual(NASTY);
  });
});

describe('bpftrace %r of buf()', () => {
  it('encodes like bpftrace 0.17: printable as is (backslash too), others \\xNN, NUL padding', () => {
    // Seen on bpftrace 0.17 (docs/platforms/linux.md): /tmp/we\x09ird\x0alib".so
    expect(encodeBpftraceR(Buffer.from('/tmp/we\tird\nlib".so'), 24)).toBe('/tmp/we\\x09ird\\x0alib".so\\x00\\x00\\x00\\x00\\x00');
    expect(encodeBpftraceR(Buffer.from('a\\b'), 3)).toBe('a\\b');
  });

  it('strips padding; no padding means the buffer was filled', () => {
    expect(decodeField('ab\\x00\\x00\\x00', 'bpftrace')).toEqual({ value: 'ab', terminated: true });
    expect(decodeField('abcde', 'bpftrace')).toEqual({ value: 'abcde', terminated: false });
  });

  it('treats a backslash that does not start \\x + two lowercase hex digits as a literal backslash', () => {
    expect(decodeField('a\\b\\xZZ\\xAB\\', 'bpftrace').value).toBe('a\\b\\xZZ\\xAB\\');
  });

  it('round-trips a nasty path', () => {
    const enc = encodeBpftraceR(NASTY, 64);
    expect(enc).not.toMatch(/[\t\n]/);
    const d = decodeField(enc, 'bpftrace');
    expect(d.terminated).toBe(true);
    expect(Buffer.from(stringToBytes(d.value))).toEqual(NASTY);
  });
});

describe('surrogateescape', () => {
  it('decodes valid UTF-8 normally and escapes each invalid byte', () => {
    expect(bytesToString(Buffer.from('héllo 😀'))).toBe('héllo 😀');
    expect(bytesToString(Buffer.from([0x61, 0xff, 0xc3]))).toBe('a\udcff\udcc3');
    // a UTF-8-encoded surrogate is not valid UTF-8
    expect(bytesToString(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    // overlong encoding of '/'
    expect(bytesToString(Buffer.from([0xc0, 0xaf]))).toBe('\udcc0\udcaf');
  });

  it('agrees with TextDecoder on valid UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        const b = Buffer.from(s, 'utf8');
        expect(bytesToString(b)).toBe(new TextDecoder().decode(b));
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('round-trips any bytes through both escapings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (raw) => {
        const bytes = raw.filter((b) => b !== 0);
        const viaD = decodeField(encodeDtraceS(bytes));
        expect(Buffer.from(stringToBytes(viaD.value))).toEqual(Buffer.from(bytes));
        expect(viaD.terminated).toBe(true);
        const viaB = decodeField(encodeBpftraceR(bytes, bytes.length + 1), 'bpftrace');
        // bpftrace's one ambiguity: a literal `\xNN` in the data itself (docs/protocol.md 4.2)
        if (!/\\x[0-9a-f]{2}/.test(Buffer.from(bytes).toString('latin1'))) {
          expect(Buffer.from(stringToBytes(viaB.value))).toEqual(Buffer.from(bytes));
        }
        expect(viaB.terminated).toBe(true);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

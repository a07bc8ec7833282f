/**
 * The parser on hostile bytes: it never throws, never hangs, accounts for
 * every line, and a record without the session's nonce never becomes an event.
 */
import fc from 'fast-check';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { ParserCore, parseTextSync, type ParseItem, type ParserOptions } from '../../src/parse/index.ts';
import { MARKER_PREFIX, RECORD_KINDS, wireFields, type RecordKind } from '../../src/protocol/registry.ts';
import { budget, timeout } from './config.ts';

const NONCE = 'c0ffee00c0ffee00';
const FORGED = ['0000000000000000', 'c0ffee00c0ffee01', 'C0FFEE00C0FFEE00'];

/** Lines as the parser counts them: every LF ends one, and a final fragment is one more. */
function countLines(b: Buffer): number {
  let n = 0;
  for (const c of b) if (c === 10) n++;
  return b.length > 0 && b[b.length - 1] !== 10 ? n + 1 : n;
}

function checkAccounting(buf: Buffer, s: ReturnType<typeof parseTextSync>['summary']): void {
  const a = s.accounting;
  expect(s.lines).toBe(countLines(buf));
  expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
  expect(a.lines).toBe(s.lines);
}

// Field values from the registry's wire types, valid and hostile mixed.
const strArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ min: 1, maxLength: 30 }),
  fc.constantFrom('\t', '\n', '\\0', '\\x00', `${MARKER_PREFIX}${NONCE}\t`, '\\', '%s', '\u{1F600}'),
);
function valueArb(type: string, name: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'int':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 });
    case 'u64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'ts':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String);
    case 'str':
      return strArb;
    case 'str?':
      return fc.option(strArb, { nil: null });
    case 'trunc':
      return fc.constantFrom(true, false, '-');
    case 'bytes':
      return fc.uint8Array({ maxLength: 32 });
    default:
      if (name === 'os') return fc.constantFrom('darwin', 'linux');
      if (name === 'backend') return fc.constantFrom('dtrace', 'bpftrace');
      return fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
  }
}
const recordArb = fc.constantFrom(...RECORD_KINDS).chain((kind: RecordKind) =>
  fc
    .record(Object.fromEntries(wireFields(kind).map((f) => [f.name, valueArb(f.type, f.name)])) as Record<string, fc.Arbitrary<unknown>>)
    .map((fields) => ({ kind, fields })),
);

const TRACER_NOISE = [
  'dtrace: 12 drops on CPU 1',
  'dtrace: 3 dynamic variable drops with non-empty dirty list',
  'Lost 77 events',
  'dtrace: error on enabled probe ID 2 (ID 8: syscall::open:entry): invalid address (0x9af1b) in action #1 at DIF offset 12',
  'dtrace: invalid probe specifier BEGIN',
  'dtrace: failed to grab pid 42: no such process',
  'dtrace: pid 42 has exited',
  'ERROR: something',
  'Attaching 41 probes...',
  '              libfoo`bar+0x10',
  '        0x7f0000001000',
];

type Piece = { bytes: Buffer; authentic: boolean };
const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 4, arbitrary: recordArb.map(({ kind, fields }) => ({ bytes: Buffer.from(formatRecord(NONCE, kind, fields as never, { style: 'dtrace' })), authentic: true })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(recordArb, fc.constantFrom(...FORGED))
      // Formatted with a stand-in nonce, then given the forged one (formatRecord refuses an uppercase nonce).
      .map(([{ kind, fields }, nonce]) => ({ bytes: Buffer.from(formatRecord('0123456789abcdef', kind, fields as never).replace('0123456789abcdef', nonce)), authentic: false })),
  },
  { weight: 1, arbitrary: recordArb.map(({ kind, fields }) => ({ bytes: Buffer.from(formatRecord(NONCE, kind, fields as never).slice(0, -1).slice(0, 40)), authentic: false })) },
  { weight: 2, arbitrary: fc.constantFrom(...TRACER_NOISE).map((s) => ({ bytes: Buffer.from(`${s}\n`), authentic: false })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((u) => ({ bytes: Buffer.from(u), authentic: false })) },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', '\r', '\t\t\n', `${MARKER_PREFIX}`, 'x'.repeat(700)).map((s) => ({ bytes: Buffer.from(s), authentic: false })) },
);

const OPTS: ParserOptions = { nonce: NONCE, maxLineLength: 512 };

describe('parser fuzzing', () => {
  it('arbitrary bytes: never throws, accounts for every line, bounded time per input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (u, auth) => {
        const buf = Buffer.from(u);
        const t0 = performance.now();
        const r = parseTextSync(buf, auth ? OPTS : { maxLineLength: 512 });
        expect(performance.now() - t0).toBeLessThan(500);
        checkAccounting(buf, r.summary);
      }),
      budget(400),
    );
  }, timeout(30_000));

  it('hostile traces: records without the nonce never become events; chunking changes nothing', () => {
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 }), (pieces, cuts) => {
        const buf = Buffer.concat(pieces.map((p) => p.bytes));
        const t0 = performance.now();
        const r = parseTextSync(buf, OPTS);
        expect(performance.now() - t0).toBeLessThan(500);
        checkAccounting(buf, r.summary);
        // Every event is one authentic record: there are never more events than authentic markers.
        const marker = Buffer.from(`${MARKER_PREFIX}${NONCE}\t`);
        let authentic = 0;
        for (let i = buf.indexOf(marker); i >= 0; i = buf.indexOf(marker, i + 1)) authentic++;
        expect(r.events.length).toBeLessThanOrEqual(authentic);
        expect(r.summary.records).toBe(r.events.length);
        // Fed in arbitrary chunks (even inside UTF-8 sequences), the same items come out.
        const items: ParseItem[] = [];
        const core = new ParserCore(OPTS, (i) => items.push(i));
        const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
        const dec = new StringDecoder('utf8');
        let prev = 0;
        for (const p of [...points, buf.length]) {
          core.write(dec.write(buf.subarray(prev, p)));
          prev = p;
        }
        core.write(dec.end());
        core.finish();
        expect(core.result().accounting).toEqual(r.summary.accounting);
        expect(items.filter((i) => i.type === 'record').length).toBe(r.events.length);
      }),
      budget(300),
    );
  }, timeout(30_000));

  it('a trace made only of forged records gives no event at all', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(recordArb, fc.constantFrom(...FORGED.slice(0, 2))), { minLength: 1, maxLength: 30 }), (recs) => {
        const text = recs.map(([{ kind, fields }, nonce]) => formatRecord(nonce, kind, fields as never)).join('');
        const r = parseTextSync(text, OPTS);
        expect(r.events).toEqual([]);
        expect(r.summary.forged).toBe(recs.length);
      }),
      budget(200),
    );
  });

  it('long lines built from tracer-message words classify in bounded time (no regex blow-up)', () => {
    const words = ['dtrace: ', 'error ', 'on ', 'CPU ', ' drops', 'probe ', 'ID ', '(', ')', ':', ' ', '0x', '9', 'pid ', 'Lost ', 'events', 'ERROR: ', 'invalid ', 'address ', 'in action #', 'at DIF offset ', 'failed to ', 'grab ', 'specifier ', '\t', 'LT1:', 'a'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 30 }), (ws, rep) => {
        const line = ws.join('').repeat(rep).slice(0, 20_000);
        const t0 = performance.now();
        const r = parseTextSync(`${line}\n${line}`, { nonce: NONCE });
        expect(performance.now() - t0).toBeLessThan(300);
        expect(r.summary.lines).toBe(2);
      }),
      budget(150),
    );
  }, timeout(30_000));
});

/**
 * Records held undecoded in the reorder window (parse/held.ts) must come out
 * exactly as the eager path decodes them: same events in the same order, the
 * same parse errors, the same counts.
 */
import fc from 'fast-check';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { HeldRecords, ParserCore, parseTextSync, type ParserOptions } from '../../src/parse/index.ts';
import type { Diagnostic } from '../../src/protocol/diagnostics.ts';
import { MARKER_PREFIX, type RecordKind, type TraceEvent } from '../../src/protocol/registry.ts';
import { budget, timeout } from '../fuzz/config.ts';
import { exampleFields, NONCE, recordArb } from './helpers/trace.ts';

const OPTS: ParserOptions = { nonce: NONCE, maxLineLength: 512 };

interface HeldRun {
  events: TraceEvent[];
  diagnostics: Diagnostic[];
  /** Held records that failed to decode when they left the window. */
  failedOnRelease: number;
  summary: ReturnType<ParserCore['result']>;
}

/** Parse through a HeldRecords window, the text fed in the given chunks. */
function viaHeld(buf: Buffer, cuts: number[] = [], opts: ParserOptions = OPTS, windowMs?: number): HeldRun {
  const events: TraceEvent[] = [];
  const diagnostics: Diagnostic[] = [];
  let failedOnRelease = 0;
  const held = new HeldRecords(
    { windowMs },
    {
      event: (e) => events.push(e),
      diagnostic: (d) => {
        failedOnRelease++;
        diagnostics.push(d);
      },
    },
  );
  const core = new ParserCore(
    opts,
    (item) => {
      if (item.type === 'diagnostic') diagnostics.push(item);
      else if (item.type === 'record') throw new Error('a record reached the item callback although records are held');
    },
    held,
  );
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const dec = new StringDecoder('utf8');
  let prev = 0;
  for (const p of [...points, buf.length]) {
    core.write(dec.write(buf.subarray(prev, p)));
    prev = p;
  }
  core.write(dec.end());
  core.finish();
  held.flush();
  const summary = core.result();
  summary.late = held.late;
  return { events, diagnostics, failedOnRelease, summary };
}

/** An event without its arrival number: held records number every record that reached the window, failed ones too. */
function sansSeq(e: TraceEvent): Omit<TraceEvent, 'seq'> {
  const { seq: _seq, ...rest } = e;
  return rest;
}

const rec = (kind: RecordKind, over: Record<string, unknown> = {}, style: 'dtrace' | 'bpftrace' = 'dtrace') =>
  formatRecord(NONCE, kind, exampleFields(kind, over) as never, { style });

// Pieces of a trace: records (in either escaping, so a begin that switches backends matters), ustack frames,
// records broken after their head was read, out-of-order timestamps, tracer noise and junk.
const pieceArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(recordArb, fc.constantFrom<'dtrace' | 'bpftrace'>('dtrace', 'bpftrace')).map(([{ kind, fields }, style]) => formatRecord(NONCE, kind, fields as never, { style })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('dtrace', 'bpftrace'), fc.constantFrom('darwin', 'linux'), fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_800_000_000_000_000_000n }))
      .map(([backend, os, ts]) => rec('begin', { backend, os, ts: String(ts) })),
  },
  {
    // Timestamps a few ns or ms apart near one instant: many share their t, so the exact order decides.
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom<RecordKind>('exit', 'fork', 'sample'), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 300 }))
      .map(([kind, ms, ns]) => rec(kind, { ts: String(1_764_000_000_000_000_000n + BigInt(ms) * 1_000_000n + BigInt(ns)) })),
  },
  { weight: 2, arbitrary: fc.constantFrom('              libsystem_c.dylib`malloc+0x10\n', '        0x7f0000001000\n', '\n') },
  {
    weight: 2,
    arbitrary: fc
      .tuple(recordArb, fc.constantFrom('\tx', 'zz', '\t', ''), fc.nat({ max: 3 }))
      // A valid kind and ts, then a broken field: held, and found bad only when it leaves the window.
      .map(([{ kind, fields }, junk, k]) => {
        const line = formatRecord(NONCE, kind, fields as never).slice(0, -1).split('\t');
        line[Math.min(line.length - 1, 3 + k)] += junk;
        return line.join('\t') + '\n';
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom('dtrace: 3 drops on CPU 1\n', 'Lost 7 events\n', 'program output\n', `${MARKER_PREFIX}${NONCE}\tsample\t12x\n`, 'noise ') },
);

describe('records held undecoded', () => {
  it('give the events, parse errors and counts of eager decoding, whatever the chunking', () => {
    let cleanRuns = 0;
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(0, 5, 1000), (pieces, cuts, windowMs) => {
        const buf = Buffer.from(pieces.join(''));
        const eager = parseTextSync(buf, { ...OPTS, reorderWindowMs: windowMs });
        const held = viaHeld(buf, cuts, OPTS, windowMs);
        const byLine = (es: TraceEvent[]) => es.map(sansSeq).sort((x, y) => x.line - y.line);
        expect(byLine(held.events)).toEqual(byLine(eager.events));
        // A record whose kind and ts read well moves the window's clock on arrival, even if a later field of it
        // is bad: release order and late counts can differ from eager decoding only then.
        const clean = held.failedOnRelease === 0;
        if (clean) {
          cleanRuns++;
          expect(held.events.map(sansSeq)).toEqual(eager.events.map(sansSeq));
        }
        const errors = (ds: Diagnostic[]) => ds.filter((d) => d.family === 'parse_error').map((d) => [d.line, d.data.reason, d.data.kind, d.data.field]);
        expect(errors(held.diagnostics).sort()).toEqual(errors(eager.diagnostics).sort());
        const h = held.summary;
        const e = eager.summary;
        expect(h.records).toBe(e.records);
        expect(h.recordsByKind).toEqual(e.recordsByKind);
        expect(h.parseErrors).toBe(e.parseErrors);
        if (clean) expect(h.late).toBe(e.late);
        expect(h.lines).toBe(e.lines);
        const a = h.accounting;
        expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
      }),
      budget(300),
    );
    // The order check above must have run on a good share of the traces.
    expect(cleanRuns).toBeGreaterThan(50);
  }, timeout(60_000));

  it('a record bad past its head becomes a parse_error when it leaves the window, and is no longer counted a record', () => {
    const text = rec('sample', { ts: '2000000000', pc: 0x1000n }) + rec('sample', { ts: '1000000000' }).replace('\t501\t', '\t5x1\t') + rec('exit', { ts: '3000000000' });
    const r = viaHeld(Buffer.from(text));
    expect(r.events.map((e) => e.kind)).toEqual(['sample', 'exit']);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ family: 'parse_error', line: 2, data: { kind: 'sample', field: 'uid' } });
    expect(r.summary.records).toBe(2);
    expect(r.summary.recordsByKind).toEqual({ sample: 1, exit: 1 });
    expect(r.summary.accounting).toMatchObject({ lines: 3, record: 2, diagnostic: 1 });
  });

  it('keeps ustack frames with their record, and decodes each record in the escaping of the begin before it', () => {
    const text =
      rec('begin', { ts: '1', backend: 'bpftrace', os: 'linux' }) +
      rec('dlopen', { ts: '5', path: 'a\tb' }, 'bpftrace') +
      '\n        0x7f0000001000\n        0x7f0000002000\n' +
      rec('begin', { ts: '2', backend: 'dtrace' }) +
      rec('dlopen', { ts: '3', path: 'c\td' }, 'dtrace');
    // bpftrace pads strings to their buffer size: longer lines than OPTS allows.
    const eager = parseTextSync(text, { nonce: NONCE });
    const r = viaHeld(Buffer.from(text), [], { nonce: NONCE });
    expect(r.events.map(sansSeq)).toEqual(eager.events.map(sansSeq));
    const paths = r.events.filter((e) => e.kind === 'dlopen').map((e) => (e as { path: string }).path);
    expect(paths).toEqual(['c\td', 'a\tb']);
    expect(r.events.find((e) => e.kind === 'dlopen' && e.ts === '5')?.ustack).toEqual(['0x7f0000001000', '0x7f0000002000']);
  });

  it('orders equal ms by the exact nanoseconds, then by arrival, as compareEvents does', () => {
    // 2^53 < these ns: their ms doubles are equal, their exact values are not.
    const text = rec('exit', { ts: '9007199254740993001' }) + rec('exit', { ts: '9007199254740993000' }) + rec('fork', { ts: '9007199254740993000' });
    const r = viaHeld(Buffer.from(text));
    expect(r.events.map((e) => [e.kind, e.ts])).toEqual([
      ['exit', '9007199254740993000'],
      ['fork', '9007199254740993000'],
      ['exit', '9007199254740993001'],
    ]);
  });

  it('compares arrivals with the record released last in order, even after a late one was delivered and its slots reused', () => {
    // Beyond 2^53 ns, timestamps a few ns apart have the same t: only the exact comparison with the record
    // released last tells whether an arrival is late, so that record's slot must not have been reused.
    const base = 9_007_199_254_740_993_000n;
    const at = (ms: number, ns = 0n) => rec('exit', { ts: String(base + BigInt(ms) * 1_000_000n + ns) });
    const events: TraceEvent[] = [];
    const held = new HeldRecords({ windowMs: 10 }, { event: (e) => events.push(e), diagnostic: () => {} });
    const core = new ParserCore(OPTS, () => {}, held);
    // 0 and 50 released by 100; 20 arrives late; 95 takes a free slot; 50 ms + 1 ns is after 50, not late.
    core.write(at(0) + at(50) + at(100) + at(20) + at(95) + at(50, 1n));
    core.finish();
    held.flush();
    expect(held.late).toBe(1);
    expect(events.map((e) => (BigInt(e.ts) - base) / 1_000_000n)).toEqual([0n, 50n, 20n, 50n, 95n, 100n]);
  });

  it('keeps a bounded amount of input text alive, whatever the traced program prints between records', () => {
    const events: TraceEvent[] = [];
    const held = new HeldRecords({ windowMs: 1e12, maxText: 50_000 }, { event: (e) => events.push(e), diagnostic: () => {} });
    const core = new ParserCore(OPTS, () => {}, held);
    let most = 0;
    // Each record arrives in its own piece of text, behind 20,000 characters of program output (written as one
    // line of up to OPTS' 512 characters at a time), all within the window: only the text bound releases them.
    for (let i = 0; i < 200; i++) {
      core.write(`${'x'.repeat(500)}\n`.repeat(40) + rec('exit', { ts: String(1_764_000_000_000_000_000n + BigInt(i)) }));
      most = Math.max(most, held.keptText);
    }
    expect(most).toBeLessThanOrEqual(50_000 + 21_000);
    expect(held.size).toBeLessThan(5);
    core.finish();
    held.flush();
    expect(held.keptText).toBe(0);
    expect(events).toHaveLength(200);
    expect(held.late).toBe(0);
  });

  it('counts ustack frames as kept text, and copies them', () => {
    const events: TraceEvent[] = [];
    const held = new HeldRecords({ windowMs: 1e12, maxText: 200_000 }, { event: (e) => events.push(e), diagnostic: () => {} });
    const core = new ParserCore(OPTS, () => {}, held);
    const frames = Array.from({ length: 1000 }, (_, k) => `              libx.dylib\`f${k}+0x${'1'.repeat(400)}`);
    let most = 0;
    for (let i = 0; i < 50; i++) {
      core.write(rec('sample', { ts: String(1_764_000_000_000_000_000n + BigInt(i)) }) + '\n' + frames.join('\n') + '\n');
      most = Math.max(most, held.keptText);
    }
    core.finish();
    held.flush();
    // About 420 kB of frames per record: each is released as soon as the next one is held.
    expect(most).toBeLessThan(2 * 450_000);
    expect(held.keptText).toBe(0);
    expect(events).toHaveLength(50);
    expect(events[7]!.ustack).toHaveLength(1000);
    expect(events[7]!.ustack![3]).toBe(frames[3]!.trim());
  });

  it('counts two pieces of text with the same characters twice: they are two strings in memory', () => {
    const held = new HeldRecords({ windowMs: 1e12 }, { event: () => {}, diagnostic: () => {} });
    const core = new ParserCore(OPTS, () => {}, held);
    const piece = () => Array.from({ length: 50 }, (_, i) => rec('exit', { ts: String(1_764_000_000_000_000_000n + BigInt(i)) })).join('');
    const a = piece();
    const b = piece();
    core.write(a);
    core.write(b);
    expect(held.keptText).toBe(a.length + b.length);
    core.finish();
    held.flush();
    expect(held.keptText).toBe(0);
  });

  it('keeps one piece of text for the many records in it', () => {
    const held = new HeldRecords({ windowMs: 1e12 }, { event: () => {}, diagnostic: () => {} });
    const core = new ParserCore(OPTS, () => {}, held);
    const text = Array.from({ length: 500 }, (_, i) => rec('exit', { ts: String(1_764_000_000_000_000_000n + BigInt(i)) })).join('');
    core.write(text);
    core.finish();
    expect(held.size).toBe(500);
    expect(held.keptText).toBe(text.length);
    held.flush();
    expect(held.keptText).toBe(0);
  });

  it('holds no more than maxEvents and counts records released late', () => {
    const events: TraceEvent[] = [];
    const held = new HeldRecords({ windowMs: 1e12, maxEvents: 3 }, { event: (e) => events.push(e), diagnostic: () => {} });
    const core = new ParserCore(OPTS, () => {}, held);
    core.write(['9', '8', '7', '6', '5'].map((s) => rec('exit', { ts: `${s}000000` })).join(''));
    core.finish();
    expect(held.size).toBe(3);
    held.flush();
    expect(events.map((e) => e.ts)).toEqual(['6000000', '5000000', '7000000', '8000000', '9000000']);
    expect(held.late).toBe(1);
  });
});

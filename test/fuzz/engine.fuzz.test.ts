/**
 * The engine on arbitrary valid event sequences, built from the record
 * registry: it never throws, its findings stay within maxFindings and
 * maxEvidence, and the same events always give the same report.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_BASELINE } from '../../src/baseline/schema.ts';
import { loadDefaultBaseline } from '../../src/baseline/load.ts';
import { createEngine, runEngine } from '../../src/engine/index.ts';
import { MAP_BITS, mmapTraits, type Os } from '../../src/protocol/flags.ts';
import { RECORD_KINDS, wireFields, type RecordKind, type TraceEvent, type WireType } from '../../src/protocol/registry.ts';
import { eventSchema } from '../../src/protocol/schema.ts';
import { budget, timeout } from './config.ts';

// Small domains, so that events of one process meet the same regions, handles and paths.
const PAGE = 0x1000;
const addrArb = fc.oneof(
  fc.integer({ min: 0, max: 64 }).map((i) => `0x${(0x7f0000000000 + i * PAGE).toString(16)}`),
  fc.constantFrom('0x0', '0xffffffffffffffff', '0x7fffffffffffffff', '0x1fffffffffffff'),
);
const lenArb = fc.oneof(fc.integer({ min: 0, max: 8 }).map((i) => `0x${(i * PAGE).toString(16)}`), fc.constantFrom('0x1', '0xffffffffffffffff'));
const strArb = fc.oneof(
  fc.constantFrom('/usr/lib/libc.so.6', '/tmp/x.so', '/dev/shm/.h', '', 'payload', 'mprotect', '__proto__', 'constructor'),
  fc.string({ maxLength: 40 }),
);

function valueArb(kind: RecordKind, name: string, type: WireType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'int':
      if (name === 'pid' || name === 'ppid' || name === 'tid' || name === 'child') return fc.integer({ min: 0, max: 6 });
      if (name === 'prot' || name === 'prevProt') return fc.integer({ min: -1, max: 7 });
      if (name === 'flags' || name === 'prevFlags') return fc.oneof(fc.constantFrom(-1, 0x22, 0x802, 0x1012, 0x2), fc.integer({ min: -1, max: 0xffff }));
      if (name === 'fd') return fc.integer({ min: -1, max: 5 });
      return fc.integer({ min: -2, max: 3 });
    case 'u64':
      return name === 'len' || name === 'size' ? lenArb : addrArb;
    case 'ts':
      return fc.constant('0'); // set from the position below
    case 'str':
      return strArb;
    case 'str?':
      return fc.option(strArb, { nil: null });
    case 'trunc':
      return fc.boolean();
    case 'word':
      if (name === 'os') return fc.constantFrom('darwin', 'linux');
      if (name === 'backend') return fc.constantFrom('dtrace', 'bpftrace');
      if (name === 'fn') return fc.constantFrom('NSCreateObjectFileImageFromMemory', 'NSLinkModule');
      return fc.constantFrom('lost_events', 'regions_forgotten', '__proto__', 'constructor', 'x');
    case 'bytes':
      return fc.constantFrom('', 'cffaedfe07000001', '7f454c4602010100', 'c3', '90909090');
  }
  void kind;
}

const eventArb = (os: Os) =>
  fc.constantFrom(...RECORD_KINDS).chain((kind) =>
    fc.record(Object.fromEntries(wireFields(kind).map((f) => [f.name, valueArb(kind, f.name, f.type)])) as Record<string, fc.Arbitrary<unknown>>).map((v) => {
      const e: Record<string, unknown> = { kind, ...v };
      if (kind === 'mmap') Object.assign(e, mmapTraits(e.flags as number, os));
      if (kind === 'mprotect' || kind === 'vm_protect') {
        const pf = e.prevFlags as number;
        e.prevAnon = pf < 0 ? null : (pf & MAP_BITS[os].anon) !== 0;
      }
      return e;
    }),
  );

/** Events in time order with line, seq and t filled in (some steps go back, as late events do). */
const traceArb = (os: Os) =>
  fc.array(fc.tuple(eventArb(os), fc.integer({ min: -5, max: 50 })), { maxLength: 80 }).map((list) => {
    let t = 1_750_000_000_000;
    return list.map(([e, dt], i) => {
      t += dt;
      return { ...e, ts: String(BigInt(t) * 1_000_000n), t, line: i + 1, seq: i } as unknown as TraceEvent;
    });
  });

const LIMITS = { maxFindings: 3, maxEvidence: 2, maxProcesses: 4, maxRegionsPerProcess: 6, maxExamples: 2 };

describe('engine fuzzing', () => {
  it('the generated events are valid events (the arbitraries follow the registry)', () => {
    fc.assert(
      fc.property(traceArb('linux'), (events) => {
        for (const e of events) expect(eventSchema.safeParse(e).success).toBe(true);
      }),
      budget(50),
    );
  });

  for (const os of ['darwin', 'linux'] as const) {
    it(`${os}: never throws; findings, evidence and examples stay within the limits; reports are deterministic`, () => {
      const baselines = [EMPTY_BASELINE, loadDefaultBaseline(os)];
      let produced = 0;
      fc.assert(
        fc.property(traceArb(os), fc.constantFrom(0, 1), (events, b) => {
          const opts = { baseline: baselines[b]!, os, limits: LIMITS, windowMs: 20 };
          const r = runEngine(events, [], opts);
          produced += r.findings.length;
          expect(r.findings.length).toBeLessThanOrEqual(LIMITS.maxFindings);
          for (const f of r.findings) {
            expect(f.evidence.length).toBeLessThanOrEqual(LIMITS.maxEvidence);
            expect(f.count).toBeGreaterThanOrEqual(1);
          }
          for (const s of r.blindSpots) expect(s.examples.length).toBeLessThanOrEqual(LIMITS.maxExamples);
          expect(r.stats.events).toBe(events.length);
          expect(r.stats.findings + r.stats.findingsDropped).toBeGreaterThanOrEqual(r.findings.length);
          // A report is data: it serializes, and the same events give the same one.
          const again = runEngine(events, [], opts);
          expect(JSON.stringify(again)).toBe(JSON.stringify(r));
          expect(Object.keys(Object.prototype)).toEqual([]);
        }),
        budget(300),
      );
      // The arbitraries reach the rules: a fuzzer that never fires one tests little.
      expect(produced).toBeGreaterThan(50);
    }, timeout(30_000));
  }

  it('events fed one by one with diagnostics in between give the same findings as a batch', () => {
    fc.assert(
      fc.property(traceArb('linux'), (events) => {
        const e = createEngine({ baseline: EMPTY_BASELINE, os: 'linux', limits: LIMITS });
        for (const x of events) {
          e.event(x);
          e.diagnostic({ type: 'diagnostic', family: 'tracer_notice', severity: 'info', line: x.line, lines: 1, text: 'noise', data: {} });
        }
        const a = e.finish();
        const b = runEngine(events, [], { baseline: EMPTY_BASELINE, os: 'linux', limits: LIMITS });
        expect(a.findings.map((f) => f.id)).toEqual(b.findings.map((f) => f.id));
      }),
      budget(100),
    );
  });
});

/** Properties of the parser over random input: it never throws, accounts for every line, and does not care how input is cut. */
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { createParser, parseStream, parseTextSync, type ParseItem, type ParserOptions } from '../../src/parse/index.ts';
import { stringToBytes } from '../../src/parse/escape.ts';
import { countLines, NONCE, OTHER_NONCE, recordArb } from './helpers/trace.ts';

const OPTS: ParserOptions = { nonce: NONCE, maxLineLength: 120 };

/** Feed chunks to the stream parser and collect what it emits. */
async function viaStream(chunks: Buffer[], opts: ParserOptions): Promise<ParseItem[]> {
  const p = createParser(opts);
  const items: ParseItem[] = [];
  p.on('data', (i: ParseItem) => items.push(i));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const c of chunks) p.write(c);
  p.end();
  await done;
  return items;
}

function cut(buf: Buffer, points: number[]): Buffer[] {
  const ps = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of ps) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

// Pieces of realistic and hostile input; joined they make a trace.
const pieceArb: fc.Arbitrary<Buffer> = fc.oneof(
  recordArb.map(({ kind, fields }) => Buffer.from(formatRecord(NONCE, kind, fields))),
  recordArb.map(({ kind, fields }) => Buffer.from(formatRecord(OTHER_NONCE, kind, fields))),
  fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u)),
  fc.constantFrom(
    '\n',
    '\r\n',
    '\r',
    'é😀中\n',
    '\n              libfoo`bar+0x10\n',
    '\tframe\n',
    'dtrace: 12 drops on CPU 1\n',
    'dtrace: invalid probe specifier BEGIN\n{\n',
    ': syntax error\n',
    'dtrace: error on enabled probe ID 2 (ID 8: syscall::open:entry):\n',
    'invalid address (0x9af1b) in action #1\n',
    'y'.repeat(300),
    '\n' + 'z'.repeat(120) + '\r\n',
    'LT1:',
  ).map((s) => Buffer.from(s)),
);
const traceArb = fc.array(pieceArb, { maxLength: 25 }).map((ps) => Buffer.concat(ps));

function itemSpan(i: ParseItem): [number, number] {
  if (i.type === 'record') return [i.event.line, i.lines];
  if (i.type === 'diagnostic') return [i.line, i.lines];
  return [i.line, 1];
}

describe('parser properties', () => {
  it('never throws on random bytes and accounts for every line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (u) => {
        const buf = Buffer.from(u);
        const r = parseTextSync(buf, OPTS);
        const a = r.summary.accounting;
        expect(r.summary.lines).toBe(countLines(buf));
        expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('accounts for every line of mixed traces, with items covering consecutive lines', () => {
    fc.assert(
      fc.property(traceArb, (buf) => {
        const r = parseTextSync(buf, OPTS);
        const a = r.summary.accounting;
        expect(r.summary.lines).toBe(countLines(buf));
        expect(a.record + a.diagnostic + a.foreign + a.blank).toBe(a.lines);
        let next = 1;
        for (const i of r.items) {
          const [first, span] = itemSpan(i);
          expect(first).toBe(next);
          next += span;
        }
        expect(next - 1).toBe(a.lines);
      }),
      { seed: 2, numRuns: 200 },
    );
  });

  it('emits the same items however the input is cut into chunks, even inside UTF-8 sequences', async () => {
    await fc.assert(
      fc.asyncProperty(traceArb, fc.array(fc.nat(), { maxLength: 12 }), async (buf, points) => {
        const whole = parseTextSync(buf, OPTS).items;
        const chunked = await viaStream(cut(buf, points), OPTS);
        expect(chunked).toEqual(whole);
      }),
      { seed: 3, numRuns: 150 },
    );
  });

  it('gives the same items byte by byte', async () => {
    const buf = Buffer.from('é😀\n' + formatRecord(NONCE, 'exit', { ts: '1', pid: 1, ppid: 0, tid: 1, uid: 0, comm: 'ça', status: 0 }) + 'y'.repeat(300) + '\r\n' + 'w'.repeat(120) + '\r\nend\r');
    const bytes = [...buf].map((b) => Buffer.from([b]));
    expect(await viaStream(bytes, OPTS)).toEqual(parseTextSync(buf, OPTS).items);
  });

  it('recovers every record of a valid trace split at random places, with its field values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 15 }), fc.array(fc.nat(), { maxLength: 8 }), async (recs, points) => {
        const buf = Buffer.from(recs.map((r) => formatRecord(NONCE, r.kind, r.fields)).join(''));
        const res = await parseStream(Readable.from(cut(buf, points)), { nonce: NONCE, reorderWindowMs: 0, reorderMaxEvents: 1 << 20 });
        expect(res.summary.records).toBe(recs.length);
        expect(res.summary.parseErrors).toBe(0);
        const bySeq = [...res.events].sort((a, b) => a.seq - b.seq);
        bySeq.forEach((ev, i) => {
          const want = recs[i]!;
          const e = ev as unknown as Record<string, unknown>;
          expect(e.kind).toBe(want.kind);
          expect(e.ts).toBe(want.fields.ts);
          for (const [k, v] of Object.entries(want.fields)) {
            if (v instanceof Uint8Array) expect(Buffer.from(stringToBytes(e[k] as string))).toEqual(Buffer.from(v));
            else if (typeof v === 'bigint') expect(e[k]).toBe('0x' + v.toString(16));
            else expect(e[k]).toEqual(v);
          }
        });
      }),
      { seed: 4, numRuns: 100 },
    );
  });

  it('gives the same ordered events when CPU order is shuffled within the window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 2, maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (gapsUs, cpus, seed) => {
          // Distinct timestamps, dealt to CPUs; dtrace prints each CPU's buffer in turn per 100 ms pass.
          let ts = 1_732_700_000_000_000_000n;
          const recs = gapsUs.map((g, i) => {
            ts += BigInt(g) * 1000n;
            return { ts: ts.toString(), cpu: (i * 7 + seed) % cpus, line: formatRecord(NONCE, 'sample', { ts: ts.toString(), pid: 1, ppid: 0, tid: i, uid: 0, comm: 'p', pc: BigInt(i) }) };
          });
          const inOrder = recs.map((r) => r.line).join('');
          const passes = new Map<number, typeof recs>();
          for (const r of recs) {
            const pass = Math.floor(Number(BigInt(r.ts) - 1_732_700_000_000_000_000n) / 100e6);
            passes.set(pass, [...(passes.get(pass) ?? []), r]);
          }
          const shuffled = [...passes.values()]
            .map((rs) => [...rs].sort((a, b) => a.cpu - b.cpu).map((r) => r.line).join(''))
            .join('');
          const strip = (evs: readonly object[]) => evs.map((e) => ({ ...e, seq: 0, line: 0 }));
          const a = parseTextSync(inOrder, { nonce: NONCE, reorderWindowMs: 1000 });
          const b = parseTextSync(shuffled, { nonce: NONCE, reorderWindowMs: 1000 });
          expect(b.summary.late).toBe(0);
          expect(strip(b.events)).toEqual(strip(a.events));
          expect(a.events.map((e) => e.ts)).toEqual(recs.map((r) => r.ts));
        },
      ),
      { seed: 5, numRuns: 200 },
    );
  });
});

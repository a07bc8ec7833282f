import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createParser, parseFile, parseStream, parseText, parseTextSync, ParserOptionsError, type ParseItem } from '../../src/parse/index.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { exampleFields, NONCE } from './helpers/trace.ts';

const SAMPLE = fileURLToPath(new URL('../fixtures/traces/dtrace-real/23_gaultier_go_ustack_multiline_cross_cpu_order.txt', import.meta.url));

describe('convenience API', () => {
  it('parseFile, parseStream and parseText agree', async () => {
    const raw = readFileSync(SAMPLE);
    const a = await parseFile(SAMPLE);
    const b = await parseStream(Readable.from([raw.subarray(0, 777), raw.subarray(777)]));
    const c = await parseText(raw.toString('utf8'));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a.summary.lines).toBe(70);
  });

  it('a read larger than one decoded slice (64 KiB) parses as the whole text does, characters cut at slice ends included', async () => {
    // Records escape their strings, so the traced program's own output carries the raw UTF-8: a 4-byte character
    // is placed across each 64 KiB boundary, cut after its first, second and third byte.
    const parts: Buffer[] = [];
    let size = 0;
    let records = 0;
    const add = (s: string) => {
      const b = Buffer.from(s);
      parts.push(b);
      size += b.length;
    };
    for (const [k, cut] of [[1, 1], [2, 2], [3, 3]] as const) {
      const boundary = k * 65536;
      while (size < boundary - 500) {
        add(formatRecord(NONCE, 'exit', exampleFields('exit', { ts: String(1_700_000_000_000_000_000n + BigInt(records)) })));
        records++;
      }
      add(`${'x'.repeat(boundary - cut - size)}😀 Ärger €\n`);
    }
    add(formatRecord(NONCE, 'exit', exampleFields('exit')));
    records++;
    const raw = Buffer.concat(parts);
    for (const k of [1, 2, 3]) expect(raw[k * 65536]! & 0xc0).toBe(0x80);
    expect(raw.length).toBeGreaterThan(3 * 65536);
    const whole = parseTextSync(raw, { nonce: NONCE });
    const streamed = await parseStream(Readable.from([raw]), { nonce: NONCE });
    expect(streamed.items).toEqual(whole.items);
    expect(streamed.summary).toEqual(whole.summary);
    expect(whole.summary.records).toBe(records);
    expect(whole.summary.foreign).toBe(3);
    expect(whole.items.filter((i) => i.type === 'foreign').map((i) => (i as { text: string }).text.slice(-10))).toEqual(Array(3).fill('😀 Ärger €'));
  });

  it('createParser reports its summary as it goes', async () => {
    const p = createParser({ nonce: NONCE });
    const items: ParseItem[] = [];
    p.on('data', (i: ParseItem) => items.push(i));
    const done = new Promise((r) => p.on('end', r));
    p.end(formatRecord(NONCE, 'exit', exampleFields('exit')) + 'dtrace: 3 drops on CPU 0\n\nhello');
    await done;
    expect(items.map((i) => i.type)).toEqual(['record', 'diagnostic', 'blank', 'foreign']);
    expect(p.summary()).toMatchObject({
      lines: 4,
      records: 1,
      recordsByKind: { exit: 1 },
      diagnostics: { drops: 1 },
      drops: { total: 3, byKind: { principal: 3 } },
      foreign: 1,
      blank: 1,
      authenticated: true,
      accounting: { lines: 4, record: 1, diagnostic: 1, foreign: 1, blank: 1 },
    });
  });

  it('refuses bad options with a named error', () => {
    expect(() => parseTextSync('', { nonce: 'NOTHEX' })).toThrow(ParserOptionsError);
    expect(() => parseTextSync('', { maxLineLength: 0 })).toThrow(/maxLineLength/);
  });

  it('summarises an empty input', () => {
    expect(parseTextSync('').summary).toMatchObject({ lines: 0, records: 0, authenticated: false, nonce: null, os: 'darwin' });
  });
});

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

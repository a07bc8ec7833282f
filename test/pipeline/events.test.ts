import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { parseText } from '../../src/parse/index.ts';
import { readEvents } from '../../src/pipeline/events.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { exampleFields } from '../parse/helpers/trace.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(ROOT, 'test/fixtures/rules');
const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-events-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function all(it: AsyncIterable<TraceEvent>): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('readEvents', () => {
  const traces = readdirSync(RULES).filter((f) => f.endsWith('.trace'));

  it.each(traces)('%s: the events parseText gives, in the same order', async (name) => {
    const text = readFileSync(join(RULES, name));
    const nonce = /LT1:([0-9a-f]{16})/.exec(text.toString('latin1'))?.[1] ?? null;
    const want = (await parseText(text, { nonce })).events;
    expect(await all(readEvents(join(RULES, name), { nonce }))).toEqual(want);
    expect(await all(readEvents(text, { nonce }))).toEqual(want);
  });

  it('a long trace read slowly, and one left after a few events', async () => {
    const nonce = 'feedfacecafebeef';
    const file = join(tmp, 'long.trace');
    let text = '';
    for (let i = 0; i < 30_000; i++) text += formatRecord(nonce, 'exit', exampleFields('exit', { ts: String(1_764_000_000_000_000_000n + BigInt(i) * 1000n), pid: i }));
    writeFileSync(file, text);
    let n = 0;
    for await (const e of readEvents(file, { nonce })) {
      expect(e.pid).toBe(n++);
      if (n % 5000 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(n).toBe(30_000);
    const some: number[] = [];
    for await (const e of readEvents(file, { nonce })) {
      some.push(e.pid);
      if (some.length === 5) break;
    }
    expect(some).toEqual([0, 1, 2, 3, 4]);
  });

  it('a missing file is an error, not an empty trace', async () => {
    await expect(all(readEvents(join(tmp, 'nope.trace')))).rejects.toThrow(/ENOENT/);
  });
});

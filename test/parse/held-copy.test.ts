/**
 * Held records keep a copy of their line outside the heap (a byte a character
 * when it is ASCII, UTF-16 otherwise), and
 * bpftrace-escaped process names are cached by their raw text: both must give
 * exactly what decoding the line in place gives.
 */
import { describe, expect, it } from 'vitest';
import { formatRecord } from '../../src/parse/format.ts';
import { HeldRecords, ParserCore, parseTextSync } from '../../src/parse/index.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { newDecodeContext, type DecodeContext } from '../../src/parse/record-fields.ts';
import { decodeRecordGeneric } from '../../src/parse/record-generic.ts';
import { decodeRecord } from '../../src/parse/records.ts';
import { MARKER_PREFIX } from '../../src/protocol/registry.ts';
import { NONCE } from './helpers/trace.ts';

/** `buf(s, n)` as bpftrace 0.17 prints it with %r: every byte as \xNN, NUL-padded. */
function bpfAll(bytes: Uint8Array, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += '\\x' + (i < bytes.length ? bytes[i]! : 0).toString(16).padStart(2, '0');
  return out;
}

describe('escaped process names', () => {
  it('decode the same through the cache as through the table-driven decoder', () => {
    // Names alike in the bytes the cache hashes, names that fill the buffer (no terminator), UTF-8, invalid UTF-8.
    const names: Uint8Array[] = ['bash', 'basx', 'bas', 'python3', 'pythonX', 'systemd-journal', 'sixteen-bytes-xx', 'é-node', ''].map((s) => Buffer.from(s));
    names.push(Uint8Array.from([0xff, 0x41, 0x42]));
    const lines: string[] = [];
    for (let r = 0; r < 3; r++) {
      for (const n of names) {
        for (const len of [16, 12]) {
          lines.push(`${MARKER_PREFIX}${NONCE}\tsample\t1732700000123456789\t10\t1\t10\t0\t${bpfAll(n, len)}\t7f00\n`);
        }
        // printable bytes as themselves, as encodeBpftraceR prints them
        lines.push(formatRecord(NONCE, 'sample', { ts: '1732700000123456789', pid: 10, ppid: 1, tid: 10, uid: 0, comm: n, pc: 0x7f00 }, { style: 'bpftrace', bufLen: 16 }));
      }
    }
    for (const style of ['bpftrace', 'dtrace'] as const) {
      for (const l of lines) {
        const ctx: DecodeContext = newDecodeContext('linux', style);
        const ctx2: DecodeContext = newDecodeContext('linux', style);
        const pos = MARKER_PREFIX.length + NONCE.length + 1;
        expect(decodeRecord(l, pos, ctx, 1, 0, l.length - 1)).toEqual(decodeRecordGeneric(l, pos, ctx2, 1, 0, l.length - 1));
      }
    }
  });
});

describe('held line copies', () => {
  it('give back lines with any characters as they came, lone surrogates included, ASCII and wide lines mixed on one page', () => {
    const paths = ['/usr/lib/libé.so', '/opt/😀/lib.so', '/tmp/\ud800x', '/tmp/\udc00', 'plain'];
    let text = formatRecord(NONCE, 'begin', { ts: '1732700000000000000', pid: 1, ppid: 0, tid: 1, uid: 0, comm: 'dtrace', tool: 'an0840', os: 'darwin', backend: 'dtrace' });
    let ns = 100;
    for (let i = 0; i < 200; i++) {
      const path = paths[i % paths.length]!;
      // Out of order within 1 ms, so records wait in the window.
      ns += i % 3 === 0 ? 500_000 : -100_000;
      const line = formatRecord(NONCE, 'dlopen', { ts: `17327000010${String(ns).padStart(8, '0')}`, pid: 5, ppid: 1, tid: 5, uid: 0, comm: 'node', path: 'X', pathTrunc: false, mode: 1, handle: 16 });
      text += line.replace('X\\0', `${path}\\0`);
    }
    const events: TraceEvent[] = [];
    const window = new HeldRecords({ windowMs: 1000 }, { event: (e) => events.push(e), diagnostic: () => {} });
    const core = new ParserCore({ nonce: NONCE }, () => {}, window);
    // In pieces, so that records wait while later input arrives.
    for (let i = 0; i < text.length; i += 997) core.write(text.slice(i, i + 997));
    core.finish();
    window.flush();
    const held = { events };
    const eager = parseTextSync(text, { nonce: NONCE, reorderWindowMs: 1000 });
    const strip = (es: readonly TraceEvent[]) => es.map((e) => ({ ...e, seq: 0 }));
    expect(held.events.length).toBe(201);
    expect(held.events.map((e) => (e as { path?: string }).path)).toContain('/tmp/\ud800x');
    const sort = (es: ReturnType<typeof strip>) => [...es].sort((a, b) => a.line - b.line);
    expect(sort(strip(held.events))).toEqual(sort(strip(eager.events)));
  });
});

/** Fixture building for parser tests: valid field values for every record kind, from the registry. */
import fc from 'fast-check';
import { RECORD_KINDS, wireFields, type RecordKind, type WireType } from '../../../src/protocol/registry.ts';
import type { FormatFields } from '../../../src/parse/format.ts';

export const NONCE = '9f3c2a7b1e4d5c6f';
export const OTHER_NONCE = '0123456789abcdef';

/** Input lines as the parser must count them: every LF ends one, and a final fragment is one more. */
export function countLines(input: Buffer | string): number {
  const b = typeof input === 'string' ? Buffer.from(input) : input;
  let n = 0;
  for (const c of b) if (c === 10) n++;
  return b.length > 0 && b[b.length - 1] !== 10 ? n + 1 : n;
}

// C strings: no NUL inside.
const bytesArb = fc.uint8Array({ min: 1, minLength: 0, maxLength: 40 });

function valueArb(type: WireType, name: string): fc.Arbitrary<FormatFields[string]> {
  switch (type) {
    case 'int':
      return fc.integer({ min: -5, max: 1 << 20 });
    case 'u64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'ts':
      // Realistic wall-clock ns times, unique enough to avoid ties.
      return fc.bigInt({ min: 1_700_000_000_000_000_000n, max: 1_800_000_000_000_000_000n }).map((b) => b.toString());
    case 'str':
      return bytesArb;
    case 'str?':
      return fc.option(bytesArb, { nil: null });
    case 'trunc':
      return fc.boolean();
    case 'word':
      if (name === 'os') return fc.constantFrom('darwin', 'linux');
      if (name === 'backend') return fc.constant('dtrace');
      return fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    case 'bytes':
      return fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u).toString('hex'));
  }
}

/** Any record kind except begin (which switches parser context), with valid field values. */
export const recordArb: fc.Arbitrary<{ kind: RecordKind; fields: FormatFields }> = fc
  .constantFrom(...RECORD_KINDS.filter((k) => k !== 'begin'))
  .chain((kind) =>
    fc.record(Object.fromEntries(wireFields(kind).map((f) => [f.name, valueArb(f.type, f.name)]))).map((fields) => ({
      kind,
      fields: fields as FormatFields,
    })),
  );

/** Fields of a typical record of each kind, for example-based tests. */
export function exampleFields(kind: RecordKind, over: Record<string, unknown> = {}): FormatFields {
  const base: Record<string, unknown> = {
    ts: '1732700000123456789',
    pid: 4242,
    ppid: 1,
    tid: 777,
    uid: 501,
    comm: 'loader',
  };
  for (const f of wireFields(kind).slice(6)) {
    const v: Record<WireType, unknown> = {
      int: 3,
      u64: 0x100fc5e60n,
      ts: '1732700000123456789',
      str: '/tmp/libx.dylib',
      'str?': '/tmp/libx.dylib',
      trunc: false,
      word: f.name === 'os' ? 'darwin' : f.name === 'backend' ? 'dtrace' : 'dlsnoop',
      bytes: 'cffaedfe',
    };
    base[f.name] = v[f.type];
  }
  return { ...base, ...over } as FormatFields;
}

/** The record registry and the schemas built from it: the one table every stage reads. */
import { describe, expect, it } from 'vitest';
import { COMMON_FIELDS, MARKER_PREFIX, NONCE_PATTERN, PROTOCOL_VERSION, RECORDS, RECORD_KINDS, wireFields, type WireType } from '../../src/protocol/registry.ts';
import { eventSchema, eventSchemas } from '../../src/protocol/schema.ts';

const WIRE_TYPES: readonly WireType[] = ['int', 'u64', 'ts', 'str', 'str?', 'trunc', 'word', 'bytes'];
// Names the parser adds to every event; a record field of one of these names would be overwritten.
const ORIGIN = ['kind', 'line', 'seq', 't', 'ustack'];

describe('the registry', () => {
  it('gives every kind a documented, unambiguous field list', () => {
    expect(RECORD_KINDS[0]).toBe('begin');
    for (const kind of RECORD_KINDS) {
      const names = wireFields(kind).map((f) => f.name);
      expect(new Set(names).size, `${kind}: a field name twice`).toBe(names.length);
      expect(names.filter((n) => ORIGIN.includes(n)), kind).toEqual([]);
      expect(RECORDS[kind].doc.length, kind).toBeGreaterThan(10);
      for (const f of RECORDS[kind].fields) {
        expect(WIRE_TYPES, `${kind}.${f.name}`).toContain(f.type);
        expect(f.doc.length, `${kind}.${f.name} has no doc`).toBeGreaterThan(3);
        expect(f.name, `${kind}.${f.name}`).toMatch(/^[a-z][A-Za-z0-9_]*$/);
      }
    }
  });

  it('puts a trunc field only right after the string it describes', () => {
    for (const kind of RECORD_KINDS) {
      const fields = wireFields(kind);
      fields.forEach((f, i) => {
        if (f.type === 'trunc') expect(['str', 'str?'], `${kind}.${f.name}`).toContain(fields[i - 1]?.type);
      });
    }
  });

  it('starts every record with the common fields, and marks it with the protocol version', () => {
    for (const kind of RECORD_KINDS) expect(wireFields(kind).slice(0, COMMON_FIELDS.length)).toEqual([...COMMON_FIELDS]);
    expect(MARKER_PREFIX).toBe(`LT${PROTOCOL_VERSION}:`);
    expect(NONCE_PATTERN.test('0123456789abcdef')).toBe(true);
    expect(NONCE_PATTERN.test('0123456789ABCDEF')).toBe(false);
    expect(NONCE_PATTERN.test('0123456789abcde')).toBe(false);
  });
});

describe('the schemas built from it', () => {
  it('have one strict schema per kind, with exactly the registry’s fields', () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([...RECORD_KINDS].sort());
    for (const kind of RECORD_KINDS) {
      const keys = Object.keys(eventSchemas[kind].shape);
      for (const f of wireFields(kind)) expect(keys, `${kind}.${f.name}`).toContain(f.name);
    }
  });

  it('refuse an event with a field of the wrong wire type or an unknown field', () => {
    const base = { kind: 'exit', ts: '1', pid: 1, ppid: 0, tid: 1, uid: 0, comm: 'x', line: 1, seq: 0, t: 0 };
    const exit = Object.fromEntries(RECORDS.exit.fields.map((f) => [f.name, f.type === 'int' ? 0 : f.type === 'trunc' ? false : f.type === 'u64' ? '0x0' : '']));
    expect(eventSchema.safeParse({ ...base, ...exit }).success).toBe(true);
    expect(eventSchema.safeParse({ ...base, ...exit, ts: '1.5' }).success).toBe(false);
    expect(eventSchema.safeParse({ ...base, ...exit, pid: 1.5 }).success).toBe(false);
    expect(eventSchema.safeParse({ ...base, ...exit, extra: 1 }).success).toBe(false);
    expect(eventSchema.safeParse({ ...base, ...exit, kind: 'nope' }).success).toBe(false);
  });
});

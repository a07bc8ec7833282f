/**
 * zod schemas for events, built from the record registry. They guard the
 * boundaries: events read back from JSON Lines, and the parser's own tests.
 * The parser's hot path decodes fields itself and does not run these.
 */
import { z } from 'zod';
import { COMMON_FIELDS, RECORDS, RECORD_KINDS, type RecordKind, type WireType } from './registry.ts';

const U64 = /^0x[0-9a-f]{1,16}$/;
const TS = /^[0-9]{1,20}$/;
const HEX = /^(?:[0-9a-f]{2})*$/;

function wireSchema(type: WireType): z.ZodType {
  switch (type) {
    case 'int':
      return z.number().int();
    case 'u64':
      return z.string().regex(U64);
    case 'ts':
      return z.string().regex(TS);
    case 'str':
    case 'word':
      return z.string();
    case 'str?':
      return z.string().nullable();
    case 'trunc':
      return z.boolean();
    case 'bytes':
      return z.string().regex(HEX);
  }
}

const derived: Partial<Record<RecordKind, Record<string, z.ZodType>>> = {
  mmap: { anon: z.boolean(), jit: z.boolean(), shared: z.boolean(), fixed: z.boolean() },
  mprotect: { prevAnon: z.boolean().nullable() },
  vm_protect: { prevAnon: z.boolean().nullable() },
};

const origin = {
  line: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  t: z.number(),
  ustack: z.array(z.string()).optional(),
};

function kindSchema(kind: RecordKind) {
  const shape: Record<string, z.ZodType> = { kind: z.literal(kind) };
  for (const field of [...COMMON_FIELDS, ...RECORDS[kind].fields]) shape[field.name] = wireSchema(field.type);
  Object.assign(shape, derived[kind] ?? {}, origin);
  return z.strictObject(shape);
}

/** One strict schema per record kind. */
export const eventSchemas = Object.fromEntries(RECORD_KINDS.map((k) => [k, kindSchema(k)])) as Record<
  RecordKind,
  z.ZodObject
>;

/** Any event, discriminated by `kind`. */
export const eventSchema = z.discriminatedUnion(
  'kind',
  RECORD_KINDS.map((k) => eventSchemas[k]) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

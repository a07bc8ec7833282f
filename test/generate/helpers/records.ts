/**
 * A registry-based check of one output line, independent of the parser: marker and
 * nonce, kind, field count, and each field's shape for its wire type.
 */
import { COMMON_FIELDS, MARKER_PREFIX, RECORDS, type RecordKind, type WireType } from '../../../src/protocol/registry.ts';

const SHAPE: Record<WireType, RegExp> = {
  ts: /^[0-9]{19}$/,
  int: /^-?[0-9]+$/,
  u64: /^[0-9a-f]{1,16}$/,
  str: /^(\\x[0-9a-f]{2})+$/,
  'str?': /^((\\x[0-9a-f]{2})+)?$/,
  trunc: /^(-|0|1)$/,
  word: /^[A-Za-z0-9_]+$/,
  bytes: /^([0-9a-f]{2})+$/,
};

/** Kind of a valid record line, or a reason it is not one. */
export function checkRecordLine(line: string, nonce: string): { kind: RecordKind } | { error: string } {
  const fields = line.split('\t');
  if (fields[0] !== `${MARKER_PREFIX}${nonce}`) return { error: `bad marker ${fields[0]}` };
  const kind = fields[1] as RecordKind;
  if (!(kind in RECORDS)) return { error: `unknown kind ${kind}` };
  const spec = [...COMMON_FIELDS, ...RECORDS[kind].fields];
  const values = fields.slice(2);
  if (values.length !== spec.length) return { error: `${kind}: ${values.length} fields, expected ${spec.length}` };
  for (let i = 0; i < spec.length; i++) {
    if (!SHAPE[spec[i]!.type].test(values[i]!)) return { error: `${kind}.${spec[i]!.name}: ${JSON.stringify(values[i])} is not ${spec[i]!.type}` };
  }
  return { kind };
}

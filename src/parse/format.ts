/**
 * Record lines formatted the way the templates print them, from the registry:
 * for fixtures, tests and benchmarks. Throws on bad input: it is a fixture
 * builder, not a parser.
 */
import { MARKER_PREFIX, NONCE_PATTERN, wireFields, type RecordKind } from '../protocol/registry.ts';
import { encodeBpftraceR, encodeDtraceS, type EscapeStyle } from './escape.ts';

export interface FormatOptions {
  /** `dtrace` (default): strings as `%S` prints them; `bpftrace`: as `%r` of `buf()` prints them. */
  readonly style?: EscapeStyle;
  /** bpftrace buf() length for strings. Default 64 (bpftrace 0.17's default string size). */
  readonly bufLen?: number;
  /** DTrace style: end strings with the `\0` a copyinstr() string carries. Default true. */
  readonly nulTerminated?: boolean;
}

type Value = string | number | bigint | boolean | null | undefined | Uint8Array;

/** Field values by registry name; trunc fields may be omitted (dtrace: 0, bpftrace: `-`). */
export type FormatFields = Readonly<Record<string, Value>>;

const U64_MASK = (1n << 64n) - 1n;

function u64(name: string, v: Value): string {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^(0x)?[0-9a-fA-F]{1,16}$/.test(v)) return BigInt(v.startsWith('0x') ? v : '0x' + v).toString(16);
  else throw new TypeError(`u64 field ${name}: ${String(v)} is not an integer, bigint or hex string`);
  // %llx of a negative value prints its two's complement (MAP_FAILED, RTLD_NEXT…).
  return (b & U64_MASK).toString(16);
}

function int(name: string, v: Value): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new TypeError(`int field ${name}: ${String(v)} is not a safe integer`);
  return String(v);
}

/** One record line, newline included, exactly as a template prints it. */
export function formatRecord(nonce: string, kind: RecordKind, fields: FormatFields, opts: FormatOptions = {}): string {
  if (!NONCE_PATTERN.test(nonce)) throw new TypeError(`nonce ${nonce} is not 16 lowercase hex digits`);
  const style = opts.style ?? 'dtrace';
  const bufLen = opts.bufLen ?? 64;
  let out = MARKER_PREFIX + nonce + '\t' + kind;
  for (const f of wireFields(kind)) {
    const v = fields[f.name];
    let s: string;
    switch (f.type) {
      case 'int':
        s = int(f.name, v);
        break;
      case 'u64':
        s = u64(f.name, v);
        break;
      case 'ts':
        if (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) s = v.toString();
        else if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) s = v;
        else throw new TypeError(`ts field ${f.name}: ${String(v)} is not an unsigned decimal`);
        break;
      case 'str?':
      case 'str':
        if (v === null && f.type === 'str?') {
          s = '';
          break;
        }
        if (typeof v !== 'string' && !(v instanceof Uint8Array)) throw new TypeError(`string field ${f.name}: ${String(v)} is not a string or bytes`);
        s = style === 'dtrace' ? encodeDtraceS(v, { nulTerminated: opts.nulTerminated ?? true }) : encodeBpftraceR(v, bufLen);
        break;
      case 'trunc':
        if (v === undefined) s = style === 'dtrace' ? '0' : '-';
        else if (v === '-' || v === '0' || v === '1') s = v;
        else if (typeof v === 'boolean') s = v ? '1' : '0';
        else throw new TypeError(`trunc field ${f.name}: ${String(v)} is not a boolean, '0', '1' or '-'`);
        break;
      case 'word':
        if (typeof v !== 'string') throw new TypeError(`word field ${f.name}: ${String(v)} is not a string`);
        s = v;
        break;
      case 'bytes':
        if (v instanceof Uint8Array) s = Buffer.from(v).toString('hex');
        else if (typeof v === 'string') s = v;
        else throw new TypeError(`bytes field ${f.name}: ${String(v)} is not hex or bytes`);
        break;
    }
    out += '\t' + s;
  }
  return out + '\n';
}

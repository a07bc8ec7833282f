/**
 * Extracts printf calls from D and bpftrace programs and checks record printfs against
 * the registry: kind, field count and order, the conversion of every wire type, and
 * the common-field arguments.
 */
import { COMMON_FIELDS, MARKER_PREFIX, RECORDS, type RecordKind, type WireType } from '../../../src/protocol/registry.ts';

export interface PrintfCall {
  readonly format: string;
  readonly args: string[];
  readonly line: number;
}

/** Raw source of a string literal -> its escape sequences kept as written. */
function readString(src: string, i: number): { raw: string; end: number } {
  let j = i + 1;
  let raw = '';
  while (j < src.length && src[j] !== '"') {
    if (src[j] === '\\') {
      raw += src.slice(j, j + 2);
      j += 2;
    } else raw += src[j++];
  }
  return { raw, end: j + 1 };
}

/** Split an argument list at top-level commas (parentheses, brackets and strings respected). */
function splitArgs(src: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '"') {
      const s = readString(src, i);
      cur += src.slice(i, s.end);
      i = s.end - 1;
      continue;
    }
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out.map((a) => a.replace(/\s+/g, ' '));
}

/** Every printf( … ) in a program, comments removed first. */
export function extractPrintfs(program: string): PrintfCall[] {
  const src = program.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
  const calls: PrintfCall[] = [];
  const re = /\bprintf\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    let i = m.index + m[0].length;
    while (/\s/.test(src[i]!)) i++;
    if (src[i] !== '"') throw new Error(`printf without a literal format at offset ${i}`);
    const fmt = readString(src, i);
    let depth = 1;
    let j = fmt.end;
    let inStr = false;
    for (; j < src.length && depth > 0; j++) {
      const ch = src[j];
      if (inStr) {
        if (ch === '\\') j++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    const rest = src.slice(fmt.end, j - 1).trim().replace(/^,/, '');
    calls.push({ format: fmt.raw, args: splitArgs(rest), line: src.slice(0, m.index).split('\n').length });
    re.lastIndex = j;
  }
  return calls;
}

type Backend = 'dtrace' | 'bpftrace';

/** Conversions accepted for a wire type, per backend (a literal token for bpftrace trunc). */
const CONVERSIONS: Record<Backend, Record<WireType, RegExp>> = {
  dtrace: {
    ts: /^%lld$/,
    int: /^%d$/,
    u64: /^%llx$/,
    str: /^%S$/,
    'str?': /^(%S|)$/,
    trunc: /^%d$/,
    word: /^%s$/,
    bytes: /^(%02x){16}$/,
  },
  bpftrace: {
    ts: /^%s%03llu$/,
    int: /^%d$/,
    u64: /^%llx$/,
    str: /^%rx$/,
    'str?': /^(%rx|)$/,
    trunc: /^(-|0)$/,
    word: /^%s$/,
    bytes: /^(%02x){16}$/,
  },
};

const COMMON_ARGS: Record<Backend, string[]> = {
  dtrace: ['LT_NONCE', 'walltimestamp', 'pid', 'ppid', 'tid', 'uid', 'execname'],
  bpftrace: [
    'LT_NONCE',
    'strftime("%s%f", $t - $t % 1000)',
    '$t % 1000',
    'pid',
    'curtask->real_parent->tgid',
    'tid',
    'uid',
    'buf(comm, 16)',
  ],
};

function conversionCount(part: string): number {
  return (part.replace(/%%/g, '').match(/%/g) ?? []).length;
}

/** Problems with one printf (empty when it is a valid record printf or an allowed non-record printf). */
export function checkPrintf(call: PrintfCall, backend: Backend): { kind?: RecordKind; problems: string[] } {
  const problems: string[] = [];
  const where = `printf at line ${call.line}`;
  if (backend === 'bpftrace' && call.format === '%s' && call.args.length === 1 && call.args[0] === 'ustack') {
    return { problems };
  }
  if (!call.format.startsWith(`${MARKER_PREFIX}%s\\t`)) return { problems: [`${where}: not a record printf: ${call.format}`] };
  if (!call.format.endsWith('\\n')) problems.push(`${where}: does not end with \\n`);
  const parts = call.format.slice(0, -2).split('\\t');
  const kind = parts[1] as RecordKind;
  if (!(kind in RECORDS)) return { problems: [`${where}: unknown kind ${kind}`] };
  const fields = [...COMMON_FIELDS, ...RECORDS[kind].fields];
  const values = parts.slice(2);
  if (values.length !== fields.length) {
    problems.push(`${where}: ${kind} has ${values.length} fields, registry has ${fields.length}`);
    return { kind, problems };
  }
  fields.forEach((f, i) => {
    if (!CONVERSIONS[backend][f.type].test(values[i]!)) {
      problems.push(`${where}: ${kind}.${f.name} (${f.type}) printed with ${JSON.stringify(values[i])}`);
    }
  });
  const expected = conversionCount(parts[0]!) + values.reduce((n, v) => n + conversionCount(v), 0);
  if (expected !== call.args.length) problems.push(`${where}: ${expected} conversions but ${call.args.length} arguments`);
  const common = COMMON_ARGS[backend];
  common.forEach((a, i) => {
    if (call.args[i] !== a) problems.push(`${where}: argument ${i + 1} is ${JSON.stringify(call.args[i])}, expected ${a}`);
  });
  // Strings must go through the escaping conversion of a bounded buffer.
  let argIndex = common.length;
  fields.slice(COMMON_FIELDS.length).forEach((f, i) => {
    const v = values[COMMON_FIELDS.length + i]!;
    const n = conversionCount(v);
    if (backend === 'bpftrace' && v === '%rx' && !/^buf\(.*, LT_STRSIZE\)$/.test(call.args[argIndex] ?? '')) {
      problems.push(`${where}: ${kind}.${f.name} is not buf(…, LT_STRSIZE): ${call.args[argIndex]}`);
    }
    if (f.type === 'word' && !/^("[A-Za-z0-9_]+"|LT_TOOL|LT_OS)$/.test(call.args[argIndex] ?? '')) {
      problems.push(`${where}: ${kind}.${f.name} is a word but its argument is not a template literal: ${call.args[argIndex]}`);
    }
    argIndex += n;
  });
  return { kind, problems };
}

/**
 * Events as a table for people (`replay --events --format table`): one line an
 * event, with flag values decoded by the OS's own tables. The JSON Lines form
 * stays the machine format; this one is for reading.
 */
import { decodeMapFlags, decodeRtldMode, decodeVmFlags, decodeVmProt, protString, rtldHandleName, type Os } from '../protocol/flags.ts';
import { RECORDS, type TraceEvent } from '../protocol/registry.ts';
import { formatTs, terminalText, type TimeOptions } from './text.ts';

export interface EventTableOptions extends TimeOptions {
  /** OS of the trace, for the MAP_* and RTLD_* tables; a begin record passed to the formatter replaces it. */
  os?: Os;
}

const MREMAP: readonly [string, number][] = [
  ['MREMAP_MAYMOVE', 1],
  ['MREMAP_FIXED', 2],
  ['MREMAP_DONTUNMAP', 4],
];

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const joinOr = (names: string[], raw: number) => (names.length > 0 ? names.join('|') : String(raw));

function mapFlags(v: number, os: Os | undefined): string {
  // Without the OS, MAP_ANON and MAP_JIT cannot be told from other bits: the raw value, honestly.
  return os === undefined ? hex(v) : joinOr(decodeMapFlags(v, os), v);
}

/** One field's value as shown, or null to leave the field out. */
function fieldValue(e: TraceEvent, name: string, os: Os | undefined): string | null {
  const v = (e as unknown as Record<string, unknown>)[name];
  const k = e.kind;
  if (typeof v === 'number') {
    if (name === 'prot') return k === 'vm_protect' || k === 'vm_map' ? joinOr(decodeVmProt(v), v) : protString(v);
    if (name === 'prevProt') return v === -1 ? 'untracked' : protString(v);
    if (name === 'prevFlags') return v === -1 ? 'untracked' : mapFlags(v, os);
    if (name === 'flags') {
      if (k === 'mmap') return mapFlags(v, os);
      if (k === 'vm_allocate' || k === 'vm_map') return joinOr(decodeVmFlags(v), v);
      if (k === 'mremap') return joinOr(MREMAP.filter(([, b]) => v & b).map(([n]) => n), v);
    }
    if (name === 'mode' && k === 'dlopen' && os !== undefined) return joinOr(decodeRtldMode(v, os), v);
    return String(v);
  }
  if (name === 'handle' && typeof v === 'string' && os !== undefined) return rtldHandleName(v, os) ?? v;
  if (v === null) return 'NULL';
  if (typeof v === 'string') {
    const spec = RECORDS[k].fields.find((f) => f.name === name) as { type: string } | undefined;
    return spec !== undefined && spec.type.startsWith('str') ? terminalText(v, { quote: true }) : terminalText(v);
  }
  return null;
}

/** A formatter that keeps the OS it learns from the begin record, for the events after it. */
export function createEventFormatter(opts: EventTableOptions = {}): (e: TraceEvent) => string {
  let os = opts.os;
  return (e) => {
    if (e.kind === 'begin' && (e.os === 'darwin' || e.os === 'linux')) os = e.os;
    const parts: string[] = [];
    const fields = RECORDS[e.kind].fields as readonly { name: string; type: string }[];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.type === 'trunc') continue;
      let value = fieldValue(e, f.name, os);
      if (value === null) continue;
      const next = fields[i + 1];
      if (next?.type === 'trunc' && (e as unknown as Record<string, unknown>)[next.name] === true) value += '…(truncated)';
      parts.push(`${f.name} ${value}`);
    }
    if (e.ustack !== undefined && e.ustack.length > 0) {
      parts.push(`stack ${e.ustack.slice(0, 4).map((s) => terminalText(s)).join(' < ')}${e.ustack.length > 4 ? ' …' : ''}`);
    }
    const head = `${formatTs(e.ts, opts)} ${String(e.pid).padStart(7)} ${terminalText(e.comm).padEnd(16)} ${e.kind.padEnd(11)}`;
    return `${head} ${parts.join(' ')}`.trimEnd() + '\n';
  };
}

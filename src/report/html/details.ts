/**
 * Text for the page: sizes, addresses and times, and one event's fields with their decoded
 * names, as a marker's tooltip and panel and a finding's evidence show them.
 */
import type { EvidenceEvent } from '../../engine/index.ts';

export const hexAddr = (n: number) => (Number.isFinite(n) ? `0x${n.toString(16)}` : '?');

export function size(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n >= 1 << 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Seconds since the start of the trace: `+0.195 s`, `-0.001 s` (before the first event). */
export function relTime(t: number, origin: number): string {
  if (!Number.isFinite(t)) return '?';
  const s = ((t - origin) / 1000).toFixed(3);
  return s.startsWith('-') ? (Number(s) === 0 ? '+0.000 s' : `${s} s`) : `+${s} s`;
}

export function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : '?';
}

/** One marker's details: a heading and field/value pairs, decoded names in place of raw numbers. */
export interface Detail {
  readonly h: string;
  readonly f: [string, string][];
  readonly s: readonly string[] | null;
}

export function fieldValue(ev: EvidenceEvent, name: string): string {
  const d = ev.decoded[name];
  if (d !== undefined) {
    const names = typeof d === 'string' ? d : d.length > 0 ? d.join('|') : '(none)';
    return name === 'prot' && typeof ev.decoded.rwx === 'string' ? `${names} (${ev.decoded.rwx})` : names;
  }
  const v = ev.fields[name];
  return v === null || v === undefined ? '(null)' : String(v);
}

export function eventDetail(ev: EvidenceEvent, rel: (t: number) => string, failed = false): Detail {
  const f: [string, string][] = [
    ['time', `${rel(ev.t)} (${ev.time || iso(ev.t)})`],
    ['pid / tid', `${ev.pid} / ${ev.tid}`],
    ['input line', String(ev.line)],
  ];
  for (const name of Object.keys(ev.fields)) f.push([name, fieldValue(ev, name)]);
  for (const name of Object.keys(ev.decoded)) if (!(name in ev.fields) && name !== 'rwx') f.push([name, fieldValue(ev, name)]);
  return { h: `${ev.kind}${failed ? ' (failed)' : ''}`, f, s: ev.ustack ?? null };
}

export function detailTitle(d: Detail): string {
  const lines = [d.h, ...d.f.map(([k, v]) => `${k}: ${v}`)];
  if (d.s !== null && d.s.length > 0) lines.push('stack:', ...d.s.slice(0, 8).map((x) => `  ${x}`), ...(d.s.length > 8 ? ['  …'] : []));
  return lines.join('\n');
}

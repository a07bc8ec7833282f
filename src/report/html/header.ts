/**
 * The page's header: what was captured, where and how it ended, read from the untrusted
 * meta.json, with the counts of findings and blind spots.
 */
import type { Severity } from '../../rules/types.ts';
import { VERSION } from '../../version.ts';
import { iso } from './details.ts';
import { esc } from './escape.ts';
import type { HtmlReportInput } from './input.ts';

/** Reads a nested value of untrusted meta.json as display text, or null. */
export function metaText(meta: Readonly<Record<string, unknown>> | null, path: string): string | null {
  let v: unknown = meta;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    v = (v as Record<string, unknown>)[k];
  }
  if (typeof v === 'string') return v.length > 4096 ? `${v.slice(0, 4096)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function targetText(meta: Readonly<Record<string, unknown>>): string | null {
  const kind = metaText(meta, 'target.kind');
  if (kind === null) return null;
  if (kind === 'pid') return `pid ${metaText(meta, 'target.pid') ?? '?'}`;
  if (kind === 'name') return `processes named ${metaText(meta, 'target.name') ?? '?'}`;
  if (kind === 'all') return 'system-wide';
  if (kind === 'command') {
    const c = (meta.target as { command?: unknown }).command;
    return Array.isArray(c) ? `command: ${c.slice(0, 64).map((w) => JSON.stringify(String(w))).join(' ')}` : 'command';
  }
  return kind;
}

export function header(input: HtmlReportInput, rel: (t: number) => string): string {
  const { meta, report, parse } = input;
  const rows: [string, string | null][] = [];
  if (meta !== null) {
    const host = metaText(meta, 'host.hostname');
    const plat = [metaText(meta, 'host.platform'), metaText(meta, 'host.arch')].filter((x) => x !== null).join(' ');
    rows.push(['Host', host === null ? null : `${host}${plat ? ` (${plat})` : ''}`]);
    const kr = metaText(meta, 'host.kernelRelease');
    rows.push(['OS', metaText(meta, 'host.osVersion') === null ? null : `${metaText(meta, 'host.osVersion')}${kr ? `, kernel ${kr}` : ''}`]);
    const sip = metaText(meta, 'sip.state');
    if (sip !== null && sip !== 'n/a') rows.push(['SIP', sip]);
    const tracer = [metaText(meta, 'tracer.backend'), metaText(meta, 'tracer.version')].filter((x) => x !== null).join(' — ');
    rows.push(['Tracer', tracer || null]);
    rows.push(['Tool', metaText(meta, 'tool')]);
    rows.push(['Target', targetText(meta)]);
    rows.push(['Started', metaText(meta, 'startedAt')]);
    const ms = metaText(meta, 'durationMs');
    rows.push(['Duration', ms === null ? null : `${(Number(ms) / 1000).toFixed(3)} s`]);
    const ending = metaText(meta, 'ending');
    const detail = metaText(meta, 'endingDetail');
    const code = metaText(meta, 'exitCode');
    rows.push(['Ended', ending === null ? null : `${ending}${detail ? ` (${detail})` : ''}${code !== null ? `, exit code ${code}` : ''}`]);
    rows.push(['loadtrace', metaText(meta, 'loadtraceVersion')]);
    const note = metaText(meta, 'synthetic');
    if (note !== null) rows.push(['Note', `synthetic capture: ${note}`]);
  } else {
    rows.push(['Capture', 'raw trace: no capture metadata (host, tracer, target and ending are unknown)']);
  }
  if (input.source !== undefined) rows.push(['Source', input.source]);
  rows.push(['Platform of the trace', report.stats.os]);
  const s = report.stats;
  if (s.firstEvent !== null && s.lastEvent !== null) rows.push(['Events', `${s.events} from ${iso(s.firstEvent)} to ${iso(s.lastEvent)} (${rel(s.lastEvent)})`]);
  else rows.push(['Events', String(s.events)]);
  if (parse) {
    const acc = parse.accounting;
    rows.push(['Input', `${parse.lines} lines: ${acc.record} record, ${acc.diagnostic} diagnostic, ${acc.foreign} foreign, ${acc.blank} blank`]);
  }
  const bySev: Record<string, number> = {};
  for (const f of report.findings) bySev[f.severity] = (bySev[f.severity] ?? 0) + 1;
  const counts = (['critical', 'high', 'medium', 'low', 'info'] as Severity[])
    .filter((k) => (bySev[k] ?? 0) > 0)
    .map((k) => `<span class="sev sev-${k}">${bySev[k]} ${k}</span>`)
    .join(' ');
  const warn =
    parse && parse.authenticated === false
      ? '<p class="warn">UNAUTHENTICATED: the session nonce was not known; records were accepted on the first nonce seen, so forged lines cannot be told apart.</p>'
      : '';
  const title = meta !== null ? metaText(meta, 'host.hostname') : null;
  return (
    `<header><h1>loadtrace capture report${title !== null ? ` — ${esc(title)}` : ''}</h1>` +
    `<dl class="meta">${rows
      .filter((r): r is [string, string] => r[1] !== null)
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
      .join('')}</dl>` +
    `<p><b>${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}</b> ${counts} · <a href="#blind-spots"><b>${report.blindSpots.length} blind spot${report.blindSpots.length === 1 ? '' : 's'}</b></a> · made by loadtrace ${esc(VERSION)}</p>` +
    `${warn}</header>`
  );
}

/**
 * The HTML report: one self-contained page per capture (no network, no
 * external file), from the pipeline's result, the timeline data collected
 * from its events, and the capture's metadata. Pure: returns the page as a
 * string. Every traced or meta.json string goes through escape.ts.
 */
import type { EvidenceEvent, Finding, Report } from '../../engine/index.ts';
import type { ParseSummary } from '../../parse/index.ts';
import { protString, PROT_EXEC, PROT_WRITE } from '../../protocol/flags.ts';
import { severityRank, type Severity } from '../../rules/types.ts';
import { VERSION } from '../../version.ts';
import { SCRIPT, STYLE } from './assets.ts';
import type { Marker, ProcessTimeline, Row, TimelineData } from './collect.ts';
import { cspHash, displayText, esc, groupHex, hexToAscii, jsonForScript } from './escape.ts';

export interface RenderLimits {
  /** Processes drawn (default 40): those with findings first, then the busiest. */
  readonly maxProcessesDrawn: number;
  /** Address ranges drawn per process (default 32): those with findings, samples or execute permission first. */
  readonly maxRowsDrawn: number;
  /** Events drawn over the whole page (default 6000), each with its details. */
  readonly maxMarkersDrawn: number;
  /** Findings listed in the table (default 1000, the most severe first). */
  readonly maxFindingsListed: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxProcessesDrawn: 40,
  maxRowsDrawn: 32,
  maxMarkersDrawn: 6000,
  maxFindingsListed: 1000,
};

export interface HtmlReportInput {
  readonly report: Report;
  /** The parse summary (lines, records, authentication), when known. */
  readonly parse?: ParseSummary | null;
  readonly timeline: TimelineData;
  /** meta.json of a capture directory as read (untrusted), or null for a raw trace. */
  readonly meta: Readonly<Record<string, unknown>> | null;
  /** What was replayed, as the user named it (shown as text). */
  readonly source?: string;
  readonly limits?: Partial<RenderLimits>;
}

const W = 1160;
const LABEL_W = 250;
const PLOT_X = LABEL_W + 10;
const PLOT_W = W - PLOT_X - 14;
const AXIS_H = 26;
const LANE_H = 26;
const ROW_H = 20;

/** Colour class of a protection: W+X is its own class whatever else is set. */
export function protClass(prot: number): string {
  if ((prot & PROT_WRITE) && (prot & PROT_EXEC)) return 'p-wx';
  const s = protString(prot);
  if (s === '---') return 'p-none';
  if (s === 'r--') return 'p-r';
  if (s === 'r-x') return 'p-rx';
  if (s === '--x') return 'p-x';
  return prot & PROT_WRITE ? 'p-rw' : 'p-r';
}

const KIND_CLASS: Record<string, string> = {
  mmap: 'k-map',
  vm_map: 'k-map',
  vm_allocate: 'k-map',
  mprotect: 'k-prot',
  vm_protect: 'k-prot',
  munmap: 'k-unmap',
  vm_deallocate: 'k-unmap',
  bytes: 'k-bytes',
  dlopen: 'k-load',
  dlopen_preflight: 'k-load',
  dlsym: 'k-load',
  dlclose: 'k-load',
  memload: 'k-load',
  memfd: 'k-load',
  exec: 'k-proc',
  fork: 'k-proc',
  exit: 'k-proc',
};

const hexAddr = (n: number) => (Number.isFinite(n) ? `0x${n.toString(16)}` : '?');

function size(n: number): string {
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

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : '?';
}

/** One marker's details: a heading and field/value pairs, decoded names in place of raw numbers. */
interface Detail {
  readonly h: string;
  readonly f: [string, string][];
  readonly s: readonly string[] | null;
}

function fieldValue(ev: EvidenceEvent, name: string): string {
  const d = ev.decoded[name];
  if (d !== undefined) {
    const names = typeof d === 'string' ? d : d.length > 0 ? d.join('|') : '(none)';
    return name === 'prot' && typeof ev.decoded.rwx === 'string' ? `${names} (${ev.decoded.rwx})` : names;
  }
  const v = ev.fields[name];
  return v === null || v === undefined ? '(null)' : String(v);
}

function eventDetail(ev: EvidenceEvent, rel: (t: number) => string, failed = false): Detail {
  const f: [string, string][] = [
    ['time', `${rel(ev.t)} (${ev.time || iso(ev.t)})`],
    ['pid / tid', `${ev.pid} / ${ev.tid}`],
    ['input line', String(ev.line)],
  ];
  for (const name of Object.keys(ev.fields)) f.push([name, fieldValue(ev, name)]);
  for (const name of Object.keys(ev.decoded)) if (!(name in ev.fields) && name !== 'rwx') f.push([name, fieldValue(ev, name)]);
  return { h: `${ev.kind}${failed ? ' (failed)' : ''}`, f, s: ev.ustack ?? null };
}

function detailTitle(d: Detail): string {
  const lines = [d.h, ...d.f.map(([k, v]) => `${k}: ${v}`)];
  if (d.s !== null && d.s.length > 0) lines.push('stack:', ...d.s.slice(0, 8).map((x) => `  ${x}`), ...(d.s.length > 8 ? ['  …'] : []));
  return lines.join('\n');
}

/** Reads a nested value of untrusted meta.json as display text, or null. */
function metaText(meta: Readonly<Record<string, unknown>> | null, path: string): string | null {
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

function header(input: HtmlReportInput, rel: (t: number) => string): string {
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

function findingDetails(f: Finding, rel: (t: number) => string): string {
  const parts: string[] = [];
  parts.push(`<p><b>${esc(f.title)}</b> (${esc(f.maturity)}) · ATT&amp;CK ${esc(f.attack.join(', '))}</p>`);
  parts.push(`<p>baseline: ${esc(f.baseline.reason)}</p>`);
  if (f.process.path !== null) parts.push(`<p>process path: <code>${esc(f.process.path)}</code> (ppid ${f.process.ppid}, uid ${f.process.uid})</p>`);
  if (f.region !== null) {
    const r = f.region;
    const traits = [r.origin, r.anon === true ? 'anonymous' : r.anon === false ? 'file-backed' : 'origin unknown', r.memfd ? 'memfd' : '', r.jit ? 'MAP_JIT' : '', r.wasWX ? 'was W+X' : '', r.preexisting ? 'mapped before tracing' : '']
      .filter(Boolean)
      .join(', ');
    parts.push(`<p>region <code>${esc(r.start)}–${esc(r.end)}</code> (${esc(size(r.size))}) <code>${esc(r.prot)}</code>, ${esc(traits)}</p>`);
  }
  if (f.bytes !== null) {
    const hex = f.bytes.slice(0, 256);
    parts.push(`<p>first bytes:</p><pre class="hex">${esc(groupHex(hex))}${f.bytes.length > 256 ? ' …' : ''}\n${esc(hexToAscii(hex))}</pre>`);
  }
  if (f.ustack !== null && f.ustack.length > 0) parts.push(`<p>stack:</p><pre>${esc(f.ustack.join('\n'))}</pre>`);
  if (f.related !== undefined) parts.push(`<p>related: <code>${esc(f.related.join(', '))}</code></p>`);
  if (f.evidence.length > 0) {
    parts.push(`<p>evidence (${f.evidence.length} of ${f.count} event${f.count === 1 ? '' : 's'}):</p>`);
    for (const ev of f.evidence) parts.push(`<pre>${esc(detailTitle(eventDetail(ev, rel)))}</pre>`);
  }
  return parts.join('');
}

function findingsSection(findings: readonly Finding[], limits: RenderLimits, rel: (t: number) => string, anchor: Map<Finding, string>): { html: string; notListed: number } {
  if (findings.length === 0) return { html: '<section id="findings"><h2>Findings</h2><p>No findings.</p></section>', notListed: 0 };
  const listed = findings.slice(0, limits.maxFindingsListed);
  const rules = [...new Set(listed.map((f) => `${f.rule} ${f.name}`))].sort();
  const procs = new Map<number, string>();
  for (const f of listed) if (!procs.has(f.process.pid)) procs.set(f.process.pid, f.process.name);
  const rows = listed.map((f, i) => {
    const region = f.region !== null ? `<code>${esc(f.region.start)}</code> <code>${esc(f.region.prot)}</code>` : '';
    const times = f.count > 1 ? `${esc(rel(f.firstSeen))} – ${esc(rel(f.lastSeen))}` : esc(rel(f.firstSeen));
    return (
      `<tr id="${anchor.get(f)}" data-order="${i}" data-sev="${severityRank(f.severity)}" data-t="${Number.isFinite(f.firstSeen) ? f.firstSeen : 0}" ` +
      `data-rule="${esc(f.rule)}" data-pid="${f.process.pid}">` +
      `<td><span class="sev sev-${f.severity}">${f.severity.toUpperCase()}</span></td>` +
      `<td>${esc(f.rule)}<br><span class="muted">${esc(f.name)}</span></td>` +
      `<td>${esc(f.process.name)}<br><span class="muted">pid ${f.process.pid}</span></td>` +
      `<td><details><summary>${esc(f.summary)}</summary>${findingDetails(f, rel)}</details></td>` +
      `<td>${f.count}</td><td>${times}</td><td>${region}</td></tr>`
    );
  });
  const filters =
    `<div class="filters" data-js hidden><label>rule <select id="filter-rule"><option value="">all</option>` +
    rules.map((r) => `<option value="${esc(r.split(' ')[0])}">${esc(r)}</option>`).join('') +
    `</select></label><label>process <select id="filter-process"><option value="">all</option>` +
    [...procs].map(([pid, name]) => `<option value="${pid}">${esc(name)} (pid ${pid})</option>`).join('') +
    `</select></label><span id="filter-count" class="muted"></span></div>`;
  const head =
    '<thead><tr><th><button type="button" data-sort="sev">Severity</button></th><th><button type="button" data-sort="rule">Rule</button></th>' +
    '<th><button type="button" data-sort="pid">Process</button></th><th>What (click for evidence)</th><th>Count</th>' +
    '<th><button type="button" data-sort="t">When</button></th><th>Region</th></tr></thead>';
  const more = findings.length - listed.length;
  return {
    html:
      `<section id="findings"><h2>Findings</h2>${filters}<table id="findings-table">${head}<tbody>${rows.join('')}</tbody></table>` +
      (more > 0 ? `<p class="warn">${more} less severe findings are not listed here; <code>--format jsonl</code> lists them all.</p>` : '') +
      '</section>',
    notListed: more,
  };
}

function blindSpotsSection(report: Report): string {
  if (report.blindSpots.length === 0) return '<section id="blind-spots"><h2>Blind spots</h2><p>None reported.</p></section>';
  const items = report.blindSpots.map(
    (b) =>
      `<li><b>${esc(b.title)}</b>${b.count !== null ? ` <span class="sev sev-medium">${b.count}</span>` : ''} <span class="muted">(${esc(b.kind)})</span><br>${esc(b.detail)}` +
      (b.examples.length > 0 ? `<ul>${b.examples.map((x) => `<li><code>${esc(x)}</code></li>`).join('')}</ul>` : '') +
      '</li>',
  );
  return `<section id="blind-spots"><h2>Blind spots</h2><p>What this capture could not see: read these before trusting a quiet timeline.</p><ul>${items.join('')}</ul></section>`;
}

interface PageState {
  readonly details: Detail[];
  drawn: number;
  overPage: number;
  readonly limits: RenderLimits;
}

/** Registers a marker's details for the panel; null when the page's cap is reached. */
function addMarker(state: PageState, d: Detail): number | null {
  if (state.drawn >= state.limits.maxMarkersDrawn) {
    state.overPage++;
    return null;
  }
  state.drawn++;
  state.details.push(d);
  return state.details.length - 1;
}

function rowLabel(r: Row): string {
  return `${hexAddr(r.start)} ${size(r.end - r.start)}${r.origin === 'untracked' ? ' (earlier)' : ''}`;
}

/** The rows worth drawing first: with findings, samples, execute permission, then the rest; shown in address order. */
function pickRows(p: ProcessTimeline, findings: readonly Finding[], max: number): { rows: number[]; hidden: number } {
  const rowOf = (addr: number) => p.rows.findIndex((r) => addr >= r.start && addr < r.end);
  const score = new Array<number>(p.rows.length).fill(0);
  for (const f of findings) if (f.region !== null) {
    const i = rowOf(parseInt(f.region.start.slice(2), 16));
    if (i >= 0) score[i]! += 1000;
  }
  for (const b of p.samples) if (b.row >= 0) score[b.row]! += 10;
  p.rows.forEach((r, i) => {
    if (r.segments.some((s) => s.prot & PROT_EXEC)) score[i]! += 100;
  });
  const order = p.rows.map((_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  const rows = order.slice(0, max).sort((a, b) => p.rows[a]!.start - p.rows[b]!.start || a - b);
  return { rows, hidden: p.rows.length - rows.length };
}

function timelineSvg(p: ProcessTimeline, findings: readonly Finding[], anchor: Map<Finding, string>, state: PageState, rel: (t: number) => string): { svg: string; notes: string[] } {
  const notes: string[] = [];
  const { rows: drawnRows, hidden } = pickRows(p, findings, state.limits.maxRowsDrawn);
  if (hidden > 0) notes.push(`${hidden} of ${p.rows.length} address ranges not drawn (those without findings, samples or execute permission first)`);
  const rowY = new Map<number, number>();
  drawnRows.forEach((ri, k) => rowY.set(ri, AXIS_H + LANE_H + k * ROW_H));
  const outside = p.samples.some((b) => b.row < 0 || !rowY.has(b.row));
  const outsideY = AXIS_H + LANE_H + drawnRows.length * ROW_H;
  const h = outsideY + (outside ? ROW_H : 0) + 8;

  let t0 = p.firstT;
  let t1 = p.lastT;
  for (const f of findings) {
    if (Number.isFinite(f.firstSeen)) t0 = Math.min(t0, f.firstSeen);
    if (Number.isFinite(f.lastSeen)) t1 = Math.max(t1, f.lastSeen);
  }
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) t0 = t1 = 0;
  if (t1 - t0 < 1) t1 = t0 + 1;
  const pad = (t1 - t0) * 0.02;
  t0 -= pad;
  t1 += pad;
  const x = (t: number) => PLOT_X + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * PLOT_W;
  const fx = (t: number) => x(t).toFixed(1);

  const out: string[] = [];
  out.push(`<svg class="timeline" data-pid="${p.pid}" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" role="img" aria-label="timeline of pid ${p.pid}">`);
  // Time axis: relative to the start of the capture.
  for (let i = 0; i <= 5; i++) {
    const t = t0 + ((t1 - t0) * i) / 5;
    const xx = fx(t);
    out.push(`<line class="grid" x1="${xx}" y1="${AXIS_H - 4}" x2="${xx}" y2="${h - 4}"/>`);
    out.push(`<text x="${xx}" y="${AXIS_H - 10}" text-anchor="${i === 0 ? 'start' : i === 5 ? 'end' : 'middle'}">${esc(rel(t))}</text>`);
  }
  out.push(`<text x="4" y="${AXIS_H - 10}">address ↓ · time →</text>`);
  out.push(`<text x="4" y="${AXIS_H + LANE_H / 2 + 4}">calls, loads, process</text>`);
  out.push(`<line class="axis" x1="0" y1="${AXIS_H + LANE_H - 1}" x2="${W}" y2="${AXIS_H + LANE_H - 1}"/>`);

  const circle = (m: Marker, cx: string, cy: number) => {
    const d = eventDetail(m.ev, rel, m.failed);
    const i = addMarker(state, d);
    if (i === null) return '';
    const cls = m.failed ? 'k-failed' : (KIND_CLASS[m.ev.kind] ?? 'k-proc');
    return `<g class="m" data-m="${i}" tabindex="0"><title>${esc(detailTitle(d))}</title><circle class="${cls}" cx="${cx}" cy="${cy}" r="4"/></g>`;
  };

  // Lane: calls without an address, spread a little vertically when they crowd one spot.
  p.lane.forEach((m, k) => {
    out.push(circle(m, fx(m.t), AXIS_H + 7 + (k % 3) * 6));
  });

  // One note per kind for the whole process, not one per range: a busy process has many.
  const cut = { ranges: 0, changes: 0 };
  const dropped = { ranges: 0, events: 0 };
  for (const ri of drawnRows) {
    const r = p.rows[ri]!;
    const y = rowY.get(ri)!;
    out.push(`<text x="4" y="${y + 14}">${esc(rowLabel(r))}</text>`);
    for (const s of r.segments) {
      const a = x(s.t0);
      // Still so when the trace ended: drawn to the end of the axis.
      const b = s.t1 === null ? PLOT_X + PLOT_W : x(s.t1);
      out.push(
        `<rect class="${protClass(s.prot)}" x="${a.toFixed(1)}" y="${y + 3}" width="${Math.max(b - a, 1.5).toFixed(1)}" height="${ROW_H - 6}">` +
          `<title>${esc(`${hexAddr(r.start)}–${hexAddr(r.end)} ${protString(s.prot)} from ${rel(s.t0)} to ${s.t1 === null ? 'the end of the trace' : rel(s.t1)}`)}</title></rect>`,
      );
    }
    if (r.cutAt !== null) {
      const a = x(r.cutAt);
      out.push(`<rect class="cut" x="${a.toFixed(1)}" y="${y + 3}" width="${Math.max(PLOT_X + PLOT_W - a, 1.5).toFixed(1)}" height="${ROW_H - 6}"><title>${esc(`${r.segmentsDropped} later protection changes not drawn`)}</title></rect>`);
      cut.ranges++;
      cut.changes += r.segmentsDropped;
    }
    for (const m of r.markers) out.push(circle(m, fx(m.t), y + ROW_H / 2));
    if (r.markersDropped > 0) {
      dropped.ranges++;
      dropped.events += r.markersDropped;
    }
  }
  if (outside) out.push(`<text x="4" y="${outsideY + 14}">outside traced ranges</text>`);
  if (cut.ranges > 0) notes.push(`${cut.changes} later protection changes at ${cut.ranges} range${cut.ranges === 1 ? '' : 's'} not drawn (grey)`);
  if (dropped.ranges > 0) notes.push(`${dropped.events} later events at ${dropped.ranges} range${dropped.ranges === 1 ? '' : 's'} not drawn (the first of each range are)`);

  // Samples, already in buckets: one mark per bucket and range, darker for more samples.
  for (const b of p.samples) {
    const y = b.row >= 0 && rowY.has(b.row) ? rowY.get(b.row)! : outsideY;
    const a = x(b.t);
    const w = Math.max(x(b.t + p.sampleBucketMs) - a, 2);
    const shade = b.count >= 16 ? 3 : b.count >= 4 ? 2 : 1;
    const d: Detail = {
      h: `${b.count} execution sample${b.count === 1 ? '' : 's'}`,
      f: [
        ['time', `${rel(b.t)} – ${rel(b.t + p.sampleBucketMs)}`],
        ['pc', b.minPc === b.maxPc ? hexAddr(b.minPc) : `${hexAddr(b.minPc)} – ${hexAddr(b.maxPc)}`],
        ['range', b.row >= 0 ? `${hexAddr(p.rows[b.row]!.start)}–${hexAddr(p.rows[b.row]!.end)}` : 'none traced'],
        ['first sample', `${b.first.fields.pc ?? '?'} at ${rel(b.first.t)}, tid ${b.first.tid}`],
      ],
      s: b.first.ustack ?? null,
    };
    const i = addMarker(state, d);
    if (i === null) continue;
    out.push(`<g class="m" data-m="${i}" tabindex="0"><title>${esc(detailTitle(d))}</title><rect class="smp smp-${shade}" x="${a.toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="${ROW_H - 10}"/></g>`);
  }

  // Findings, pinned at their range (or on the lane) when they first fired; each links to its row in the table.
  for (const f of findings) {
    let y = AXIS_H + LANE_H / 2;
    if (f.region !== null) {
      const addr = parseInt(f.region.start.slice(2), 16);
      const ri = p.rows.findIndex((r) => addr >= r.start && addr < r.end);
      if (ri >= 0 && rowY.has(ri)) y = rowY.get(ri)! + ROW_H / 2;
    }
    const cx = x(f.firstSeen);
    // Above the row's own marks, so both can be pointed at.
    const tri = `${cx.toFixed(1)},${y - 3} ${(cx - 5).toFixed(1)},${y - 12} ${(cx + 5).toFixed(1)},${y - 12}`;
    const title = `${f.severity.toUpperCase()} ${f.rule} ${f.name}: ${f.summary}\nat ${rel(f.firstSeen)}${f.count > 1 ? ` (×${f.count} to ${rel(f.lastSeen)})` : ''}\n(click: the finding in the table)`;
    out.push(`<a href="#${anchor.get(f)}" class="fl"><title>${esc(title)}</title><polygon class="flag f-${f.severity}" points="${tri}"/></a>`);
  }
  out.push('</svg>');

  if (p.sampleCount > 0) notes.push(`${p.sampleCount} execution samples drawn as ${p.samples.length} buckets of ${p.sampleBucketMs} ms`);
  if (p.laneDropped > 0) notes.push(`${p.laneDropped} calls without an address not drawn (first ${p.lane.length} kept)`);
  if (p.rowsDropped > 0) notes.push(`${p.rowsDropped} events at further address ranges not kept (first ${p.rows.length} ranges kept)`);
  if (p.markersOverCap > 0) notes.push(`${p.markersOverCap} events not kept with their details (the collection's overall cap was reached)`);
  if (p.lostBefore > 0) notes.push(`its first ${p.lostBefore} events were not kept (collection was full until this process had a finding)`);
  return { svg: out.join(''), notes };
}

const LEGEND =
  '<div class="legend">' +
  '<span><span class="sw p-r"></span>R</span><span><span class="sw p-rw"></span>RW</span><span><span class="sw p-rx"></span>RX</span>' +
  '<span><span class="sw p-x"></span>X only</span><span><span class="sw p-wx"></span>W+X (RWX or -WX)</span><span><span class="sw p-none"></span>no access</span>' +
  '<span><span class="sw cut"></span>changes not drawn</span>' +
  '<span><span class="dot k-map"></span>map</span><span><span class="dot k-prot"></span>protection change</span><span><span class="dot k-unmap"></span>unmap</span>' +
  '<span><span class="dot k-bytes"></span>first bytes</span><span><span class="dot k-load"></span>dlopen, dlsym, memory image, memfd</span>' +
  '<span><span class="dot k-proc"></span>exec, fork, exit</span><span><span class="dot smp"></span>execution samples (bucketed)</span>' +
  '<span><span class="dot f-high"></span>finding (▼, links to the table)</span>' +
  '</div>';

/** The whole page. */
export function renderHtml(input: HtmlReportInput): string {
  const limits: RenderLimits = { ...DEFAULT_RENDER_LIMITS, ...input.limits };
  const { report, timeline } = input;
  const origin = report.stats.firstEvent ?? timeline.firstT ?? 0;
  const rel = (t: number) => relTime(t, origin);

  const findings = [...report.findings].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstSeen - b.firstSeen || a.process.pid - b.process.pid,
  );
  const anchor = new Map<Finding, string>(findings.map((f, i) => [f, `f-${i}`]));
  const byPid = new Map<number, Finding[]>();
  for (const f of findings) {
    const list = byPid.get(f.process.pid);
    if (list === undefined) byPid.set(f.process.pid, [f]);
    else list.push(f);
  }

  const notice: string[] = [];
  const { html: findingsHtml, notListed } = findingsSection(findings, limits, rel, anchor);
  if (notListed > 0) notice.push(`${notListed} findings not listed in the table (the ${limits.maxFindingsListed} most severe are).`);

  // Processes with activity: those with findings first (most severe), then the busiest.
  const active = timeline.processes.filter((p) => p.rows.length + p.lane.length + p.samples.length > 0 || byPid.has(p.pid));
  const top = (pid: number) => Math.max(-1, ...(byPid.get(pid) ?? []).map((f) => severityRank(f.severity)));
  active.sort((a, b) => top(b.pid) - top(a.pid) || b.events - a.events || a.pid - b.pid);
  const drawn = active.slice(0, limits.maxProcessesDrawn);
  const notDrawn = active.slice(limits.maxProcessesDrawn);
  const state: PageState = { details: [], drawn: 0, overPage: 0, limits };

  const sections: string[] = [];
  const partial: number[] = [];
  let buckets = 0;
  let samples = 0;
  for (const p of drawn) {
    const fs = byPid.get(p.pid) ?? [];
    const { svg, notes } = timelineSvg(p, fs, anchor, state, rel);
    buckets += p.samples.length;
    samples += p.sampleCount;
    const name = p.path !== null ? `${p.comm} — ${p.path}` : p.comm;
    sections.push(
      `<div class="proc" id="pid-${p.pid}"><h3>${esc(name)} <span class="muted">pid ${p.pid} · ${p.events} event${p.events === 1 ? '' : 's'} · ${fs.length} finding${fs.length === 1 ? '' : 's'}</span></h3>` +
        (notes.length > 0 ? `<p class="proc-note">${notes.map(esc).join('; ')}.</p>` : '') +
        `${svg}</div>`,
    );
    if (notes.some((n) => !/execution samples drawn as/.test(n))) partial.push(p.pid);
  }
  // Totals for the page; each process's own note sits under its heading.
  const sum = (f: (p: ProcessTimeline) => number) => drawn.reduce((n, p) => n + f(p), 0);
  const cutChanges = sum((p) => p.rows.reduce((n, r) => n + r.segmentsDropped, 0));
  const laterEvents = sum((p) => p.rows.reduce((n, r) => n + r.markersDropped, 0) + p.laneDropped + p.rowsDropped);
  const hiddenRows = sum((p) => Math.max(0, p.rows.length - limits.maxRowsDrawn));
  if (cutChanges > 0) notice.push(`${cutChanges} later protection changes not drawn (grey at the end of their range).`);
  if (laterEvents > 0) notice.push(`${laterEvents} later events not drawn: each range keeps its first ${timeline.limits.maxMarkersPerRow}, each process its first ${timeline.limits.maxLaneMarkersPerProcess} calls without an address and its first ${timeline.limits.maxRowsPerProcess} ranges.`);
  if (hiddenRows > 0) notice.push(`${hiddenRows} address ranges not drawn: at most ${limits.maxRowsDrawn} a process, those with findings, samples or execute permission first.`);
  if (partial.length > 0) notice.push(`The note under each of these processes says what its timeline leaves out: pid ${partial.slice(0, 40).join(', ')}${partial.length > 40 ? ', …' : ''}.`);
  // Findings of processes that have no timeline (none kept, or set aside): say so, so no finding looks unplaced.
  const withoutTimeline = [...byPid.keys()].filter((pid) => !drawn.some((p) => p.pid === pid));
  if (withoutTimeline.length > 0) notice.push(`Findings of ${withoutTimeline.length} process(es) without a drawn timeline: pid ${withoutTimeline.slice(0, 50).join(', ')}${withoutTimeline.length > 50 ? ', …' : ''}.`);
  if (samples > 0) notice.push(`Execution samples are aggregated: ${samples} samples drawn as ${buckets} time buckets (the bucket width is given under each process).`);
  if (notDrawn.length > 0) {
    notice.push(
      `${notDrawn.length} more processes with activity are not drawn (${limits.maxProcessesDrawn} are): ` +
        `${notDrawn.slice(0, 30).map((p) => `${displayText(p.comm)} (pid ${p.pid}, ${p.events} events)`).join(', ')}${notDrawn.length > 30 ? ', …' : ''}.`,
    );
  }
  if (state.overPage > 0) notice.push(`${state.overPage} events and sample buckets not drawn: the page draws at most ${limits.maxMarkersDrawn}.`);
  if (timeline.evicted > 0) notice.push(`${timeline.evicted} processes were set aside while collecting to keep memory bounded (at most ${timeline.limits.maxProcesses} at once): exited ones, or ones without findings to make room for one with findings.`);
  if (timeline.eventsNotKept > 0) notice.push(`${timeline.eventsNotKept} events of ${timeline.processesNotKept} processes were not collected: at most ${timeline.limits.maxProcesses} processes are kept at once.`);
  const overCap = timeline.processes.reduce((n, p) => n + p.markersOverCap, 0);
  if (overCap > 0) notice.push(`${overCap} events were not kept with their details: collection keeps at most ${timeline.limits.maxMarkers}.`);
  const noticeHtml =
    `<section id="left-out"><h2>What this page aggregates or leaves out</h2><div class="notice">` +
    (notice.length > 0 ? `<ul>${notice.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p>Nothing: every event collected is drawn.</p>') +
    `<p class="muted">Timelines show the ranges each process mapped or changed while traced; memory mapped before tracing appears only once a traced call touches it. The blind spots below say what the tracer could not see at all.</p>` +
    `</div></section>`;

  const timelinesHtml =
    `<section id="timelines"><h2>Timelines</h2>` +
    (drawn.length === 0
      ? '<p>No process activity was traced.</p>'
      : `<p class="muted">One per process: address ranges (in address order) down, time since the start of the trace across. Hover a mark for its decoded fields; click it for a panel.</p>${LEGEND}${sections.join('')}`) +
    `</section>`;

  const data = jsonForScript({ markers: state.details });
  const csp = `default-src 'none'; style-src ${cspHash(STYLE)}; script-src ${cspHash(SCRIPT)}; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const pageTitle = `loadtrace report${input.meta !== null && metaText(input.meta, 'host.hostname') !== null ? ` — ${metaText(input.meta, 'host.hostname')}` : ''}`;
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="referrer" content="no-referrer">' +
    `<title>${esc(pageTitle)}</title><style>${STYLE}</style></head><body>` +
    header(input, rel) +
    noticeHtml +
    findingsHtml +
    blindSpotsSection(report) +
    timelinesHtml +
    '<aside id="detail" hidden><button type="button" id="detail-close">close</button><div id="detail-content"></div></aside>' +
    `<script type="application/json" id="lt-data">${data}</script>` +
    `<script>${SCRIPT}</script>` +
    '</body></html>\n'
  );
}

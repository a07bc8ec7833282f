/**
 * The HTML report: one self-contained page per capture (no network, no
 * external file), from the pipeline's result, the timeline data collected
 * from its events, and the capture's metadata. Pure: returns the page as a
 * string. Every traced or meta.json string goes through escape.ts.
 */
import type { Finding } from '../../engine/index.ts';
import { severityRank } from '../../rules/types.ts';
import { SCRIPT, STYLE } from './assets.ts';
import type { ProcessTimeline } from './collect.ts';
import { relTime } from './details.ts';
import { cspHash, displayText, esc, jsonForScript } from './escape.ts';
import { blindSpotsSection, findingsSection } from './findings.ts';
import { header, metaText } from './header.ts';
import { DEFAULT_RENDER_LIMITS, type HtmlReportInput, type RenderLimits } from './input.ts';
import { LEGEND, timelineSvg, type PageState } from './timeline.ts';

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
/**
 * One process's timeline as SVG: its address ranges down, time across, each change and call
 * a marker whose details go to the page's panel; and the legend for it.
 */
import type { Finding } from '../../engine/index.ts';
import { protString, PROT_EXEC, PROT_WRITE } from '../../protocol/flags.ts';
import type { Marker, ProcessTimeline, Row } from './collect.ts';
import { detailTitle, eventDetail, hexAddr, size, type Detail } from './details.ts';
import { esc } from './escape.ts';
import type { RenderLimits } from './input.ts';

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

export interface PageState {
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

export function timelineSvg(p: ProcessTimeline, findings: readonly Finding[], anchor: Map<Finding, string>, state: PageState, rel: (t: number) => string): { svg: string; notes: string[] } {
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

export const LEGEND =
  '<div class="legend">' +
  '<span><span class="sw p-r"></span>R</span><span><span class="sw p-rw"></span>RW</span><span><span class="sw p-rx"></span>RX</span>' +
  '<span><span class="sw p-x"></span>X only</span><span><span class="sw p-wx"></span>W+X (RWX or -WX)</span><span><span class="sw p-none"></span>no access</span>' +
  '<span><span class="sw cut"></span>changes not drawn</span>' +
  '<span><span class="dot k-map"></span>map</span><span><span class="dot k-prot"></span>protection change</span><span><span class="dot k-unmap"></span>unmap</span>' +
  '<span><span class="dot k-bytes"></span>first bytes</span><span><span class="dot k-load"></span>dlopen, dlsym, memory image, memfd</span>' +
  '<span><span class="dot k-proc"></span>exec, fork, exit</span><span><span class="dot smp"></span>execution samples (bucketed)</span>' +
  '<span><span class="dot f-high"></span>finding (▼, links to the table)</span>' +
  '</div>';

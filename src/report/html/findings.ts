/**
 * The findings table, each row with its evidence, and the list of blind spots.
 */
import type { Finding, Report } from '../../engine/index.ts';
import { severityRank } from '../../rules/types.ts';
import { detailTitle, eventDetail, size } from './details.ts';
import { esc, groupHex, hexToAscii } from './escape.ts';
import type { RenderLimits } from './input.ts';

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

export function findingsSection(findings: readonly Finding[], limits: RenderLimits, rel: (t: number) => string, anchor: Map<Finding, string>): { html: string; notListed: number } {
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

export function blindSpotsSection(report: Report): string {
  if (report.blindSpots.length === 0) return '<section id="blind-spots"><h2>Blind spots</h2><p>None reported.</p></section>';
  const items = report.blindSpots.map(
    (b) =>
      `<li><b>${esc(b.title)}</b>${b.count !== null ? ` <span class="sev sev-medium">${b.count}</span>` : ''} <span class="muted">(${esc(b.kind)})</span><br>${esc(b.detail)}` +
      (b.examples.length > 0 ? `<ul>${b.examples.map((x) => `<li><code>${esc(x)}</code></li>`).join('')}</ul>` : '') +
      '</li>',
  );
  return `<section id="blind-spots"><h2>Blind spots</h2><p>What this capture could not see: read these before trusting a quiet timeline.</p><ul>${items.join('')}</ul></section>`;
}

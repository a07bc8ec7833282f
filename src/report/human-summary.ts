/**
 * The few lines of plain text that close a table report, for `replay` and a live capture
 * alike: how the input was read, what was lost, found and hidden, and which baseline judged.
 */
import type { ParseSummary } from '../parse/index.ts';
import type { PipelineResult } from '../pipeline/index.ts';
import { filterFindings, type Severity } from './index.ts';

/** A short human summary of how the input was read, what was found and hidden, and which baseline judged. */
export function humanSummary(parse: ParseSummary, result: PipelineResult, opts: { minSeverity?: Severity; baseline?: string } = {}): string {
  const p = parse;
  const kinds = Object.entries(p.recordsByKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    `Read ${p.lines} lines: ${p.accounting.record} record, ${p.accounting.diagnostic} diagnostic, ${p.accounting.foreign} foreign, ${p.accounting.blank} blank.`,
    `Records: ${p.records}${kinds ? ` (${kinds})` : ''}${p.authenticated ? '' : ' — UNAUTHENTICATED: the session nonce was not known, records were accepted on the first nonce seen'}.`,
  ];
  const issues: string[] = [];
  if (p.drops.total > 0) issues.push(`${p.drops.total} dropped by the tracer`);
  if (p.probeErrors > 0) issues.push(`${p.probeErrors} probe errors`);
  if (p.parseErrors > 0) issues.push(`${p.parseErrors} malformed records`);
  if (p.forged > 0) issues.push(`${p.forged} record-shaped lines with a wrong or missing nonce`);
  if (p.late > 0) issues.push(`${p.late} events later than the reorder window`);
  if (issues.length > 0) lines.push(`Loss and noise: ${issues.join(', ')}.`);
  const all = result.report.findings;
  const shown = filterFindings(all, opts.minSeverity ?? 'info').length;
  const hidden = all.length - shown;
  // A hidden finding never fails --fail-on (failOn judges what is shown), but the reader learns it exists.
  const hiddenText = hidden > 0 ? ` shown, ${hidden} hidden by --min-severity ${opts.minSeverity}` : '';
  lines.push(`Findings: ${shown}${hiddenText}; blind spots: ${result.report.blindSpots.length}.`);
  if (opts.baseline) lines.push(opts.baseline);
  return `${lines.join('\n')}\n`;
}

/**
 * Reporters: a table for people (grouped by process), JSON Lines for
 * machines (one finding a line), a JSON summary, and the exit-code function for
 * CI gating. All are pure: they return strings or numbers, callers write them.
 */
import type { BlindSpot, Finding, Report } from '../engine/index.ts';
import { SEVERITIES, severityRank, type Severity } from '../rules/types.ts';
import { EXIT } from '../exit-codes.ts';
import { formatWallTime, terminalText } from './text.ts';

export { SEVERITIES, type Severity } from '../rules/types.ts';

/**
 * Exit codes for CI gating, the same ones every command uses (src/exit-codes.ts):
 * - 0 `ok`: no finding at or above the threshold (and no loss, when loss fails the run);
 * - 1 `findings`: at least one finding at or above the threshold;
 * - 2 `usage`: bad options or unreadable input (set by the CLI, never by failOn);
 * - 5 `loss`: no such finding, but the tracer dropped data and `onLoss` was asked for.
 */
export const EXIT_CODES = { ok: EXIT.ok, findings: EXIT.findings, usage: EXIT.usage, loss: EXIT.drops } as const;

/** Parse a severity name (case-insensitive); throws naming the accepted values. */
export function parseSeverity(s: string): Severity {
  const v = s.toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(v)) return v as Severity;
  throw new RangeError(`unknown severity '${s}': expected one of ${SEVERITIES.join(', ')}`);
}

/** Findings at or above a severity. */
export function filterFindings(findings: readonly Finding[], minSeverity: Severity = 'info'): Finding[] {
  const min = severityRank(minSeverity);
  return findings.filter((f) => severityRank(f.severity) >= min);
}

export interface FailOnOptions {
  /** Lowest severity that fails the run (default high). */
  readonly severity?: Severity;
  /**
   * Findings below this are hidden from the report, and a hidden finding never fails the run:
   * what fails it is always something the report shows (default info: nothing hidden).
   */
  readonly minSeverity?: Severity;
  /** Fail with `loss` when the tracer dropped data (default false). */
  readonly onLoss?: boolean;
}

/** Exit code for a report under a CI policy (see EXIT_CODES). */
export function failOn(report: Pick<Report, 'findings' | 'blindSpots'>, opts: FailOnOptions = {}): number {
  const shown = filterFindings(report.findings, opts.minSeverity ?? 'info');
  if (filterFindings(shown, opts.severity ?? 'high').length > 0) return EXIT_CODES.findings;
  if (opts.onLoss && report.blindSpots.some((b) => b.kind === 'drops' || b.kind === 'script_counters')) return EXIT_CODES.loss;
  return EXIT_CODES.ok;
}

const COLOURS: Record<Severity, string> = {
  info: '\x1b[2m',
  low: '\x1b[36m',
  medium: '\x1b[33m',
  high: '\x1b[31m',
  critical: '\x1b[1;41;97m',
};
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

/** A severity padded to the table's column, coloured when asked. */
export function severityLabel(s: Severity, colour: boolean): string {
  const text = s.toUpperCase().padEnd(8);
  return colour ? `${COLOURS[s]}${text}${RESET}` : text;
}

export interface TableOptions {
  /** ANSI colours for severities (default false: callers decide from the terminal, never this module). */
  readonly color?: boolean;
  readonly minSeverity?: Severity;
  /** Include the blind-spot list (default true). */
  readonly blindSpots?: boolean;
  /** Times in UTC (`Z`) instead of the local zone (default false). */
  readonly utc?: boolean;
}

/** Findings grouped by process, most severe first, then blind spots. */
export function formatTable(report: Pick<Report, 'findings' | 'blindSpots'>, opts: TableOptions = {}): string {
  const colour = opts.color === true;
  const sev = (s: Severity) => severityLabel(s, colour);
  const bold = (s: string) => (colour ? `${BOLD}${s}${RESET}` : s);
  const time = (t: number) => formatWallTime(t, { utc: opts.utc === true });
  const findings = filterFindings(report.findings, opts.minSeverity ?? 'info');
  const groups = new Map<number, Finding[]>();
  for (const f of findings) {
    const g = groups.get(f.process.key);
    if (g === undefined) groups.set(f.process.key, [f]);
    else g.push(f);
  }
  const top = (fs: Finding[]) => Math.max(...fs.map((f) => severityRank(f.severity)));
  const ordered = [...groups.values()].sort((a, b) => top(b) - top(a) || a[0]!.process.pid - b[0]!.process.pid || a[0]!.process.key - b[0]!.process.key);
  const lines: string[] = [];
  if (findings.length === 0) lines.push('No findings.');
  for (const fs of ordered) {
    const p = fs[0]!.process;
    // Names, paths, summaries and tracer messages come from the traced system: never raw control bytes on a terminal.
    lines.push(bold(`${terminalText(p.name)} [pid ${p.pid}, ppid ${p.ppid}, uid ${p.uid}]${p.path !== null ? ` ${terminalText(p.path)}` : ''}`));
    fs.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstSeen - b.firstSeen);
    for (const f of fs) {
      const times = f.count > 1 ? ` ×${f.count} ${time(f.firstSeen)} – ${time(f.lastSeen)}` : ` at ${time(f.firstSeen)}`;
      lines.push(`  ${sev(f.severity)} ${f.rule} ${f.name}: ${terminalText(f.summary)}${times}`);
      lines.push(`           ATT&CK ${f.attack.join(', ')}; baseline: ${terminalText(f.baseline.reason)}`);
      if (f.region !== null) {
        const r = f.region;
        lines.push(
          `           region ${r.start}-${r.end} ${r.prot} ${r.origin}${r.anon === true ? ' anon' : r.anon === false ? ' file' : ' origin-unknown'}${r.memfd ? ' memfd' : ''}${r.jit ? ' MAP_JIT' : ''}${r.wasWX ? ' was-W+X' : ''}`,
        );
      }
      if (f.bytes !== null) lines.push(`           first bytes ${f.bytes}`);
      if (f.ustack !== null) lines.push(`           stack ${f.ustack.slice(0, 4).map((x) => terminalText(x)).join(' < ')}${f.ustack.length > 4 ? ' …' : ''}`);
      if (f.related !== undefined) lines.push(`           related ${terminalText(f.related.join(', '))}`);
    }
    lines.push('');
  }
  if (opts.blindSpots !== false && report.blindSpots.length > 0) {
    lines.push(bold('Blind spots:'));
    for (const b of report.blindSpots) {
      lines.push(`  - ${b.title}${b.count !== null ? ` (${b.count})` : ''}: ${terminalText(b.detail)}`);
      for (const x of b.examples.slice(0, 3)) lines.push(`      e.g. ${terminalText(x)}`);
    }
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** The JSON form of one finding (also the JSON Lines record). */
export function findingToJson(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    rule: f.rule,
    name: f.name,
    title: f.title,
    severity: f.severity,
    attack: f.attack,
    maturity: f.maturity,
    summary: f.summary,
    process: { pid: f.process.pid, ppid: f.process.ppid, uid: f.process.uid, name: f.process.name, path: f.process.path },
    count: f.count,
    firstSeen: new Date(f.firstSeen).toISOString(),
    lastSeen: new Date(f.lastSeen).toISOString(),
    firstTs: f.firstTs,
    lastTs: f.lastTs,
    region: f.region,
    bytes: f.bytes,
    ustack: f.ustack,
    detail: f.detail,
    evidence: f.evidence,
    baseline: f.baseline,
    ...(f.related !== undefined ? { related: f.related } : {}),
  };
}

/** One JSON object per line, one line per finding at or above minSeverity. */
export function formatJsonLines(findings: readonly Finding[], opts: { minSeverity?: Severity } = {}): string {
  return filterFindings(findings, opts.minSeverity ?? 'info')
    .map((f) => `${JSON.stringify(findingToJson(f))}\n`)
    .join('');
}

export interface SummaryOptions {
  readonly minSeverity?: Severity;
  /** The parse summary, copied into the output. */
  readonly parse?: unknown;
  /** Extra top-level values (tool, capture, options). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** The summary object: findings, blind spots, stats and the parse summary. */
export function summaryObject(report: Report, opts: SummaryOptions = {}): Record<string, unknown> {
  const findings = filterFindings(report.findings, opts.minSeverity ?? 'info');
  const bySeverity: Record<string, number> = {};
  for (const s of SEVERITIES) bySeverity[s] = 0;
  for (const f of findings) bySeverity[f.severity]!++;
  return {
    ...(opts.meta ?? {}),
    counts: { findings: findings.length, hidden: report.findings.length - findings.length, bySeverity, blindSpots: report.blindSpots.length },
    findings: findings.map(findingToJson),
    blindSpots: report.blindSpots satisfies BlindSpot[],
    stats: report.stats,
    parse: opts.parse ?? null,
  };
}

/**
 * JSON.stringify(value, null, 2) and a newline, handed to write in pieces: each element of the array under key
 * on its own, then the text around them. The whole report as one string (two bytes a character as soon as one
 * summary holds an arrow) next to its UTF-8 copy is what made a long replay's peak memory grow with its findings.
 */
export function writePrettyJson(value: Readonly<Record<string, unknown>>, key: string, write: (text: string) => void): void {
  const items = value[key];
  if (!Array.isArray(items) || items.length === 0) {
    write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  let seen = false;
  for (const [k, v] of Object.entries(value)) {
    if (k === key) seen = true;
    else (seen ? after : before)[k] = v;
  }
  // An empty array prints as `[]` at the very end of the first text and right after the key in the second.
  const head = JSON.stringify({ ...before, [key]: [] }, null, 2).slice(0, -'[]\n}'.length);
  const tail = JSON.stringify({ [key]: [], ...after }, null, 2).slice(`{\n  ${JSON.stringify(key)}: []`.length);
  write(`${head}[\n`);
  items.forEach((item, i) => {
    // Strings in JSON text hold no raw newline: every newline starts a line to indent two levels deeper.
    const text = (JSON.stringify(item, null, 2) ?? 'null').replace(/\n/g, '\n    ');
    write(`    ${text}${i < items.length - 1 ? ',' : ''}\n`);
  });
  write(`  ]${tail}\n`);
}

/** The summary as pretty JSON text. */
export function formatSummary(report: Report, opts: SummaryOptions = {}): string {
  return `${JSON.stringify(summaryObject(report, opts), null, 2)}\n`;
}

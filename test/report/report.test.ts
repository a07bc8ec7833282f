import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDefaultBaseline } from '../../src/baseline/index.ts';
import { runEngine, type Report } from '../../src/engine/index.ts';
import { parseText } from '../../src/parse/index.ts';
import { EXIT_CODES, failOn, filterFindings, findingToJson, formatJsonLines, formatSummary, formatTable, parseSeverity, summaryObject, writePrettyJson } from '../../src/report/index.ts';

async function demo(): Promise<{ report: Report; parse: unknown }> {
  const p = await parseText(readFileSync(new URL('../fixtures/demo/demo.trace', import.meta.url), 'utf8'));
  return { report: runEngine(p.events, p.diagnostics, { baseline: loadDefaultBaseline('darwin') }, { parse: p.summary }), parse: p.summary };
}

describe('reporters', () => {
  it('the demo fires every rule once over, and baseline-known processes stay quiet', async () => {
    const { report } = await demo();
    const rules = new Set(report.findings.map((f) => f.rule));
    expect([...rules].sort()).toEqual(['LT-001', 'LT-002', 'LT-003', 'LT-004', 'LT-005', 'LT-006', 'LT-007', 'LT-100']);
    const names = new Set(report.findings.map((f) => f.process.name));
    expect([...names].sort()).toEqual(['Invoice Viewer', 'updater']);
    expect(report.blindSpots.map((b) => b.kind)).toEqual(expect.arrayContaining(['drops', 'sip', 'preexisting_regions', 'platform']));
  });

  it('table: grouped by process, plain without colour, ANSI only with colour', async () => {
    const { report } = await demo();
    const plain = formatTable(report);
    expect(plain).not.toMatch(/\x1b\[/);
    const viewer = plain.indexOf('Invoice Viewer [pid 700');
    const updater = plain.indexOf('updater [pid 710');
    expect(viewer).toBeGreaterThanOrEqual(0);
    expect(updater).toBeGreaterThan(viewer);
    expect(plain).toContain('CRITICAL LT-100 correlated-activity');
    expect(plain).toContain('first bytes cffaedfe');
    expect(plain).toContain('Blind spots:');
    expect(plain).toContain('pthread_jit_write_protect_np');
    const coloured = formatTable(report, { color: true });
    expect(coloured).toContain('\x1b[31mHIGH');
    expect(formatTable(report, { minSeverity: 'critical', blindSpots: false }).match(/^ {2}\S+ +LT-\d{3}/gm)).toEqual(['  CRITICAL LT-100', '  CRITICAL LT-100']);
    expect(formatTable({ findings: [], blindSpots: [] })).toBe('No findings.\n');
  });

  it('table: traced names, paths, summaries and tracer messages reach the terminal escaped, never as control bytes', async () => {
    const { report } = await demo();
    const f = report.findings[0]!;
    const evil = '\x1b]0;pwned\x07\x1b[2J\u202e';
    const hostile = {
      findings: [{ ...f, summary: `dlopen of /tmp/${evil}x.dylib`, process: { ...f.process, name: `n${evil}`, path: `/tmp/${evil}` } }],
      blindSpots: [{ ...report.blindSpots[0]!, detail: `d${evil}`, examples: [`dtrace: ${evil}`] }],
    };
    const text = formatTable(hostile);
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(text).toContain('n\\x1b]0;pwned\\x07');
    expect(text).toContain('dlopen of /tmp/\\x1b]0;pwned');
  });

  it('JSON Lines: one finding a line with rule, title, severity, attack, process, evidence and baseline', async () => {
    const { report } = await demo();
    const lines = formatJsonLines(report.findings).trimEnd().split('\n');
    expect(lines).toHaveLength(report.findings.length);
    for (const l of lines) {
      const o = JSON.parse(l);
      for (const k of ['rule', 'title', 'severity', 'attack', 'process', 'evidence', 'baseline', 'count', 'firstSeen', 'lastSeen']) expect(o).toHaveProperty(k);
      expect(Object.keys(o.process)).toEqual(['pid', 'ppid', 'uid', 'name', 'path']);
    }
    expect(formatJsonLines(report.findings, { minSeverity: 'critical' }).trimEnd().split('\n')).toHaveLength(2);
    const wx = findingToJson(report.findings.find((f) => f.rule === 'LT-005')!);
    expect(wx.evidence).toEqual([
      expect.objectContaining({ kind: 'mprotect', decoded: { prot: ['PROT_READ', 'PROT_EXEC'], rwx: 'r-x', prevProt: ['PROT_READ', 'PROT_WRITE', 'PROT_EXEC'], prevFlags: ['MAP_PRIVATE', 'MAP_ANON', 'MAP_UNIX03'] } }),
    ]);
  });

  it('summary carries findings, blind spots, stats and the parse summary', async () => {
    const { report, parse } = await demo();
    const s = JSON.parse(formatSummary(report, { parse, minSeverity: 'high' }));
    expect(s.counts.findings).toBe(filterFindings(report.findings, 'high').length);
    expect(s.counts.bySeverity.medium).toBe(0);
    expect(s.parse.accounting.lines).toBeGreaterThan(0);
    expect(s.stats.events).toBeGreaterThan(0);
    expect(s.blindSpots.length).toBe(report.blindSpots.length);
  });

  it('failOn gives CI exit codes', async () => {
    const { report } = await demo();
    expect(failOn(report)).toBe(EXIT_CODES.findings);
    expect(failOn({ findings: [], blindSpots: report.blindSpots })).toBe(EXIT_CODES.ok);
    expect(failOn({ findings: [], blindSpots: report.blindSpots }, { onLoss: true })).toBe(EXIT_CODES.loss);
    const mediumOnly = report.findings.filter((f) => f.severity === 'medium');
    expect(failOn({ findings: mediumOnly, blindSpots: [] }, { severity: 'high' })).toBe(0);
    expect(failOn({ findings: mediumOnly, blindSpots: [] }, { severity: 'medium' })).toBe(EXIT_CODES.findings);
    expect(EXIT_CODES).toEqual({ ok: 0, findings: 1, usage: 2, loss: 5 });
  });

  it('parseSeverity', () => {
    expect(parseSeverity('HIGH')).toBe('high');
    expect(() => parseSeverity('severe')).toThrow("unknown severity 'severe': expected one of info, low, medium, high, critical");
  });

  it('writePrettyJson writes in pieces exactly the text of JSON.stringify(value, null, 2)', async () => {
    const { report, parse } = await demo();
    const summary = summaryObject(report, { parse });
    const values: Record<string, unknown>[] = [
      { ...(parse as object), ...summary },
      { findings: summary.findings },
      { findings: [{ a: 'x\ny', b: [1, { c: null }] }, [], 'line\u2192', 3], after: { d: [] } },
      { before: 1, findings: [], after: 2 },
      { before: 1, undef: undefined, findings: [{}, null] },
    ];
    for (const value of values) {
      const pieces: string[] = [];
      writePrettyJson(value, 'findings', (text) => pieces.push(text));
      expect(pieces.join('')).toBe(`${JSON.stringify(value, null, 2)}\n`);
    }
  });
});

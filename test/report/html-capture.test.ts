/** capture --html: report.html written into the capture directory from the live run, as replay would render it. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCaptureAnalysis } from '../../src/capture/analysis.ts';
import { createLogger } from '../../src/capture/log.ts';
import { esc } from '../../src/report/html/index.ts';
import { FIXTURE_BIN, harness, type Step } from '../capture/helpers.ts';
import { renderInput } from './html-fixtures.ts';

const RULES = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const BASELINE = join(RULES, 'baseline.json');
const BIN = fileURLToPath(new URL('../../bin/loadtrace.js', import.meta.url));

function steps(): Step[] {
  const text = readFileSync(join(RULES, 'correlated-activity.fire.trace'), 'utf8').replace(/LT1:[0-9a-f]{16}/g, 'LT1:{{NONCE}}');
  return [...text.split(/(?<=\n)/).map((l) => ({ stdout: l, delayMs: 1 })), { exit: 0 }];
}

describe('capture --html', () => {
  it('writes report.html with the findings, the capture metadata and timelines; without --html, none', async () => {
    const logger = createLogger('silent', { tty: false });
    const h = harness(steps());
    const analysis = createCaptureAnalysis({ format: 'jsonl', minSeverity: 'info', failOn: null, baseline: BASELINE, html: true }, logger);
    const res = await h.run({ tool: 'an0840' }, { analysis });
    expect(res.ending).toBe('completed');
    const page = readFileSync(join(h.dir, 'report.html'), 'utf8');
    const findings = readFileSync(join(h.dir, 'findings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { summary: string; process: { pid: number } });
    expect(findings.length).toBeGreaterThan(1);
    for (const f of findings) expect(page).toContain(`<summary>${esc(f.summary)}</summary>`);
    for (const pid of new Set(findings.map((f) => f.process.pid))) expect(page).toContain(`<svg class="timeline" data-pid="${pid}"`);
    expect(page).toContain('<dt>Ended</dt><dd>completed');
    // The same page as replaying the capture directory, but for the line naming what was replayed.
    const replayed = await renderInput(h.dir, { baseline: BASELINE });
    const strip = (s: string) => s.replace(/<dt>Source<\/dt><dd>[^<]*<\/dd>/, '');
    expect(replayed).toContain('<dt>Source</dt>');
    expect(strip(page)).toBe(strip(replayed));

    const plain = harness(steps());
    await plain.run({ tool: 'an0840' }, { analysis: createCaptureAnalysis({ format: 'jsonl', minSeverity: 'info', failOn: null, baseline: BASELINE }, logger) });
    expect(existsSync(join(plain.dir, 'findings.jsonl'))).toBe(true);
    expect(existsSync(join(plain.dir, 'report.html'))).toBe(false);
  });

  it('the CLI option: bin/loadtrace.js capture --html', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-html-bin-'));
    writeFileSync(join(cwd, 'steps.json'), JSON.stringify(steps()));
    const dir = join(cwd, 'cap');
    const child = spawn(process.execPath, [BIN, 'capture', 'an0840', '--backend', 'dtrace', '-p', String(process.pid), '--out', dir, '--baseline', BASELINE, '--html', '--format', 'json', '--log-level', 'warn'], {
      cwd,
      env: { ...process.env, PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH}`, FAKE_TRACER_STEPS: join(cwd, 'steps.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    const code = await new Promise((res) => child.on('close', res));
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { findings: unknown[] };
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(count(page, /<tr id="f-/g)).toBe(doc.findings.length);
  });
});

function count(s: string, re: RegExp): number {
  return (s.match(re) ?? []).length;
}

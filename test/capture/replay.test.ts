import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from '../../src/baseline/load.ts';
import { createCaptureAnalysis } from '../../src/capture/analysis.ts';
import { createLogger } from '../../src/capture/log.ts';
import { captureStreams, openCaptureDir } from '../../src/pipeline/capture-dir.ts';
import { replayStreams } from '../../src/pipeline/index.ts';
import { formatJsonLines } from '../../src/report/index.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { harness, readMeta, type Step } from './helpers.ts';

const RULES = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const BASELINE = join(RULES, 'baseline.json');

/** A recorded rule fixture as fake tracer output: its nonce replaced by the session's, lines in bursts. */
function stepsFromTrace(name: string): Step[] {
  const text = readFileSync(join(RULES, name), 'utf8').replace(/LT1:[0-9a-f]{16}/g, 'LT1:{{NONCE}}');
  const lines = text.split(/(?<=\n)/);
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i += 3) steps.push({ stdout: lines.slice(i, i + 3).join(''), delayMs: 5 });
  return steps;
}

async function liveAndReplay(trace: string, format: 'table' | 'jsonl' | 'json', failOn: string | null) {
  const steps = [...stepsFromTrace(trace), { stderr: 'dtrace: 2 drops on CPU 0\n' }, { exit: 0 }];
  const h = harness(steps);
  const logger = createLogger('silent', { tty: false });
  const analysis = createCaptureAnalysis({ format, minSeverity: 'info', failOn, baseline: BASELINE }, logger);
  const res = await h.run({ tool: 'an0840' }, { analysis });
  const cap = openCaptureDir(h.dir);
  const replay = await replayStreams(captureStreams(cap), {
    nonce: cap.nonce,
    os: cap.os,
    backend: cap.backend,
    baseline: loadBaseline(BASELINE),
  });
  return { h, res, replay };
}

describe('live capture through the real pipeline', () => {
  it('gives the same findings as replaying its capture directory', async () => {
    const { h, res, replay } = await liveAndReplay('rwx-memory.fire.trace', 'jsonl', null);
    expect(res.ending).toBe('completed');
    const live = readFileSync(join(h.dir, 'findings.jsonl'), 'utf8');
    expect(live.length).toBeGreaterThan(0);
    expect(live).toBe(formatJsonLines(replay.report.findings));
    const summary = JSON.parse(readFileSync(join(h.dir, 'summary.json'), 'utf8'));
    expect(summary.counts.findings).toBe(replay.report.findings.length);
    const meta = readMeta(h.dir);
    expect(meta.findings.total).toBe(replay.report.findings.length);
    // Drops come from the parser: the same count in meta.json and in the replayed parse summary.
    expect(meta.drops.total).toBe(2);
    expect(replay.parse.drops.total).toBe(2);
    expect(meta.drops.records).toBe(replay.parse.records);
    // jsonl: each finding was printed on stdout as it arrived, one JSON object per line, then each again in its final state.
    const printed = h.stdoutText().trim().split('\n').map((l) => JSON.parse(l));
    const ids = replay.report.findings.map((f) => f.id);
    expect(printed.filter((f) => f.final !== true).map((f) => f.id)).toEqual(ids);
    expect(printed.filter((f) => f.final === true).map((f) => f.id)).toEqual(ids);
  });

  it('--fail-on: exit 1 when a finding is at or above it; the table ends the output', async () => {
    const { h, res, replay } = await liveAndReplay('rwx-memory.fire.trace', 'table', 'info');
    expect(replay.report.findings.length).toBeGreaterThan(0);
    expect(res.exitCode).toBe(EXIT.findings);
    expect(readMeta(h.dir).exitCode).toBe(1);
    expect(h.stdoutText()).toContain(replay.report.findings[0]!.rule);
  });

  it('a quiet trace: no findings, exit 0 even with --fail-on info', async () => {
    const { h, res, replay } = await liveAndReplay('rwx-memory.quiet.trace', 'json', 'info');
    expect(replay.report.findings).toHaveLength(0);
    expect(res.exitCode).toBe(EXIT.ok);
    expect(readFileSync(join(h.dir, 'findings.jsonl'), 'utf8')).toBe('');
    expect(JSON.parse(h.stdoutText()).counts.findings).toBe(0);
  });
});

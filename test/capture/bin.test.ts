import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURE_BIN, type Step } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/loadtrace.js', import.meta.url));
const RULES = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));

function run(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

describe('bin/loadtrace.js capture, then replay of the capture directory', () => {
  it('prints the same findings live as replay does, and the same exit code for --fail-on', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-bin-'));
    const trace = readFileSync(join(RULES, 'wx-transition.fire.trace'), 'utf8').replace(/LT1:[0-9a-f]{16}/g, 'LT1:{{NONCE}}');
    const steps: Step[] = trace.split(/(?<=\n)/).map((line) => ({ stdout: line, delayMs: 2 }));
    steps.push({ exit: 0 });
    writeFileSync(join(cwd, 'steps.json'), JSON.stringify(steps));
    const env = { FAKE_TRACER_STEPS: join(cwd, 'steps.json') };
    const baseline = join(RULES, 'baseline.json');
    const dir = join(cwd, 'cap');

    const live = await run(['capture', 'an0840', '--backend', 'dtrace', '-p', String(process.pid), '--out', dir, '--baseline', baseline, '--format', 'json', '--log-level', 'warn'], env, cwd);
    expect(live.stderr).toBe('');
    const liveDoc = JSON.parse(live.stdout);
    expect(liveDoc.findings.length).toBeGreaterThan(0);

    const replay = await run(['replay', dir, '--baseline', baseline, '--format', 'json'], {}, cwd);
    expect(replay.code).toBe(0);
    const replayDoc = JSON.parse(replay.stdout);
    expect(liveDoc.findings).toEqual(replayDoc.findings);
    expect(liveDoc.blindSpots).toEqual(replayDoc.blindSpots);
    expect(liveDoc.capture).toEqual({ dir, tool: 'an0840', ending: 'completed' });

    const jsonl = await run(['replay', dir, '--baseline', baseline, '--format', 'jsonl'], {}, cwd);
    expect(readFileSync(join(dir, 'findings.jsonl'), 'utf8')).toBe(jsonl.stdout);

    const top = liveDoc.findings.map((f: { severity: string }) => f.severity)[0];
    const liveFail = await run(['capture', 'an0840', '--backend', 'dtrace', '-p', String(process.pid), '--out', join(cwd, 'cap2'), '--baseline', baseline, '--format', 'jsonl', '--fail-on', top, '--log-level', 'warn'], env, cwd);
    expect(liveFail.code).toBe(1);
    // One first-seen line per finding as it appears, then the final state of each, marked final.
    const lines = liveFail.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const finals = lines.filter((l) => l.final === true);
    expect(lines.length - finals.length).toBe(liveDoc.findings.length);
    expect(finals.map(({ final: _, ...f }) => `${JSON.stringify(f)}\n`).join('')).toBe(readFileSync(join(cwd, 'cap2', 'findings.jsonl'), 'utf8'));
    expect(lines.slice(-finals.length)).toEqual(finals);
  });
});

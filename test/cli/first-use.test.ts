/**
 * What a first user of capture and replay ran into: the baseline a capture was judged with is
 * kept and used by replay, and a finding hidden by --min-severity never fails the run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/index.ts';
import { FIXTURE_BIN, type Step } from '../capture/helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/loadtrace.js');
const RULES = join(ROOT, 'test/fixtures/rules');
const WX_TRACE = join(RULES, 'wx-transition.fire.trace');
const DEFAULT_LINUX = join(ROOT, 'baselines/linux-default.json');

function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

/** The wx-transition fixture as the fake bpftrace prints it, then exit 0. */
function fakeTrace(cwd: string): Record<string, string> {
  const trace = readFileSync(WX_TRACE, 'utf8').replace(/LT1:[0-9a-f]{16}/g, 'LT1:{{NONCE}}');
  const steps: Step[] = trace.split(/(?<=\n)/).map((line) => ({ stdout: line }));
  steps.push({ exit: 0 });
  writeFileSync(join(cwd, 'steps.json'), JSON.stringify(steps));
  return { FAKE_TRACER_STEPS: join(cwd, 'steps.json') };
}

const rules = (jsonl: string) => jsonl.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).rule as string).sort();

describe('capture --baseline is recorded, and replay DIR judges with it', () => {
  it('keeps baseline.json in the capture, notes it in meta.json, and replay uses it unless --baseline is given', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-baseline-rec-'));
    // A baseline of one's own: the "loader" of the trace is a known JIT here, so its W^X findings go quiet.
    const mine = JSON.parse(readFileSync(join(RULES, 'baseline.json'), 'utf8'));
    mine.entries.push({ id: 'loader', match: { name: 'loader' }, jit: true, wx: true, rwx: true, note: 'a JIT of our own' });
    const minePath = join(cwd, 'mine.json');
    const mineText = `${JSON.stringify(mine, null, 2)}\n`;
    writeFileSync(minePath, mineText);
    const dir = join(cwd, 'cap');
    const live = await run(['capture', '--backend', 'bpftrace', '-p', String(process.pid), '--out', dir, '--baseline', minePath, '--format', 'jsonl', '--log-level', 'warn'], cwd, fakeTrace(cwd));
    expect(live.code).toBe(0);

    expect(readFileSync(join(dir, 'baseline.json'), 'utf8')).toBe(mineText);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    expect(meta.baseline).toMatchObject({ file: 'baseline.json', source: minePath });
    expect(meta.baseline.sha256).toMatch(/^[0-9a-f]{64}$/);

    // The own baseline changes the verdict, or this test would prove nothing.
    const withDefault = await run(['replay', dir, '--baseline', DEFAULT_LINUX, '--format', 'jsonl'], cwd);
    expect(rules(withDefault.stdout)).not.toEqual(rules(live.stdout));

    const again = await run(['replay', dir, '--format', 'jsonl'], cwd);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(readFileSync(join(dir, 'findings.jsonl'), 'utf8'));
    expect(rules(again.stdout)).toEqual(rules(live.stdout));

    const table = await run(['replay', dir], cwd);
    expect(table.stdout).toContain(`Baseline: ${join(dir, 'baseline.json')} (recorded with the capture`);
    const explicit = await run(['replay', dir, '--baseline', DEFAULT_LINUX], cwd);
    expect(explicit.stdout).toContain(`Baseline: ${DEFAULT_LINUX} (--baseline).`);
    const doc = JSON.parse((await run(['replay', dir, '--format', 'json'], cwd)).stdout);
    expect(doc.baseline).toEqual({ source: join(dir, 'baseline.json'), origin: 'capture' });

    const lib = await replay(dir);
    expect(lib.baseline).toEqual({ source: join(dir, 'baseline.json'), origin: 'capture' });
    expect(lib.findings.map((f) => f.rule).sort()).toEqual(rules(live.stdout));
    const libDefault = await replay(dir, { baseline: DEFAULT_LINUX });
    expect(libDefault.baseline.origin).toBe('given');
    expect(libDefault.findings.map((f) => f.rule).sort()).toEqual(rules(withDefault.stdout));
  });

  it('a capture whose meta.json names a baseline that is missing is refused, naming the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-baseline-missing-'));
    const dir = join(cwd, 'cap');
    const live = await run(['capture', '--backend', 'bpftrace', '-p', String(process.pid), '--out', dir, '--format', 'json', '--log-level', 'warn'], cwd, fakeTrace(cwd));
    expect(live.code).toBe(0);
    expect(JSON.parse(live.stdout).baseline).toEqual({ source: DEFAULT_LINUX, origin: 'default' });
    spawnSync('rm', [join(dir, 'baseline.json')]);
    const r = await run(['replay', dir], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'baseline.json')}: cannot read`);
  });
});

describe('--fail-on judges only the findings the report shows', () => {
  const baseline = join(RULES, 'baseline.json');
  it('--min-severity critical --fail-on high with only high findings: "No findings.", exit 0, and the summary says how many were hidden', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-failon-'));
    const trace = join(RULES, 'double-mapping.fire.trace');
    const all = await run(['replay', trace, '--baseline', baseline, '--format', 'jsonl'], cwd);
    expect(all.stdout.trim().split('\n').map((l) => JSON.parse(l).severity)).toEqual(['high', 'high']);

    const hidden = await run(['replay', trace, '--baseline', baseline, '--min-severity', 'critical', '--fail-on', 'high'], cwd);
    expect(hidden.stdout).toContain('No findings.');
    expect(hidden.stdout).toContain('Findings: 0 shown, 2 hidden by --min-severity critical;');
    expect(hidden.code).toBe(0);
    // Shown, the same findings fail the run.
    expect((await run(['replay', trace, '--baseline', baseline, '--min-severity', 'high', '--fail-on', 'high'], cwd)).code).toBe(1);
    const doc = JSON.parse((await run(['replay', trace, '--baseline', baseline, '--min-severity', 'critical', '--format', 'json'], cwd)).stdout);
    expect(doc.counts).toMatchObject({ findings: 0, hidden: 2 });
  });

  it('live capture: the same rule, the same exit code', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-failon-live-'));
    const trace = readFileSync(join(RULES, 'double-mapping.fire.trace'), 'utf8').replace(/LT1:[0-9a-f]{16}/g, 'LT1:{{NONCE}}');
    writeFileSync(join(cwd, 'steps.json'), JSON.stringify([...trace.split(/(?<=\n)/).map((line) => ({ stdout: line })), { exit: 0 }]));
    const env = { FAKE_TRACER_STEPS: join(cwd, 'steps.json') };
    const args = ['capture', '--backend', 'bpftrace', '-p', String(process.pid), '--baseline', baseline, '--log-level', 'warn', '--fail-on', 'high'];
    const hidden = await run([...args, '--out', join(cwd, 'a'), '--min-severity', 'critical'], cwd, env);
    expect(hidden.stdout).toContain('Findings: 0 shown, 2 hidden by --min-severity critical;');
    expect(hidden.code).toBe(0);
    const shown = await run([...args, '--out', join(cwd, 'b'), '--min-severity', 'high'], cwd, env);
    expect(shown.code).toBe(1);
  });
});

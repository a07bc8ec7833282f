import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_BIN, type Step } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/loadtrace.js', import.meta.url));
const RULES = fileURLToPath(new URL('../fixtures/rules/', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-table-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const trace = readFileSync(join(RULES, 'wx-transition.fire.trace'), 'utf8').replace(/LT1:[0-9a-f]{16}/g, 'LT1:{{NONCE}}');
const steps: Step[] = [...trace.split(/(?<=\n)/).map((line) => ({ stdout: line })), { exit: 0 }];
writeFileSync(join(cwd, 'steps.json'), JSON.stringify(steps));
let n = 0;
// The same trace with the lines a -c program prints itself before and after it.
const MIXED = join(cwd, 'mixed.json');
writeFileSync(MIXED, JSON.stringify([{ stdout: 'hello from the program\n' }, ...steps.slice(0, -1), { stdout: 'evil \x1b[2J line\n' }, { exit: 0 }]));

/** `capture --format table` against the fake tracer replaying a trace that fires a finding. */
function capture(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out = join(cwd, `cap${n++}`);
  const child = spawn(
    process.execPath,
    [BIN, 'capture', 'an0840', '--backend', 'dtrace', '-p', String(process.pid), '--out', out, '--baseline', join(RULES, 'baseline.json'), '--log-level', 'warn', ...args],
    { cwd, env: { ...process.env, PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH}`, FAKE_TRACER_STEPS: join(cwd, 'steps.json'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

describe('capture --format table', () => {
  it('shows times with date and zone, local by default and UTC with --utc', async () => {
    const local = await capture([], { TZ: 'Asia/Kolkata' });
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/ at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+05:30\n/);
    const utc = await capture(['--utc'], { TZ: 'Asia/Kolkata' });
    expect(utc.stdout).toMatch(/ at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z\n/);
    expect(utc.stdout).not.toContain('+05:30');
  });

  it('--color: plain into a pipe by default and with never, ANSI with always (even under NO_COLOR), live lines too', async () => {
    const plain = await capture([], {});
    expect(plain.stdout).toMatch(/LT-\d{3}/);
    expect(plain.stdout).not.toContain('\x1b[');
    expect((await capture(['--color', 'never'], {})).stdout).not.toContain('\x1b[');
    expect((await capture(['--no-color'], {})).stdout).not.toContain('\x1b[');
    const always = await capture(['--color', 'always'], { NO_COLOR: '1' });
    expect(always.code).toBe(0);
    // The line printed as the finding appears, and the final table: both coloured.
    const coloured = always.stdout.split('\n').filter((l) => /\x1b\[[0-9;]+m[A-Z]+ *\x1b\[0m LT-\d{3}/.test(l));
    expect(coloured.length).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!existsSync('/usr/bin/script') || process.platform !== 'linux')('--color auto on a terminal: colour unless NO_COLOR is set and not empty', () => {
    const onTty = (env: Record<string, string>) => {
      const args = ['capture', 'an0840', '--backend', 'dtrace', '-p', String(process.pid), '--out', join(cwd, `cap${n++}`), '--baseline', join(RULES, 'baseline.json'), '--log-level', 'warn'];
      // script(1) gives the CLI a pseudo-terminal as stdout (and stderr).
      return spawnSync('/usr/bin/script', ['-qec', [process.execPath, BIN, ...args].join(' '), '/dev/null'], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH}`, FAKE_TRACER_STEPS: join(cwd, 'steps.json'), NO_COLOR: undefined, ...env },
      }).stdout;
    };
    const finding = /\x1b\[[0-9;]+m[A-Z]+ *\x1b\[0m LT-\d{3}/;
    expect(onTty({})).toMatch(finding);
    const noColor = onTty({ NO_COLOR: '1' });
    expect(noColor).toMatch(/LT-\d{3}/);
    expect(noColor).not.toMatch(finding);
    // On a terminal the program's own output is shown without --show-output.
    expect(onTty({ FAKE_TRACER_STEPS: MIXED })).toContain('hello from the program');
  });

  it("--show-output copies the program's lines on the tracer's stdout to stderr, escaped, and they stay recorded", async () => {
    const file = MIXED;
    const out = join(cwd, 'shown');
    const shown = await capture(['--show-output', '--out', out], { FAKE_TRACER_STEPS: file });
    expect(shown.code).toBe(0);
    expect(shown.stderr).toContain('hello from the program\n');
    expect(shown.stderr).toContain('evil \\x1b[2J line\n');
    expect(shown.stderr).not.toContain('\x1b');
    expect(shown.stdout).not.toContain('hello from the program');
    expect(readFileSync(join(out, 'stdout.raw'), 'utf8')).toContain('hello from the program\nLT1:');
    // Off a terminal, and without the flag, the output is recorded only.
    const quiet = await capture([], { FAKE_TRACER_STEPS: file });
    expect(quiet.stderr).not.toContain('hello from the program');
  });
});

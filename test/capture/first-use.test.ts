/**
 * Defects a first capture ran into: where the capture folder goes, and what is checked before
 * anything is created.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/capture/folder.ts';
import { FIXTURE_BIN, harness, rec, waitForText, type Step } from './helpers.ts';

const HARNESS = fileURLToPath(new URL('./cli-harness.ts', import.meta.url));
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const BEGIN = rec('begin', ['an0840', 'darwin', 'dtrace']);

describe('the capture folder', () => {
  it('two captures started in the same millisecond get different default folders', async () => {
    const steps: Step[] = [{ stdout: BEGIN }, { exit: 0 }];
    const a = harness(steps);
    const b = harness(steps);
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-names-'));
    const now = () => new Date('2026-01-05T10:15:00.123Z');
    const [ra, rb] = await Promise.all([
      a.run({ tool: 'dlsnoop', out: undefined }, { cwd, now }),
      b.run({ tool: 'dlsnoop', out: undefined }, { cwd, now }),
    ]);
    expect(ra.ending).toBe('completed');
    expect(rb.ending).toBe('completed');
    expect(ra.dir).not.toBe(rb.dir);
    expect(readdirSync(join(cwd, 'captures')).sort()).toEqual([ra.dir, rb.dir].map((d) => d.slice(d.lastIndexOf('/') + 1)).sort());
    expect(ra.dir).toMatch(/\/captures\/dlsnoop-20260105T101500\.123Z-[0-9a-f]{6}$/);
  });

  it.skipIf(process.platform !== 'linux')('--out under /proc fails at once with exit 6, naming the folder (no endless mkdir)', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-proc-out-'));
    const r = spawnSync(process.execPath, ['--import', TSX, HARNESS, 'capture', 'dlsnoop', '--backend', 'dtrace', '--out', '/proc/loadtrace-nope/cap', '--log-level', 'warn'], {
      cwd,
      env: { ...process.env, PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.status).toBe(6);
    expect(r.stderr).toContain('--out /proc/loadtrace-nope/cap: cannot create directory');
  });

  it('makeDirs creates missing parents and accepts an existing folder', () => {
    const base = mkdtempSync(join(tmpdir(), 'loadtrace-mkdirs-'));
    makeDirs(join(base, 'a', 'b', 'c'));
    makeDirs(join(base, 'a', 'b', 'c'));
    expect(existsSync(join(base, 'a', 'b', 'c'))).toBe(true);
  });
});

describe('-p PID is checked before anything is made', () => {
  it('a pid that names no process: exit 2 naming the pid, no folder, no tracer', async () => {
    const h = harness([{ stdout: BEGIN }, { exit: 0 }]);
    const err = await h.run({ tool: 'dlsnoop', target: { kind: 'pid', pid: 999_999 } }, { pidExists: (pid) => pid !== 999_999 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 2, message: '-p 999999: no such process' });
    expect(existsSync(h.dir)).toBe(false);
    expect(existsSync(h.argvLog)).toBe(false);
  });

  it('the real check: a live pid passes, a free one does not', async () => {
    const { processExists } = await import('../../src/capture/deps.ts');
    expect(processExists(process.pid)).toBe(true);
    // Above the kernel's pid_max (4194304 at most on Linux; 99998 on macOS): never a process.
    expect(processExists(2 ** 22 + 1)).toBe(false);
  });
});

describe('"Tracing … Hit Ctrl-C to end."', () => {
  it('on a terminal, is printed on stderr once the first begin record arrives, not before', async () => {
    const h = harness([{ delayMs: 400 }, { stdout: 'some foreign line\n' }, { delayMs: 300 }, { stdout: BEGIN }, { wait: true }]);
    const done = h.run({ tool: 'dlsnoop', target: { kind: 'pid', pid: 4242 } }, { stderrIsTTY: true });
    await waitForText(join(h.dir, 'stdout.raw'), 'some foreign line');
    expect(h.stderrText()).not.toContain('Hit Ctrl-C');
    await waitForText(join(h.dir, 'stdout.raw'), '\tbegin\t');
    for (let i = 0; i < 50 && !h.stderrText().includes('Hit Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(h.stderrText().match(/Tracing dlsnoop on pid 4242\.\.\. Hit Ctrl-C to end\.\n/g)).toHaveLength(1);
    h.signals.emit('SIGINT');
    expect((await done).ending).toBe('interrupted');
  });

  it('a tracer that never attaches never says it', async () => {
    const h = harness([{ stderr: 'bpftrace: ERROR: something failed\n' }, { exit: 1 }]);
    await h.run({ tool: 'dlsnoop' }, { stderrIsTTY: true });
    expect(h.stderrText()).not.toContain('Hit Ctrl-C');
  });
});

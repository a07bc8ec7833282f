import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/exit-codes.ts';
import type { RawFileOpener } from '../../src/capture/raw.ts';
import { openRawFile } from '../../src/capture/raw.ts';
import { fill, harness, printed, readMeta, rec, waitForText, type Step } from './helpers.ts';

const BEGIN = rec('begin', ['an0840', 'darwin', 'dtrace']);
const DLOPEN = rec('dlopen', ['/tmp/payload.dylib', '0', '2', '7f0000001000']);
const TRAILER = rec('trailer', ['records', '2']);

function raw(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** Checks what every finished capture directory must hold. */
function expectCaptureDir(dir: string, steps: Step[], opts: { onSigint?: boolean; target?: string } = {}) {
  const meta = readMeta(dir);
  const pid = meta.tracer.pid as number;
  expect(raw(dir, 'stdout.raw')).toBe(fill(printed(steps, 'stdout', opts.onSigint), meta.nonce, pid, opts.target));
  expect(raw(dir, 'stderr.raw')).toBe(fill(printed(steps, 'stderr', opts.onSigint), meta.nonce, pid, opts.target));
  const script = join(dir, 'script.d');
  expect(statSync(script).mode & 0o777).toBe(0o600);
  expect(readFileSync(script, "utf8")).toContain(`LT_NONCE = "${meta.nonce}"`);
  expect(meta.nonce).toMatch(/^[0-9a-f]{16}$/);
  expect(meta.protocolVersion).toBe(1);
  expect(meta.tracer.backend).toBe('dtrace');
  expect(meta.tracer.path).toMatch(/fixtures\/bin\/dtrace$/);
  expect(meta.tracer.version).toBe('dtrace: Sun D 1.6.4 (fake)');
  expect(meta.tracer.argv[meta.tracer.argv.indexOf('-s') + 1]).toBe(script);
  expect(meta.tracer.argv).not.toContain('{script}');
  expect(meta.host.osVersion).toBe('macOS 14.5 (23F79)');
  expect(meta.sip).toMatchObject({ state: 'custom', dtraceRestricted: false });
  expect(meta.endedAt).not.toBeNull();
  expect(Date.parse(meta.endedAt)).toBeGreaterThanOrEqual(Date.parse(meta.startedAt));
  return meta;
}

describe('capture endings with the fake dtrace', () => {
  it('completed: the tracer exits 0 on its own', async () => {
    const steps: Step[] = [{ stdout: BEGIN }, { stdout: DLOPEN, delayMs: 20 }, { stderr: 'dtrace: 1 warning of no consequence\n' }, { exit: 0 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840' });
    expect(res.ending).toBe('completed');
    expect(res.exitCode).toBe(EXIT.ok);
    const meta = expectCaptureDir(h.dir, steps);
    expect(meta).toMatchObject({ ending: 'completed', exitCode: 0, exit: { code: 0, signal: null }, tool: 'an0840', target: { kind: 'all' } });
    expect(meta.raw.stdoutBytes).toBe(Buffer.byteLength(raw(h.dir, 'stdout.raw')));
  });

  it('duration: --duration stops the tracer with SIGINT and keeps its END output', async () => {
    const steps: Step[] = [{ onSigint: [{ stdout: TRAILER }] }, { stdout: BEGIN }, { wait: true }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840', durationSec: 0.4 });
    expect(res.ending).toBe('duration');
    expect(res.exitCode).toBe(EXIT.ok);
    const meta = expectCaptureDir(h.dir, steps, { onSigint: true });
    expect(raw(h.dir, 'stdout.raw')).toContain('\ttrailer\t');
    expect(meta.durationMs).toBeGreaterThanOrEqual(350);
  });

  it('interrupted: Ctrl-C sends one SIGINT; the END trailer is captured', async () => {
    const steps: Step[] = [{ onSigint: [{ stdout: TRAILER, delayMs: 50 }] }, { stdout: BEGIN }, { wait: true }];
    const h = harness(steps);
    const running = h.run({ tool: 'an0840' });
    await waitForText(join(h.dir, 'stdout.raw'), '\tbegin\t');
    // meta.json says "running" while the tracer runs, and it is complete JSON.
    expect(readMeta(h.dir).ending).toBe('running');
    h.signals.emit('SIGINT');
    const res = await running;
    expect(res.ending).toBe('interrupted');
    expect(res.exitCode).toBe(EXIT.ok);
    expectCaptureDir(h.dir, steps, { onSigint: true });
  });

  it('terminated: SIGTERM to loadtrace stops the tracer cleanly', async () => {
    const steps: Step[] = [{ onSigint: [{ stdout: TRAILER }] }, { stdout: BEGIN }, { wait: true }];
    const h = harness(steps);
    const running = h.run({ tool: 'an0840' });
    await waitForText(join(h.dir, 'stdout.raw'), '\tbegin\t');
    h.signals.emit('SIGTERM');
    const res = await running;
    expect(res.ending).toBe('terminated');
    expect(res.exitCode).toBe(EXIT.ok);
    expectCaptureDir(h.dir, steps, { onSigint: true });
  });

  it('killed: a second Ctrl-C kills a tracer that ignores SIGINT; everything received is kept', async () => {
    const steps: Step[] = [{ sigint: 'ignore' }, { stdout: BEGIN }, { stdout: DLOPEN }, { wait: true }];
    const h = harness(steps);
    const running = h.run({ tool: 'an0840' });
    await waitForText(join(h.dir, 'stdout.raw'), '\tdlopen\t');
    h.signals.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    h.signals.emit('SIGINT');
    const res = await running;
    expect(res.ending).toBe('killed');
    expect(res.exitCode).toBe(EXIT.killed);
    const meta = expectCaptureDir(h.dir, steps);
    expect(meta.exit.signal).toBe('SIGKILL');
  });

  it('killed: a tracer that does not stop within the stop timeout after SIGINT is killed', async () => {
    const steps: Step[] = [{ sigint: 'ignore' }, { stdout: BEGIN }, { wait: true }];
    const h = harness(steps);
    const running = h.run({ tool: 'an0840', stopTimeoutMs: 300 });
    await waitForText(join(h.dir, 'stdout.raw'), '\tbegin\t');
    h.signals.emit('SIGINT');
    const res = await running;
    expect(res.ending).toBe('killed');
    expect(res.exitCode).toBe(130);
    expectCaptureDir(h.dir, steps);
  });

  it('tracer-crashed: the tracer dies mid-line; the partial line is in stdout.raw', async () => {
    const partial = 'LT1:{{NONCE}}\tdlopen\t17672256000';
    const steps: Step[] = [{ stdout: BEGIN }, { stdout: DLOPEN }, { dieMidLine: partial }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840' });
    expect(res.ending).toBe('tracer-crashed');
    expect(res.exitCode).toBe(EXIT.tracerCrashed);
    const meta = expectCaptureDir(h.dir, steps);
    expect(raw(h.dir, 'stdout.raw').endsWith('\tdlopen\t17672256000')).toBe(true);
    expect(meta.exit).toEqual({ code: null, signal: 'SIGSEGV' });
    expect(meta.endingDetail).toContain('SIGSEGV');
  });

  it('tracer-crashed: a non-zero exit without a known message', async () => {
    const steps: Step[] = [{ stdout: BEGIN }, { exit: 2 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840' });
    expect(res.ending).toBe('tracer-crashed');
    expect(res.exitCode).toBe(4);
    expect(expectCaptureDir(h.dir, steps).exit).toEqual({ code: 2, signal: null });
  });

  const refusals: [string, string, string][] = [
    [
      'privileges',
      'dtrace: system integrity protection is on, some features will not be available\n\ndtrace: failed to initialize dtrace: DTrace requires additional privileges\n',
      'privileges',
    ],
    [
      'SIP',
      'dtrace: system integrity protection is on, some features will not be available\n\ndtrace: invalid probe specifier syscall::mmap:entry: probe description syscall::mmap:entry does not match any probes. System Integrity Protection is on\n',
      'sip',
    ],
    [
      'compile error',
      'dtrace: failed to compile script script.d: line 2: operator -> cannot be applied to pointer to type "int"; must be applied to a struct or union pointer\n',
      'compile',
    ],
  ];
  for (const [name, message, reason] of refusals) {
    it(`tracer-refused (${name}): exit 3 and the reason in meta.json`, async () => {
      const steps: Step[] = [{ stderr: message }, { exit: 1 }];
      const h = harness(steps);
      const res = await h.run({ tool: 'an0840' });
      expect(res.ending).toBe('tracer-refused');
      expect(res.exitCode).toBe(EXIT.tracerRefused);
      const meta = expectCaptureDir(h.dir, steps);
      expect(meta.endingDetail.startsWith(`${reason}: `)).toBe(true);
      expect(raw(h.dir, 'stdout.raw')).toBe('');
    });
  }

  it('target-exited: -p PID and the target exits', async () => {
    const steps: Step[] = [{ stdout: BEGIN }, { stdout: DLOPEN }, { stderr: 'dtrace: pid {{TARGET}} has exited\n' }, { exit: 0 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'dlsnoop', target: { kind: 'pid', pid: 4242 } });
    expect(res.ending).toBe('target-exited');
    expect(res.exitCode).toBe(EXIT.ok);
    const meta = expectCaptureDir(h.dir, steps, { target: '4242' });
    expect(meta.target).toEqual({ kind: 'pid', pid: 4242 });
    expect(meta.tracer.argv).toContain('-p');
    expect(meta.endingDetail).toBe('dtrace: pid 4242 has exited');
  });

  it('attach-failed: dtrace cannot grab the pid', async () => {
    const steps: Step[] = [{ stderr: 'dtrace: failed to grab pid {{TARGET}}: No such process\n' }, { exit: 1 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'dlsnoop', target: { kind: 'pid', pid: 4243 } });
    expect(res.ending).toBe('attach-failed');
    expect(res.exitCode).toBe(EXIT.tracerRefused);
    expectCaptureDir(h.dir, steps, { target: '4243' });
  });

  it('disk-full: ENOSPC on stdout.raw stops the tracer and keeps the exact prefix written', async () => {
    const steps: Step[] = [
      { onSigint: [{ stdout: TRAILER }] },
      { stdout: BEGIN },
      { stdout: DLOPEN, delayMs: 30 },
      { stdout: DLOPEN, delayMs: 30 },
      { wait: true },
    ];
    const h = harness(steps);
    // The "disk" takes the begin record and nothing more.
    let budget = -1;
    const opener: RawFileOpener = (path) => {
      const real = openRawFile(path);
      if (!path.endsWith('stdout.raw')) return real;
      return {
        write(chunk) {
          if (budget < 0) budget = chunk.length; // exactly the first chunk fits
          if (chunk.length > budget) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          budget -= chunk.length;
          real.write(chunk);
        },
        sync: () => real.sync(),
        close: () => real.close(),
      };
    };
    const res = await h.run({ tool: 'an0840' }, { openRawFile: opener });
    expect(res.ending).toBe('disk-full');
    expect(res.exitCode).toBe(EXIT.io);
    const meta = readMeta(h.dir);
    expect(raw(h.dir, 'stdout.raw')).toBe(fill(BEGIN, meta.nonce, meta.tracer.pid));
    expect(meta.raw.writeError).toMatch(/^ENOSPC/);
    expect(meta.raw.lostBytes).toBeGreaterThan(0);
    expect(meta.ending).toBe('disk-full');
    expect(h.stderrText()).toContain('disk full');
  });

  it('error: the tracer cannot be started (exit 3)', async () => {
    const h = harness([]);
    await expect(h.run({ tool: 'an0840' }, { env: { PATH: '/nonexistent', LOADTRACE_DTRACE: '/nonexistent/dtrace' } })).rejects.toMatchObject({
      // The library's own documented class, not the command line's.
      name: 'CaptureError',
      exitCode: EXIT.tracerRefused,
      message: expect.stringContaining('LOADTRACE_DTRACE=/nonexistent/dtrace'),
    });
  });
});

describe('privileges, drops', () => {
  it('not root: says so on stderr and runs the tracer through sudo -n', async () => {
    const steps: Step[] = [{ stdout: BEGIN }, { exit: 0 }];
    const h = harness(steps);
    const res = await h.run({ tool: 'an0840' }, { isRoot: false });
    expect(res.ending).toBe('completed');
    expect(h.stderrText()).toMatch(/^loadtrace: not running as root: starting dtrace through sudo \(.*fixtures\/bin\/sudo -n .*fixtures\/bin\/dtrace/m);
    const meta = readMeta(h.dir);
    expect(meta.tracer.viaSudo).toBe(true);
    expect(meta.tracer.argv.slice(0, 3)).toEqual([expect.stringMatching(/fixtures\/bin\/sudo$/), '-n', '--']);
    expect(raw(h.dir, 'stdout.raw')).toBe(fill(BEGIN, meta.nonce, meta.tracer.pid));
  });

  it('not root and sudo would prompt without a terminal: refuses up front with exit 3, writes nothing', async () => {
    const h = harness([], { FAKE_SUDO_OK: '1' });
    await expect(h.run({ tool: 'an0840' }, { isRoot: false })).rejects.toMatchObject({
      exitCode: EXIT.tracerRefused,
      message: expect.stringContaining('needs root'),
    });
    expect(() => statSync(h.dir)).toThrow();
  });

  const dropSteps: Step[] = [
    { stdout: BEGIN },
    { stdout: DLOPEN },
    { stderr: 'dtrace: 3 drops on CPU 0\ndtrace: 2 drops on CPU 1\n' },
    { stderr: 'dtrace: 4 dynamic variable drops with non-empty dirty list\n' },
    { exit: 0 },
  ];
  it('drops over the threshold with --on-drops fail: exit 5, totals in meta.json', async () => {
    const h = harness(dropSteps);
    const res = await h.run({ tool: 'an0840', onDrops: 'fail', dropThreshold: { kind: 'count', value: 5 } });
    expect(res.exitCode).toBe(EXIT.drops);
    expect(res.ending).toBe('completed');
    const meta = readMeta(h.dir);
    expect(meta.drops).toMatchObject({ total: 9, byKind: { principal: 5, dynvar_dirty: 4 }, exceeded: true, onDrops: 'fail', threshold: { kind: 'count', value: 5 } });
    expect(meta.exitCode).toBe(5);
    expect(h.stderrText()).toContain('over the threshold');
  });
  it('drops under the threshold, or with --on-drops log: exit 0', async () => {
    const under = harness(dropSteps);
    expect((await under.run({ tool: 'an0840', onDrops: 'fail', dropThreshold: { kind: 'count', value: 9 } })).exitCode).toBe(0);
    expect(readMeta(under.dir).drops.exceeded).toBe(false);
    const logged = harness(dropSteps);
    expect((await logged.run({ tool: 'an0840', onDrops: 'log' })).exitCode).toBe(0);
    expect(readMeta(logged.dir).drops).toMatchObject({ total: 9, exceeded: true });
  });

  it('refuses a --out folder that is not empty (usage, exit 2)', async () => {
    const h = harness([{ exit: 0 }]);
    await h.run({ tool: 'an0840' });
    await expect(h.run({ tool: 'an0840' })).rejects.toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining('not empty') });
  });

  it('refuses an empty --out folder that others can write to (usage, exit 2)', async () => {
    const h = harness([{ exit: 0 }]);
    mkdirSync(h.dir, { mode: 0o700 });
    chmodSync(h.dir, 0o777);
    await expect(h.run({ tool: 'an0840' })).rejects.toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining('writable by no one else') });
    chmodSync(h.dir, 0o700);
    expect((await h.run({ tool: 'an0840' })).exitCode).toBe(0);
  });
});

describe('status line', () => {
  const steps: Step[] = [{ stdout: BEGIN }, { stdout: DLOPEN, delayMs: 700 }, { exit: 0 }];
  it('is drawn with \\r on a terminal and erased at the end', async () => {
    const h = harness(steps);
    await h.run({ tool: 'an0840' }, { stderrIsTTY: true });
    const err = h.stderrText();
    expect(err).toMatch(/\r\x1b\[Kcapturing 00:00 {2}\d+ records \(\d+\/s\) {2}drops 0 {2}findings 0/);
    // The last thing written by the status line is the erase sequence.
    expect(err.lastIndexOf('\r\x1b[K')).toBeGreaterThan(err.lastIndexOf('capturing 00:'));
  });
  it('is not drawn when stderr is not a terminal', async () => {
    const h = harness(steps);
    await h.run({ tool: 'an0840' }, { stderrIsTTY: false });
    expect(h.stderrText()).not.toContain('\r');
    expect(h.stderrText()).not.toContain('capturing 00:');
  });
});

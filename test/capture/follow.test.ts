import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, readMeta, rec, waitForText, type Step } from './helpers.ts';
import { followUnsupported, needsFollow } from '../../src/capture/follow.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

/** A real process, stopped the way the watcher's stop() leaves a new process at exec. */
function stoppedProcess(): number {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  started.push(c);
  process.kill(c.pid!, 'SIGSTOP');
  return c.pid!;
}

function state(pid: number): string {
  // Field 3 of /proc/PID/stat: T = stopped.
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0]!;
}

const execOf = (pid: number | string, comm: string) =>
  ['LT1:{{NONCE}}', 'exec', '1767225600000001000', String(pid), '1', String(pid), '501', comm, `/usr/bin/${comm}`, '0'].join('\t') + '\n';

describe.skipIf(process.platform !== 'linux')('follow mode (fake dtrace watcher and per-pid tracers)', () => {
  it('starts a tracer per new process, resumes it, merges whole lines, and lists blind spots', async () => {
    const a = stoppedProcess();
    const b = stoppedProcess();
    const gone = 999_999;
    // The tool's own system-wide script: a begin record, then it runs until stopped.
    const main: Step[] = [
      { onSigint: [{ stdout: rec('trailer', ['records', '1']) }] },
      { stdout: rec('begin', ['an0840', 'darwin', 'dtrace']) },
      { wait: true },
    ];
    const watcher: Step[] = [
      { onSigint: [{ stdout: rec('trailer', ['stopped', '3']) }] },
      { stdout: rec('begin', ['follow', 'darwin', 'dtrace']) },
      { stdout: execOf(gone, 'ghost') },
      { stdout: execOf(a, 'victim'), delayMs: 800 },
      { stdout: execOf(b, 'other'), delayMs: 800 },
      { wait: true },
    ];
    // Each per-pid tracer writes a record in two pieces, so a merge that is not line-atomic would splice lines.
    const perPid: Step[] = [
      { onSigint: [{ stdout: 'LT1:{{NONCE}}\ttrailer\t1767225609000000000\t{{TARGET}}\t1\t{{TARGET}}\t501\tvictim\trecords\t1\n' }] },
      { stdout: 'LT1:{{NONCE}}\tbegin\t1767225600000002000\t{{TARGET}}\t1\t{{TARGET}}\t501\tvictim\tdlsnoop\tdarwin\tdtrace\n' },
      { stdout: 'LT1:{{NONCE}}\tdlopen\t1767225600000003000\t{{TARGET}}\t1\t{{TARGET}}' },
      { stdout: '\t501\tvictim\t/tmp/x.dylib\\0\t0\t2\t7f0000001000\n', delayMs: 50 },
      { wait: true },
    ];
    const tmp = mkdtempSync(join(tmpdir(), 'loadtrace-follow-'));
    writeFileSync(join(tmp, 'pid.json'), JSON.stringify(perPid));
    writeFileSync(join(tmp, 'follow.json'), JSON.stringify(watcher));
    const h = harness(main, {
      FAKE_TRACER_FAIL_PIDS: String(gone),
      FAKE_TRACER_STEPS_PID: join(tmp, 'pid.json'),
      FAKE_TRACER_STEPS_FOLLOW: join(tmp, 'follow.json'),
    });
    const running = h.run({ tool: 'an0840', follow: 'on', maxTracers: 1 });
    await waitForText(join(h.dir, 'stdout.raw'), `/tmp/x.dylib`);
    await waitForText(join(h.dir, 'stdout.raw'), `\t${b}\t1\t${b}\t501\tother`);
    await new Promise((r) => setTimeout(r, 300));
    // Both were resumed: a by its tracer's begin record, b because the tracer limit was reached.
    expect(state(a)).not.toBe('T');
    expect(state(b)).not.toBe('T');
    h.signals.emit('SIGINT');
    const res = await running;
    expect(res.ending).toBe('interrupted');
    expect(res.exitCode).toBe(0);

    const meta = readMeta(h.dir);
    const out = readFileSync(join(h.dir, 'stdout.raw'), 'utf8');
    const lines = out.split('\n');
    expect(lines.pop()).toBe('');
    for (const l of lines) expect(l.startsWith(`LT1:${meta.nonce}\t`)).toBe(true);
    expect(lines.filter((l) => l.includes('\tdlopen\t'))).toEqual([
      `LT1:${meta.nonce}\tdlopen\t1767225600000003000\t${a}\t1\t${a}\t501\tvictim\t/tmp/x.dylib\\0\t0\t2\t7f0000001000`,
    ]);
    // The END trailers of the main tracer, the watcher and the per-pid tracer are all there.
    expect(lines.filter((l) => l.includes('\ttrailer\t'))).toHaveLength(3);
    expect(lines.filter((l) => l.includes('\tbegin\t'))).toHaveLength(3);
    expect(readFileSync(join(h.dir, 'stderr.raw'), 'utf8')).toBe(`dtrace: failed to grab pid ${gone}: No such process\n`);

    expect(meta.follow.maxTracers).toBe(1);
    expect(meta.follow.tracers.map((t: { pid: number }) => t.pid).sort()).toEqual([gone, a].sort());
    const blind = Object.fromEntries(meta.follow.blindSpots.map((s: { pid: number; reason: string }) => [s.pid, s.reason]));
    expect(blind).toEqual({ [gone]: 'exited_before_attach', [b]: 'tracer_limit' });
    expect(meta.notAttached).toContainEqual({ pid: b, name: 'other', reason: expect.stringMatching(/^tracer_limit: /) });
    const script = join(h.dir, `pid-${a}.d`);
    expect(statSync(script).mode & 0o777).toBe(0o600);
    expect(readFileSync(script, "utf8")).toContain(`LT_NONCE = "${meta.nonce}"`);
    expect(readdirSync(h.dir)).toEqual(expect.arrayContaining(['script.d', 'follow.d', `pid-${a}.d`, `pid-${gone}.d`]));
    expect(meta.follow.watcher.argv).toContain('-w');
    expect(meta.follow.watcher.error).toBeNull();
    expect(meta.follow.tracers.find((t: { pid: number }) => t.pid === a).argv).toEqual(expect.arrayContaining(['-p', String(a)]));
  });
});

describe('follow mode where the tracer cannot take over a stopped process', () => {
  const all = { follow: 'auto' as const, target: { kind: 'all' as const } };
  it('is used by DTrace on macOS for system-wide and -n captures', () => {
    expect(needsFollow(all, 'dtrace', 'darwin')).toBe(true);
    expect(needsFollow({ follow: 'auto', target: { kind: 'name', name: 'x' } }, 'dtrace', 'darwin')).toBe(true);
    expect(followUnsupported('dtrace', 'darwin')).toBeNull();
  });
  it("is off by default with DTrace on Linux, and --follow on is refused with the reason (exit 2)", () => {
    expect(needsFollow(all, 'dtrace', 'linux')).toBe(false);
    expect(() => needsFollow({ ...all, follow: 'on' }, 'dtrace', 'linux')).toThrow(/Oracle's DTrace for Linux cannot do/);
    try {
      needsFollow({ ...all, follow: 'on' }, 'dtrace', 'linux');
    } catch (err) {
      expect((err as { exitCode?: number }).exitCode).toBe(2);
    }
  });
  it('is never needed by bpftrace, whose uprobes cover every process', () => {
    expect(needsFollow(all, 'bpftrace', 'linux')).toBe(false);
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURE_BIN, fill, printed, rec, waitForText, type Step } from './helpers.ts';

const HARNESS = fileURLToPath(new URL('./cli-harness.ts', import.meta.url));
// tsx from this package, whatever the cwd of the child.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

interface Run {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  dir: string;
  cwd: string;
}

function start(args: string[], steps: Step[], env: Record<string, string> = {}): Run {
  const cwd = mkdtempSync(join(tmpdir(), 'loadtrace-proc-'));
  const stepsFile = join(cwd, 'steps.json');
  writeFileSync(stepsFile, JSON.stringify(steps));
  const dir = join(cwd, 'cap');
  const child = spawn(process.execPath, ['--import', TSX, HARNESS, ...args.map((a) => a.replace('{{OUT}}', dir))], {
    cwd,
    env: { ...process.env, PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH}`, FAKE_TRACER_STEPS: stepsFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) =>
    child.on('close', (code) => res({ code, stdout, stderr })),
  );
  return { child, done, dir, cwd };
}

const BEGIN = rec('begin', ['an0840', 'linux', 'bpftrace']);
const TRAILER = rec('trailer', ['records', '1']);

describe('capture as a process (real signals)', () => {
  it('SIGTERM to loadtrace: the tracer gets SIGINT, END output is kept, ending terminated, exit 0', async () => {
    const steps: Step[] = [{ onSigint: [{ stdout: TRAILER }] }, { stdout: BEGIN }, { wait: true }];
    const r = start(['capture', 'an0840', '--out', '{{OUT}}', '--log-level', 'warn'], steps);
    await waitForText(join(r.dir, 'stdout.raw'), '\tbegin\t', 20_000);
    r.child.kill('SIGTERM');
    const res = await r.done;
    expect(res.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(r.dir, 'meta.json'), 'utf8'));
    expect(meta.ending).toBe('terminated');
    expect(meta.tracer.backend).toBe('bpftrace');
    expect(meta.sip.state).toBe('n/a');
    expect(readFileSync(join(r.dir, 'stdout.raw'), 'utf8')).toBe(fill(printed(steps, 'stdout', true), meta.nonce, meta.tracer.pid));
    expect(readdirSync(r.dir).sort()).toEqual(['meta.json', 'script.bt', 'stderr.raw', 'stdout.raw']);
  });

  it('Ctrl-C twice while the tracer ignores SIGINT: killed, exit 130, output kept', async () => {
    const steps: Step[] = [{ sigint: 'ignore' }, { stdout: BEGIN }, { wait: true }];
    const r = start(['capture', '--backend', 'dtrace', '--follow', 'off', '--out', '{{OUT}}', '--log-level', 'warn'], steps);
    await waitForText(join(r.dir, 'stdout.raw'), '\tbegin\t', 20_000);
    r.child.kill('SIGINT');
    await new Promise((res) => setTimeout(res, 200));
    r.child.kill('SIGINT');
    const res = await r.done;
    expect(res.code).toBe(130);
    const meta = JSON.parse(readFileSync(join(r.dir, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ ending: 'killed', exitCode: 130, exit: { signal: 'SIGKILL' } });
    expect(readFileSync(join(r.dir, 'stdout.raw'), 'utf8')).toBe(fill(BEGIN, meta.nonce, meta.tracer.pid));
  });

  it('the command after -- becomes the -c target; the default folder is ./captures/<tool>-<time>', async () => {
    const steps: Step[] = [{ stdout: BEGIN }, { exit: 0 }];
    const argvLog = join(tmpdir(), `argv-${process.pid}-${Date.now()}.jsonl`);
    // `ls` as a shell finds it on PATH, symlinks resolved: one path however /bin and /usr/bin are linked.
    const ls = realpathSync(execFileSync('sh', ['-c', 'command -v ls'], { encoding: 'utf8' }).trim());
    const r = start(['capture', 'dlsnoop', '--log-level', 'warn', '--', 'ls', 'a', '-x'], steps, { FAKE_TRACER_ARGV: argvLog });
    const res = await r.done;
    expect(res.code).toBe(0);
    const folders = readdirSync(join(r.cwd, 'captures'));
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatch(/^dlsnoop-\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{6}$/);
    const meta = JSON.parse(readFileSync(join(r.cwd, 'captures', folders[0]!, 'meta.json'), 'utf8'));
    expect(meta.target).toEqual({ kind: 'command', command: [ls, 'a', '-x'] });
    expect(meta.tool).toBe('dlsnoop');
    const argv = JSON.parse(readFileSync(argvLog, 'utf8').trim().split('\n').pop()!).args;
    expect(argv.slice(argv.indexOf('-c'), argv.indexOf('-c') + 2)).toEqual(['-c', `${ls} a -x`]);
  });

  it('a command that is not found or not executable exits 127 before any tracer starts, with no capture folder', async () => {
    const missing = await start(['capture', '-c', '/nonexistent/prog'], []).done;
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('command not found: /nonexistent/prog: no such file');
    const run = start(['capture', '--', 'no-such-command-here'], []);
    const onPath = await run.done;
    expect(onPath.code).toBe(127);
    expect(onPath.stderr).toContain('command not found: no-such-command-here: not found on PATH');
    expect(existsSync(join(run.cwd, 'captures'))).toBe(false);
  });

  it('usage errors exit 2 with a clear message', async () => {
    const both = await start(['capture', '-p', '12', '-n', 'x'], []).done;
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('choose one target');
    const stray = await start(['capture', 'an0840', 'extra'], []).done;
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('put the command to trace after --');
    const thr = await start(['capture', '--drop-threshold', 'lots'], []).done;
    expect(thr.code).toBe(2);
    expect(thr.stderr).toContain('--drop-threshold');
  });

  it('--print-script prints the script and runs nothing', async () => {
    const argvLog = join(tmpdir(), `argv-ps-${process.pid}-${Date.now()}.jsonl`);
    const res = await start(['capture', 'an0840', '--print-script', '--backend', 'dtrace'], [], { FAKE_TRACER_ARGV: argvLog }).done;
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^#pragma D option quiet\ninline string LT_NONCE = "[0-9a-f]{16}";/);
    expect(() => readFileSync(argvLog)).toThrow();
  });

});

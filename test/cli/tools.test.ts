import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/exit.ts';
import { registerToolsCommands } from '../../src/cli/tools.ts';
import { TOOLS, generate } from '../../src/generate/index.ts';

function runCli(args: string[], platform?: NodeJS.Platform): { stdout: string; stderr: string; code: number | undefined } {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  process.exitCode = undefined;
  try {
    const program = new Command('loadtrace').exitOverride();
    registerToolsCommands(program, platform);
    for (const c of program.commands) c.exitOverride();
    try {
      program.parse(['node', 'loadtrace', ...args]);
    } catch (e) {
      // As src/cli/main.ts does: a bad option value (CliError) is printed with its exit code,
      // and a commander usage error ends with exit code 2.
      if (e instanceof CliError) {
        process.stderr.write(`loadtrace: ${e.message}\n`);
        process.exitCode = e.exitCode;
      } else if (e instanceof CommanderError) process.exitCode = 2;
      else throw e;
    }
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : undefined;
  process.exitCode = undefined;
  return { stdout, stderr, code };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('generate picks the backend capture would use', () => {
  it('bpftrace on Linux and dtrace on macOS, as defaultBackend says; --os defaults to the host', () => {
    const linux = runCli(['generate', 'dlsnoop', '--nonce', '0123456789abcdef'], 'linux');
    expect(linux.code).toBeUndefined();
    expect(linux.stderr).toMatch(/^run: (\S+=\S+ )*bpftrace /m);
    expect(linux.stdout).toContain('uprobe:');
    const mac = runCli(['generate', 'dlsnoop', '--nonce', '0123456789abcdef'], 'darwin');
    expect(mac.stderr).toMatch(/^run: dtrace /m);
    expect(mac.stdout).toBe(generate({ tool: 'dlsnoop', backend: 'dtrace', target: { kind: 'all' }, os: 'darwin', nonce: '0123456789abcdef' }).script);
    const dOnLinux = runCli(['generate', 'dlsnoop', '--backend', 'dtrace', '--nonce', '0123456789abcdef'], 'linux');
    expect(dOnLinux.stdout).toBe(generate({ tool: 'dlsnoop', backend: 'dtrace', target: { kind: 'all' }, os: 'linux', nonce: '0123456789abcdef' }).script);
  });
});

describe('loadtrace tools / generate', () => {
  it('lists one line per tool', () => {
    const { stdout } = runCli(['tools']);
    expect(stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(TOOLS.map((t) => t.name));
  });

  it('prints the same script as the API, with the command line on stderr', () => {
    const { stdout, stderr, code } = runCli(['generate', 'rwxsnoop', '-p', '42', '--nonce', '0123456789abcdef', '--ustack', '--duration', '5', '--backend', 'dtrace', '--os', 'darwin']);
    expect(code).toBeUndefined();
    const api = generate({ tool: 'rwxsnoop', backend: 'dtrace', target: { kind: 'pid', pid: 42 }, nonce: '0123456789abcdef', options: { ustack: true, duration: 5 } });
    expect(stdout).toBe(api.script);
    expect(stderr).toContain('run: dtrace -q -Z -s rwxsnoop.d -p 42');
  });

  it('writes a D script for this system unless --os says otherwise', () => {
    const host = process.platform === 'linux' ? 'linux' : 'darwin';
    const { stdout, code } = runCli(['generate', 'rwxsnoop', '-p', '42', '--nonce', '0123456789abcdef', '--backend', 'dtrace']);
    expect(code).toBeUndefined();
    expect(stdout).toContain(`inline string LT_OS = "${host}";`);
    const linux = runCli(['generate', 'rwxsnoop', '-p', '42', '--nonce', '0123456789abcdef', '--backend', 'dtrace', '--os', 'linux']);
    expect(linux.stdout).toContain('inline int LT_MAP_ANON = 0x20;');
    expect(linux.stdout).toContain('syscall::memfd_create:entry');
    const darwin = runCli(['generate', 'rwxsnoop', '-p', '42', '--nonce', '0123456789abcdef', '--backend', 'dtrace', '--os', 'darwin']);
    expect(darwin.stdout).toContain('inline int LT_MAP_ANON = 0x1000;');
    expect(darwin.stdout).not.toContain('syscall::memfd_create:entry');
  });

  it('writes -o FILE and prints the bpftrace command with its environment', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lt-cli-')), 'x.bt');
    const { stderr, code } = runCli(['generate', 'procsnoop', '--backend', 'bpftrace', '-c', './a b', '-o', file, '--nonce', '0123456789abcdef']);
    expect(code).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toContain('#define LT_PID cpid');
    expect(stderr).toMatch(/BPFTRACE_STRLEN=112 BPFTRACE_MAP_KEYS_MAX=65536 bpftrace -c '\.\/a b' /);
  });

  it('the run: line names a -c command found here by its one real path (bpftrace refuses a bare name matching two files)', () => {
    const ls = realpathSync(execFileSync('sh', ['-c', 'command -v ls'], { encoding: 'utf8' }).trim());
    const { stderr, code } = runCli(['generate', 'dlsnoop', '--backend', 'bpftrace', '-c', 'ls -l', '--nonce', '0123456789abcdef']);
    expect(code).toBeUndefined();
    expect(stderr).toContain(`-c '${ls} -l'`);
  });

  it('splits -c as capture -c does: quotes and backslashes make one word', () => {
    const { stderr, code } = runCli(['generate', 'dlsnoop', '-c', `./prog "--x=1" 'y'z \\q`, '--nonce', '0123456789abcdef']);
    expect(code).toBeUndefined();
    expect(stderr).toContain("-c './prog --x=1 yz q'");
  });

  it.each([
    [['generate', 'nosuchtool'], /unknown tool "nosuchtool"/],
    [['generate', 'rwxsnoop', '-p', 'abc'], /--pid must be an integer/],
    [['generate', 'rwxsnoop', '-p', '1', '-n', 'x'], /choose one target: -p PID, -c CMD, or -n NAME/],
    [['generate', 'rwxsnoop', '--bufsize', '4x'], /bufsize: a size such as/],
    [['generate', 'rwxsnoop', '-n', 'a\nb'], /control character \(newline\)/],
    [['generate', 'rwxsnoop', '--nonce', 'xyz'], /nonce must be 16/],
    [['generate', 'rwxsnoop', '-c', "./a 'b"], /-c: unbalanced '/],
  ])('%j fails with a clear message and exit code 2', (args, message) => {
    const { stderr, code } = runCli(args);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });
});

describe('the note on dlopen/dlsym in system-wide D scripts', () => {
  it('points macOS users to follow mode, and Linux users to -p or -c, where follow mode cannot run', () => {
    const note = (os: 'darwin' | 'linux') =>
      generate({ tool: 'an0840', backend: 'dtrace', target: { kind: 'all' }, nonce: '0123456789abcdef', os }).notes.join('\n');
    expect(note('darwin')).toContain('Use follow mode (generateFollow)');
    expect(note('linux')).not.toContain('Use follow mode');
    expect(note('linux')).toContain('trace a process with -p or -c for its dlopen/dlsym');
  });
});

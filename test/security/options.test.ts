/**
 * The command line reaches a script that runs as root. Every option is
 * validated, then enters the script only as a typed constant of the prologue;
 * user text becomes an escaped string literal or is refused. Driven through
 * the real `capture --print-script` command, in process.
 */
import { Command } from 'commander';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { registerCaptureCommands } from '../../src/cli/capture.ts';
import type { FollowGenerateFn, GenerateFn } from '../../src/capture/ports.ts';
import { generate, generateFollow } from '../../src/generate/index.ts';

/** Run `loadtrace capture ARGS --print-script`; the script, or the error the CLI exits with. */
async function printScript(args: string[]): Promise<{ script: string; error: (Error & { exitCode?: number }) | null }> {
  let script = '';
  const stdout = new Writable({
    write(chunk, _enc, cb) {
      script += String(chunk);
      cb();
    },
  });
  const program = new Command('loadtrace').exitOverride();
  registerCaptureCommands(program, {
    loadGenerate: async () => ({ generate: generate as unknown as GenerateFn, generateFollow: generateFollow as unknown as FollowGenerateFn }),
    loadAnalysis: async () => null,
    capture: { stdout, stderrIsTTY: false },
  });
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(['node', 'loadtrace', 'capture', '--print-script', ...args]);
    return { script, error: null };
  } catch (err) {
    return { script, error: err as Error & { exitCode?: number } };
  }
}

/** The value of a D `inline string NAME = "…";` or bpftrace `#define NAME "…"`, literal escapes decoded to bytes. */
function literal(script: string, name: string): Buffer {
  const m = new RegExp(`(?:inline string ${name} = |#define ${name} )"((?:[^"\\\\]|\\\\.)*)"`).exec(script);
  if (!m) throw new Error(`${name} not found`);
  const bytes: number[] = [];
  const s = m[1]!;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      bytes.push(s.charCodeAt(i));
      continue;
    }
    const n = s[i + 1]!;
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes);
}

const HOSTILE_NAMES = [
  'x"); system("id"); /*',
  'a*/ BEGIN { exit(); } /*b',
  "it's \\\"quoted\\\"",
  '#define LT_ALL 1',
  '$(id)`id`',
  'naïve-日本',
];

describe('options that reach the script', () => {
  for (const backend of ['dtrace', 'bpftrace'] as const) {
    it(`${backend}: a hostile -n name is one string literal, byte for byte, and nothing else in the script`, async () => {
      for (const name of HOSTILE_NAMES) {
        const { script, error } = await printScript(['--backend', backend, '-n', name]);
        expect(error).toBeNull();
        const expected = backend === 'bpftrace' ? Buffer.from(Buffer.from(name).subarray(0, 15).toString('utf8')) : Buffer.from(name);
        expect(literal(script, 'LT_NAME').equals(expected), name).toBe(true);
        // No second definition smuggled in, and text that could close the literal or open a comment is never raw.
        for (const c of ['LT_NAME', 'LT_ALL']) expect(script.match(new RegExp(`^(inline (int|string) ${c} =|#define ${c} )`, 'gm'))?.length, `${name}: ${c}`).toBe(1);
        if (/["*/\\]/.test(name)) expect(script.includes(name), name).toBe(false);
      }
    });
  }

  it('a name with a control character (newline, tab, NUL, ESC) is refused, not escaped', async () => {
    for (const name of ['a\nBEGIN { exit(); }', 'a\tb', 'a\u0000b', 'a\u001bb', 'a\u007fb']) {
      const { error } = await printScript(['--backend', 'dtrace', '-n', name]);
      expect(error?.exitCode, JSON.stringify(name)).toBe(2);
      expect(error?.message).toMatch(/control character/);
    }
  });

  it('typed options refuse anything but their type: sizes, rates, strsize, uid, pid', async () => {
    const bad: string[][] = [
      ['--bufsize', '4m; destructive'],
      ['--bufsize', '4m\n#pragma D option destructive'],
      ['--switchrate', '10hz" -w'],
      ['--dynvarsize', '$(id)'],
      ['--strsize', '99999'],
      ['--strsize', '12abc'],
      ['--uid', '-1'],
      ['--uid', '0 || 1'],
      ['-p', '1; id'],
      ['-p', '0'],
    ];
    for (const args of bad) {
      const { error, script } = await printScript(['--backend', 'dtrace', ...args]);
      expect(error?.exitCode, args.join(' ')).toBe(2);
      expect(script).toBe('');
    }
  });

  it('valid typed options appear only as prologue constants and pragmas', async () => {
    const { script, error } = await printScript(['--backend', 'dtrace', '--bufsize', '16m', '--switchrate', '100hz', '--uid', '501', '--strsize', '512']);
    expect(error).toBeNull();
    expect(script).toContain('#pragma D option bufsize=16m');
    expect(script).toContain('#pragma D option switchrate=100hz');
    expect(script).toContain('inline int LT_UID = 501;');
    expect(script).toContain('inline int LT_STRSIZE = 512;');
  });

  it('a -c command word the tracer would split on whitespace is refused, never passed on changed', async () => {
    // A program that exists, so that it is found (-c resolves it first) and reaches the check.
    const spaced = join(mkdtempSync(join(tmpdir(), 'loadtrace-sp-')), 'a b');
    copyFileSync('/bin/echo', spaced);
    chmodSync(spaced, 0o755);
    for (const cmd of [`"${spaced}"`, "'/bin/echo' 'x y'", '/bin/echo "a\tb"']) {
      const { error } = await printScript(['--backend', 'bpftrace', '-c', cmd]);
      expect(error?.exitCode, cmd).toBe(2);
      expect(error?.message).toMatch(/whitespace|control character/);
    }
  });
});

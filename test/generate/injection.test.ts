import { describe, expect, it } from 'vitest';
import { GenerateError, generate, generateFollow, type Backend } from '../../src/generate/index.ts';
import { fillSlots } from '../../src/generate/compose.ts';
import { stringLiteral } from '../../src/generate/literals.ts';
import { LIBC, NONCE } from './helpers/cases.ts';
import { checkD } from './helpers/dcheck.ts';

const EVIL = [
  'a"b',
  'back\\slash',
  'end */ comment',
  '} BEGIN { system("id"); }',
  '" ); exit(0); /*',
  'inline',
  'self->x',
  '$target',
  'héllo wörld',
  '\\x41',
];

// The line of the prologue that carries the name, and the script with that line blanked:
// what must stay identical to a benign name's script.
function nameLine(script: string, backend: Backend): string {
  const re = backend === 'dtrace' ? /^inline string LT_NAME = .*$/m : /^#define LT_NAME .*$/m;
  return re.exec(script)![0];
}
function withoutName(script: string, backend: Backend): string {
  const re = backend === 'dtrace' ? /^inline string LT_NAME = .*$/m : /^#define LT_NAME .*$/m;
  return script.replace(re, 'LT_NAME');
}

/** Read a C-style string literal back into bytes, as D's and bpftrace's lexers do. */
function unescape(literal: string): string {
  expect(literal.startsWith('"') && literal.endsWith('"')).toBe(true);
  const body = literal.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '"') throw new Error(`unescaped quote in ${literal}`);
    if (ch !== '\\') {
      bytes.push(ch.charCodeAt(0));
      continue;
    }
    const next = body[++i]!;
    if (next === '\\' || next === '"') bytes.push(next.charCodeAt(0));
    else if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new Error(`unexpected escape \\${next}`);
  }
  return Buffer.from(bytes).toString('utf8');
}

describe('a process name reaches the script only as an escaped string literal', () => {
  for (const backend of ['dtrace', 'bpftrace'] as const) {
    const opts = backend === 'bpftrace' ? { libc: LIBC } : {};
    const benign = generate({ tool: 'an0840', backend, target: { kind: 'name', name: 'benign' }, nonce: NONCE, options: opts });
    it.each(EVIL)(`${backend}: %j leaves every clause unchanged`, (name) => {
      const r = generate({ tool: 'an0840', backend, target: { kind: 'name', name }, nonce: NONCE, options: opts });
      expect(withoutName(r.script, backend)).toBe(withoutName(benign.script, backend));
      const literal = nameLine(r.script, backend).replace(/^(inline string LT_NAME = |#define LT_NAME )/, '').replace(/;$/, '');
      const expected = backend === 'bpftrace' ? Buffer.from(name).subarray(0, 15).toString('utf8') : name;
      expect(unescape(literal)).toBe(expected);
      if (backend === 'dtrace') expect(checkD(r.script).problems).toEqual([]);
    });
  }

  it.each(['new\nline', 'nul\0byte', 'tab\there', 'cr\rhere', 'del\x7f', 'esc\x1b[0m'])('refuses control characters: %j', (name) => {
    expect(() => generate({ tool: 'procsnoop', backend: 'dtrace', target: { kind: 'name', name }, nonce: NONCE })).toThrow(
      /process name contains a control character .* at offset \d+/,
    );
  });

  it('escapes quotes, backslashes and non-ASCII bytes as octal', () => {
    expect(stringLiteral('x', 'a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(stringLiteral('x', 'é')).toBe('"\\303\\251"');
  });
});

describe('other inputs', () => {
  it('refuses command words the tracer would split', () => {
    expect(() =>
      generate({ tool: 'procsnoop', backend: 'dtrace', target: { kind: 'command', command: ['/bin/sh', '-c', 'echo hi'] } }),
    ).toThrow(/command word 3 .* whitespace/);
  });
  it('passes quotes in command words through argv, never into the script', () => {
    const r = generate({ tool: 'procsnoop', backend: 'dtrace', target: { kind: 'command', command: ['./x', 'a"b'] }, nonce: NONCE });
    expect(r.tracerArgs.slice(-2)).toEqual(['-c', './x a"b']);
    expect(r.script).not.toContain('a"b');
  });
  it.each(['/lib/libc.so.6:dlopen', '/lib/x y.so', 'relative/libc.so', '/lib/../etc/passwd', '/lib/"x'])(
    'refuses a libc path that could change the probe: %j',
    (libc) => {
      expect(() => generate({ tool: 'dlsnoop', backend: 'bpftrace', target: { kind: 'all' }, options: { libc } })).toThrow(GenerateError);
    },
  );
  it('fills only known typed slots', () => {
    expect(fillSlots('profile-${hz}', { hz: 99 })).toBe('profile-99');
    expect(() => fillSlots('profile-${hz}', { hz: 1.5 })).toThrow(/integer frequency/);
    expect(() => fillSlots('x ${cmd}', {})).toThrow(/unknown template slot/);
  });
  it.each([
    [{ uid: -1 }, 'uid'],
    [{ bufsize: '4m; system("id")' }, 'bufsize'],
    [{ switchrate: '10hz\n#pragma D option destructive' }, 'switchrate'],
    [{ dynvarsize: '0' }, 'dynvarsize'],
    [{ strsize: 8 }, 'strsize'],
    [{ sampleHz: 0 }, 'sampleHz'],
    [{ bogus: 1 }, 'options'],
  ])('refuses bad option %j', (options, name) => {
    expect(() => generate({ tool: 'rwxsnoop', backend: 'dtrace', target: { kind: 'all' }, options: options as never })).toThrow(
      new RegExp(`invalid options: .*${name}`),
    );
  });
  it('refuses a malformed nonce', () => {
    expect(() => generate({ tool: 'rwxsnoop', backend: 'dtrace', target: { kind: 'all' }, nonce: 'ABC"' })).toThrow(/nonce must be 16/);
  });
  it('refuses a too long bpftrace strsize', () => {
    expect(() => generate({ tool: 'rwxsnoop', backend: 'bpftrace', target: { kind: 'all' }, options: { strsize: 200 } })).toThrow(
      /512-byte BPF stack/,
    );
  });
  it('follow mode takes only name or all, and never watches dtrace', () => {
    expect(() => generateFollow({ target: { kind: 'pid', pid: 1 } as never })).toThrow(/name or all/);
    expect(() => generateFollow({ target: { kind: 'name', name: 'dtrace' } })).toThrow(/dtrace itself/);
  });
});

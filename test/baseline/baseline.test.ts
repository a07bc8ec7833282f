import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  BaselineError,
  compileBaseline,
  defaultBaselinePath,
  diffBaselines,
  escapeGlob,
  formatDiff,
  loadBaseline,
  loadDefaultBaseline,
  mergeBaselines,
  parseBaseline,
  validateBaseline,
  type Baseline,
} from '../../src/baseline/index.ts';
import { registerBaselineCommands } from '../../src/cli/baseline.ts';
import { runEngine } from '../../src/engine/index.ts';
import { parseText } from '../../src/parse/index.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { learnBaseline, learnSource, LearnLossError } from '../../src/pipeline/learn.ts';
import { NONCE, TraceBuilder } from '../fixtures/rules/builder.ts';
import { FIXTURES } from '../fixtures/rules/make-fixtures.ts';
import { makeDemo } from '../fixtures/demo/make-demo.ts';
import { signature } from '../rules/helpers.ts';

const good = { version: 1, entries: [{ match: { name: 'node' }, jit: true, note: 'V8' }] };

function errorOf(f: () => unknown): BaselineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BaselineError);
    return e as BaselineError;
  }
  throw new Error('did not throw');
}

describe('baseline loading', () => {
  it('accepts a valid baseline', () => {
    expect(validateBaseline(good, 'x.json').entries[0]!.jit).toBe(true);
  });

  it('names the file and the JSON path of the bad value', () => {
    const bad = { version: 1, entries: [good.entries[0], good.entries[0], good.entries[0], { match: { name: 'x' }, note: 'n', dlopen: { allowed: true, libraries: [3] } }] };
    const e = errorOf(() => validateBaseline(bad, 'baselines/x.json'));
    expect(e.message).toMatchInlineSnapshot(`"baselines/x.json: entries[3].dlopen.libraries[0]: expected string, received number"`);
    expect(e.name).toBe('BaselineError');
    expect(e.cause).toBeDefined();
  });

  it('rejects unknown keys, wrong versions, empty matches and missing notes', () => {
    expect(errorOf(() => validateBaseline({ version: 2, entries: [] }, 'a.json')).message).toMatch(/^a\.json: version: expected 1/);
    expect(errorOf(() => validateBaseline({ version: 1, entries: [{ match: {}, note: 'n' }] }, 'a.json')).message).toContain('entries[0].match: expected at least one of');
    expect(errorOf(() => validateBaseline({ version: 1, entries: [{ match: { name: 'x' } }] }, 'a.json')).message).toContain('entries[0].note');
    expect(errorOf(() => validateBaseline({ version: 1, entries: [{ match: { name: 'x' }, note: 'n', jitt: true }] }, 'a.json')).message).toContain('entries[0]: Unrecognized key');
  });

  it('checks exception shapes', () => {
    const ex = { name: 'e', fields: ['rule', 'lib.path'], comps: ['=', 'in'], values: [['LT-001', '/x']] };
    const e = errorOf(() => validateBaseline({ version: 1, entries: [], exceptions: [ex] }, 'a.json'));
    expect(e.message).toBe("a.json: exceptions[0].values[0][1]: expected a list of strings for operator 'in'");
  });

  it('rejects prototype-pollution keys', () => {
    const text = '{"version":1,"entries":[{"match":{"name":"x"},"note":"n","__proto__":{"polluted":true}}]}';
    expect(errorOf(() => parseBaseline(text, 'p.json')).message).toBe("p.json: entries[0].__proto__: forbidden key '__proto__'");
    expect(errorOf(() => parseBaseline('{"version":1,"entries":[],"constructor":{}}', 'p.json')).message).toContain("forbidden key 'constructor'");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports unreadable files and bad JSON with the file name', () => {
    expect(errorOf(() => loadBaseline('/nonexistent/b.json')).message).toMatch(/^\/nonexistent\/b\.json: cannot read/);
    expect(errorOf(() => parseBaseline('{', 'b.json')).message).toMatch(/^b\.json: invalid JSON/);
  });

  it('the shipped baselines are valid and every entry says why', () => {
    for (const os of ['darwin', 'linux'] as const) {
      const b = loadBaseline(defaultBaselinePath(os));
      expect(b.entries.length).toBeGreaterThan(5);
      for (const e of b.entries) expect(e.note.length).toBeGreaterThan(20);
      const ids = b.entries.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('the macOS baseline knows browsers, JITs and developer tools by their process names', () => {
    const c = compileBaseline(loadBaseline(defaultBaselinePath('darwin')));
    const m = (name: string) => c.matchProcess({ name, path: null, pname: null }).map((e) => e.label);
    expect(m('com.apple.WebKit.WebContent')).toEqual(['safari-webcontent']);
    expect(m('Google Chrome Helper (Renderer)')).toContain('chrome-helpers');
    expect(m('Slack Helper (Renderer)')).toEqual(['electron-renderer']);
    expect(m('Slack Helper (GPU)')).toEqual(['electron-gpu-plugin']);
    expect(m('Slack Helper')).toEqual([]);
    expect(m('lldb-rpc-server')).toEqual(['lldb']);
    expect(m('osascript')).toEqual(['osascript']);
    expect(m('Finder')).toEqual([]);
  });

  it('matches truncated process names and escaped literal globs', () => {
    const c = compileBaseline({ version: 1, entries: [{ match: { name: 'Isolated Web Content' }, note: 'n' }, { match: { path: escapeGlob('/Apps/A (1)/b[2]') }, note: 'n' }] });
    expect(c.matchProcess({ name: 'Isolated Web Co', path: null, pname: null })).toHaveLength(1);
    expect(c.matchProcess({ name: 'Isolated', path: null, pname: null })).toHaveLength(0);
    expect(c.matchProcess({ name: 'x', path: '/Apps/A (1)/b[2]', pname: null })).toHaveLength(1);
    expect(c.matchProcess({ name: 'x', path: '/Apps/A 1/b2', pname: null })).toHaveLength(0);
  });

  it('a process renamed at run time is matched by the executable its exec record named', () => {
    const c = compileBaseline({ version: 1, entries: [{ id: 'node', match: { name: 'node' }, jit: true, note: 'n' }] });
    // node sets its comm through process.title; the exec record said /usr/bin/node.
    expect(c.matchProcess({ name: 'npm exec demo', path: '/usr/bin/node', pname: null }).map((e) => e.label)).toEqual(['node']);
    // Started before tracing began: only the name is known, and it is not node's.
    expect(c.matchProcess({ name: 'npm exec demo', path: null, pname: null })).toEqual([]);
    expect(c.matchProcess({ name: 'node', path: null, pname: null }).map((e) => e.label)).toEqual(['node']);
    expect(c.matchProcess({ name: 'npm exec demo', path: '/usr/bin/python3', pname: null })).toEqual([]);
  });

  it('never matches match.path against a relative exec path, and refuses relative path globs', () => {
    const c = compileBaseline({ version: 1, entries: [{ match: { path: '**/prog' }, rwx: true, note: 'n' }] });
    expect(c.matchProcess({ name: 'prog', path: '/opt/x/prog', pname: null })).toHaveLength(1);
    expect(c.matchProcess({ name: 'prog', path: './prog', pname: null })).toHaveLength(0);
    expect(c.matchProcess({ name: 'prog', path: 'bin/prog', pname: null })).toHaveLength(0);
    for (const path of ['./prog', '../bin/prog', 'prog', 'bin/prog']) {
      const e = errorOf(() => validateBaseline({ version: 1, entries: [{ match: { path }, note: 'n' }] }, 'a.json'));
      expect(e.message, path).toContain('entries[0].match.path: expected an absolute path glob');
    }
    for (const path of ['/usr/bin/node', '**/bin/node', '{/usr,/opt}/bin/node']) {
      expect(validateBaseline({ version: 1, entries: [{ match: { path }, note: 'n' }] }, 'a.json').entries).toHaveLength(1);
    }
  });

  it('judges a bare soname by soname globs only, and never lets a soname glob vouch for a path', () => {
    const c = compileBaseline({ version: 1, entries: [{ id: 'py', match: { name: 'python3' }, dlopen: { allowed: true, libraries: ['/usr/**', '**/*.node', 'libm.so.*'] }, note: 'n' }] });
    const proc = { name: 'python3', path: '/usr/bin/python3', pname: null };
    const m = c.matchProcess(proc);
    const rule = { id: 'LT-001', name: 'atypical-loader' } as Parameters<typeof c.verdict>[2];
    const v = (lib: string, explicit = false) => c.verdict(m, proc, rule, 'dlopen', { 'lib.path': lib }, { explicit }).expected;
    expect(v('libm.so.6')).toBe(true);
    expect(v('libm.so.6', true)).toBe(true);
    // A path glob cannot say where a bare soname resolved.
    expect(v('libcrypto.so.3')).toBe(false);
    // `**/*.node` would match the bare name evil.node as a glob; it is a path glob, so it does not.
    expect(v('evil.node')).toBe(false);
    expect(v('evil.node', true)).toBe(false);
    expect(v('/srv/app/build/addon.node')).toBe(true);
    // A soname glob does not match a path, even one whose last component it matches.
    expect(v('/tmp/libm.so.6')).toBe(false);
    expect(v('/tmp/libm.so.6', true)).toBe(false);
    expect(v('/usr/lib/x86_64-linux-gnu/libm.so.6')).toBe(true);
  });

  it('entries needing signing identities never match yet', () => {
    const c = compileBaseline({ version: 1, entries: [{ match: { name: 'x', teamId: 'ABCDE12345' }, note: 'n' }] });
    expect(c.matchProcess({ name: 'x', path: null, pname: null })).toHaveLength(0);
  });
});

async function eventsOf(text: string): Promise<TraceEvent[]> {
  return (await parseText(text, { nonce: NONCE })).events;
}

/** Trace text as an input of the learning pipeline. */
function bytes(text: string): Buffer {
  return Buffer.from(text);
}

describe('learning', () => {
  it('a trace learned as a baseline gives no findings against it; one added behaviour gives exactly that finding', async () => {
    const traces = [...Object.values(FIXTURES).map((m) => m()), makeDemo()];
    for (const text of traces) {
      const events = await eventsOf(text);
      // The demo capture reports drops: learning from it has to be asked for.
      const learned = await learnBaseline([bytes(text)], { allowLoss: true });
      const before = runEngine(events, [], { baseline: { version: 1, entries: [] } });
      const after = runEngine(events, [], { baseline: learned });
      expect(signature(after), text.slice(0, 200)).toEqual([]);
      if (before.findings.length > 0) expect(learned.entries.length).toBeGreaterThan(0);
    }
    // The same behaviour plus one atypical dlsym by a learned process.
    const base = makeDemo();
    const learned = await learnBaseline([bytes(base)], { allowLoss: true });
    const extra = new TraceBuilder('darwin', 1_767_225_700_000_000_000n)
      .rec({ pid: 710, ppid: 650, uid: 501, comm: 'updater' }, 'exec', { path: '/private/tmp/.u/updater' })
      .rec({ pid: 710, ppid: 650, uid: 501, comm: 'updater' }, 'dlsym', { handle: 0xfffffffffffffffen, symbol: 'task_for_pid', ret: 0x18c000000 })
      .text();
    const events = [...(await eventsOf(base)), ...(await eventsOf(extra))];
    const r = runEngine(events, [], { baseline: learned });
    expect(signature(r)).toEqual(['LT-002:high']);
    expect(r.findings[0]!.baseline.reason).toMatch(/^entries\[\d+\] matches updater \(\/private\/tmp\/\.u\/updater\) but does not allow dlsym of task_for_pid$/);
  });

  it('refuses to learn a process started by a relative path, and says so', async () => {
    const prog = { pid: 800, ppid: 1, uid: 1000, comm: 'prog' };
    const text = new TraceBuilder('linux')
      .rec(prog, 'exec', { path: './prog' })
      .rec(prog, 'mmap', { addr: 0, len: 0x1000, prot: 7, flags: 0x22, fd: -1, off: 0, ret: 0x7f0000000000, err: 0 })
      .rec({ ...prog, pid: 801 }, 'exec', { path: '/opt/app/prog' })
      .rec({ ...prog, pid: 801 }, 'mmap', { addr: 0, len: 0x1000, prot: 7, flags: 0x22, fd: -1, off: 0, ret: 0x7f0000000000, err: 0 })
      .text();
    const events = await eventsOf(text);
    const skips: string[] = [];
    const learned = await learnBaseline([bytes(text)], { onSkip: (s) => skips.push(s.reason) });
    expect(learned.entries.map((e) => e.match)).toEqual([{ path: '/opt/app/prog' }]);
    expect(skips).toHaveLength(1);
    expect(skips[0]).toContain('relative path ./prog');
    // The relative-path process is still reported against what was learned.
    const r = runEngine(events, [], { baseline: learned });
    expect(r.findings.filter((f) => f.rule !== 'LT-100').map((f) => [f.process.pid, f.rule])).toEqual([[800, 'LT-004']]);
  });

  it('records learned counts and times, and merges into a base', async () => {
    const base: Baseline = { version: 1, entries: [{ match: { path: '/home/user/loader' }, note: 'hand-written', dlopen: { allowed: true } }] };
    const learned = await learnBaseline([bytes(FIXTURES['anon-exec.fire']!())], { base, note: 'lab capture 1' });
    expect(learned.entries).toHaveLength(1);
    expect(learned.entries[0]).toMatchObject({ note: 'hand-written; lab capture 1', dlopen: { allowed: true }, anonExec: true });
    expect(learned.entries[0]!.learned).toMatchObject({ counts: { anonExec: 3 }, firstSeen: '2026-01-01T00:00:00.008Z', inputs: 1 });
  });
});

describe('merge and diff', () => {
  const a: Baseline = { version: 1, entries: [{ match: { name: 'a' }, note: 'a', dlopen: { allowed: true, libraries: ['/x/**'] } }, { match: { name: 'gone' }, note: 'g' }] };
  const b: Baseline = { version: 1, entries: [{ match: { name: 'a' }, note: 'a', dlopen: { allowed: true, libraries: ['/y/**'] }, jit: true }, { match: { name: 'new' }, note: 'n' }] };

  it('merge unions what same-identity entries allow', () => {
    const m = mergeBaselines(a, b);
    expect(m.entries.map((e) => e.match.name)).toEqual(['a', 'gone', 'new']);
    expect(m.entries[0]).toMatchObject({ dlopen: { allowed: true, libraries: ['/x/**', '/y/**'] }, jit: true });
    const any = mergeBaselines(a, { version: 1, entries: [{ match: { name: 'a' }, note: 'a', dlopen: { allowed: true } }] });
    expect(any.entries[0]!.dlopen).toEqual({ allowed: true });
  });

  it('diff lists added, removed and changed entries', () => {
    const d = diffBaselines(a, b);
    expect(formatDiff(d)).toBe(
      ['+ name=new', '- name=gone', '~ name=a', '    dlopen: {"allowed":true,"libraries":["/x/**"]} -> {"allowed":true,"libraries":["/y/**"]}', '    jit: (absent) -> true'].join('\n'),
    );
    expect(formatDiff(diffBaselines(a, a))).toBe('');
  });
});

describe('baseline commands', () => {
  /** Run a baseline command; `inputs` gives the trace text of each input name learning is asked about. */
  function run(args: string[], inputs: (i: string) => string = () => '') {
    const out: string[] = [];
    const err: string[] = [];
    let code = -1;
    const program = new Command().exitOverride();
    const learnFrom = (input: string, o: { os?: 'darwin' | 'linux'; allowLoss?: boolean }) => learnSource(bytes(inputs(input)), o);
    registerBaselineCommands(program, { learnSource: learnFrom, out: (s) => out.push(s), err: (s) => err.push(s), setExitCode: (c) => (code = c) });
    return program.parseAsync(['node', 'loadtrace', ...args]).then(() => ({ out: out.join(''), err: err.join(''), code }));
  }
  const dir = mkdtempSync(join(tmpdir(), 'lt-baseline-'));
  const goodFile = join(dir, 'good.json');
  const badFile = join(dir, 'bad.json');
  writeFileSync(goodFile, JSON.stringify(good));
  writeFileSync(badFile, JSON.stringify({ version: 1, entries: [{ match: { name: 'x' }, note: 'n', rwx: 'yes' }] }));

  it('check: 0 when valid, 1 with the entry path when not', async () => {
    expect(await run(['baseline', 'check', goodFile])).toMatchObject({ code: 0, out: `${goodFile}: valid (1 entries)\n` });
    const bad = await run(['baseline', 'check', goodFile, badFile]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(`${badFile}: entries[0].rwx: expected boolean, received string\n`);
    expect((await run(['baseline', 'check', defaultBaselinePath('darwin'), defaultBaselinePath('linux')])).code).toBe(0);
  });

  it('learn warns about processes started by a relative path and leaves them out', async () => {
    const prog = { pid: 800, ppid: 1, uid: 1000, comm: 'prog' };
    const text = new TraceBuilder('linux')
      .rec(prog, 'exec', { path: './prog' })
      .rec(prog, 'mmap', { addr: 0, len: 0x1000, prot: 7, flags: 0x22, fd: -1, off: 0, ret: 0x7f0000000000, err: 0 })
      .text();
    const outFile = join(dir, 'relative.json');
    const r = await run(['baseline', 'learn', 'cap-rel', '--no-defaults', '-o', outFile], () => text);
    expect(r.code).toBe(0);
    expect(r.err).toBe('warning: cap-rel: process prog (pid 800) was started by the relative path ./prog: which file ran is unknown, so nothing it did is learned\n');
    expect(loadBaseline(outFile).entries).toEqual([]);
  });

  it('learn writes a valid baseline from injected inputs; show and diff read it', async () => {
    const outFile = join(dir, 'learned.json');
    const r = await run(['baseline', 'learn', 'cap1', '-o', outFile, '--no-defaults'], (input) => {
      expect(input).toBe('cap1');
      return FIXTURES['rwx-memory.fire']!();
    });
    expect(r).toMatchObject({ code: 0, out: `${outFile}: 1 entries\n` });
    const learned = loadBaseline(outFile);
    expect(learned.entries[0]).toMatchObject({ match: { path: '/Applications/Calc.app/Contents/MacOS/calc' }, rwx: true, jit: true });
    const shown = await run(['baseline', 'show', outFile]);
    expect(shown.out).toContain('expects: jit, rwx');
    const diff = await run(['baseline', 'diff', goodFile, outFile]);
    expect(diff.code).toBe(1);
    expect(diff.out).toContain('+ path=/Applications/Calc.app/Contents/MacOS/calc');
    expect((await run(['baseline', 'diff', outFile, outFile])).out).toBe('no differences\n');
    expect(JSON.parse(readFileSync(outFile, 'utf8')).version).toBe(1);
  });

  it('learn keeps the shipped baseline of the traces\' platform underneath and records the platform; show prints each match once', async () => {
    const events = await eventsOf(FIXTURES['rwx-memory.fire']!());
    const os = events.find((e) => e.kind === 'begin')!.os as 'darwin' | 'linux';
    const outFile = join(dir, 'learned-defaults.json');
    const r = await run(['baseline', 'learn', 'cap1', '-o', outFile], () => FIXTURES['rwx-memory.fire']!());
    expect(r.code).toBe(0);
    const shipped = loadDefaultBaseline(os);
    const learned = loadBaseline(outFile);
    expect(learned.os).toBe(os);
    expect(learned.entries.length).toBe(shipped.entries.length + 1);
    expect(r.out).toContain(`(learned entries merged into ${defaultBaselinePath(os)})`);
    const shown = await run(['baseline', 'show', outFile]);
    expect(shown.out).toContain('match path=/Applications/Calc.app/Contents/MacOS/calc');
    const withId = shipped.entries.find((e) => e.id !== undefined);
    if (withId) expect(shown.out.split(withId.id!).length - 1).toBe(1);
  });

  it('learn, show and diff errors exit 2 (bad input), check of an invalid baseline exits 1', async () => {
    expect((await run(['baseline', 'show', join(dir, 'missing.json')])).code).toBe(2);
    expect((await run(['baseline', 'learn', 'cap1', '-o', join(dir, 'x.json'), '--os', 'plan9'])).code).toBe(2);
    // An input that is no trace at all is bad input too.
    const notTrace = await run(['baseline', 'learn', 'cap1', '-o', join(dir, 'x.json')], () => 'hello\n');
    expect(notTrace).toMatchObject({ code: 2, err: 'loadtrace: trace bytes: not a loadtrace trace: no records\n' });
    expect((await run(['baseline', 'check', join(dir, 'missing.json')])).code).toBe(1);
  });
});

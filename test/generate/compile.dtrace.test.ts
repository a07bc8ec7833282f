/**
 * The compile gate: every D script loadtrace can generate, compiled by a real D compiler
 * (`dtrace -e`: parse, type-check, printf checks, no tracing). Oracle's DTrace for Linux
 * has the D front end Apple's dtrace is built from, so what it rejects a Mac rejects too.
 *
 * Every tool x target (-p, -c, -n, system-wide) x system (darwin, linux) is compiled with
 * the default options and with every option that changes the script text at once; every
 * such option is also compiled alone, for each tool on the -p target (the one with the
 * most clauses). Then the follow-mode watcher and its per-pid scripts, process names the
 * generator accepts however odd, the checked-in dtrace/*.d and the golden files.
 *
 * No -Z: macOS-only probes are swapped for stand-ins (helpers/standins.ts) so that a probe
 * description matching nothing on Linux fails the gate, except for the darwin scripts'
 * syscalls, which Linux names the same. -w only for the follow watcher (destructive).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  SCRIPT_PATH,
  TOOLS,
  generate,
  generateFollow,
  type GenerateResult,
  type Target,
  type ToolOptionsInput,
} from '../../src/generate/index.ts';
import { DTRACE_DIR } from '../../src/generate/compose.ts';
import { describeDtrace } from '../helpers/dtrace.ts';
import { NONCE } from './helpers/cases.ts';
import { withStandIns } from './helpers/standins.ts';

const TARGETS: Record<string, Target> = {
  pid: { kind: 'pid', pid: 4242 },
  command: { kind: 'command', command: ['/bin/true'] },
  name: { kind: 'name', name: 'Preview' },
  all: { kind: 'all' },
};

/** Each option that changes the script text, with a value unlike its default. */
const OPTIONS: Record<string, ToolOptionsInput> = {
  ustack: { ustack: true },
  unfiltered: { unfiltered: true },
  duration: { duration: 5 },
  uid: { uid: 501 },
  temporal: { temporal: true },
  strsize: { strsize: 1024 },
  sampleHz: { sampleHz: 49 },
  sampleLimit: { sampleLimit: 7 },
  bufsize: { bufsize: '8m' },
  switchrate: { switchrate: '100hz' },
  dynvarsize: { dynvarsize: '32m' },
};
const ALL_OPTIONS: ToolOptionsInput = Object.assign({}, ...Object.values(OPTIONS));

/** Names the generator accepts as a D string literal, each of which once broke a generator somewhere. */
const ODD_NAMES = ['a"b', 'back\\slash', 'end */ comment', '} BEGIN { system("id"); }', '" ); exit(0); /*', 'self->x', '$target', 'héllo wörld', '\\x41', '%s%n'];

interface Case {
  readonly id: string;
  readonly script: string;
  readonly destructive: boolean;
}

function fromResult(id: string, r: GenerateResult): Case {
  return { id, script: r.script, destructive: r.tracerArgs.includes('-w') };
}

function allCases(): Case[] {
  const out: Case[] = [];
  for (const os of ['darwin', 'linux'] as const) {
    for (const t of TOOLS) {
      for (const [mode, target] of Object.entries(TARGETS)) {
        const gen = (options: ToolOptionsInput) => generate({ tool: t.name, backend: 'dtrace', target, options, nonce: NONCE, os });
        out.push(fromResult(`${t.name} ${mode} ${os}`, gen({})));
        out.push(fromResult(`${t.name} ${mode} ${os} all-options`, gen(ALL_OPTIONS)));
        if (mode === 'pid') {
          for (const [name, o] of Object.entries(OPTIONS)) out.push(fromResult(`${t.name} ${mode} ${os} --${name}`, gen(o)));
        }
      }
      for (const name of ODD_NAMES) {
        out.push(fromResult(`${t.name} -n ${JSON.stringify(name)} ${os}`, generate({ tool: t.name, backend: 'dtrace', target: { kind: 'name', name }, nonce: NONCE, os })));
      }
    }
    for (const mode of ['name', 'all'] as const) {
      const target = TARGETS[mode] as Extract<Target, { kind: 'name' | 'all' }>;
      out.push(fromResult(`follow ${mode} ${os}`, generateFollow({ target, nonce: NONCE, os })));
      out.push(fromResult(`follow ${mode} ${os} all-options`, generateFollow({ target, nonce: NONCE, os, options: ALL_OPTIONS })));
      for (const [name, o] of Object.entries(OPTIONS)) {
        out.push(fromResult(`follow ${mode} ${os} --${name}`, generateFollow({ target, nonce: NONCE, os, options: o })));
      }
    }
    // The per-pid script follow mode attaches to each new process.
    out.push(fromResult(`follow per-pid dlsnoop ${os}`, generate({ tool: 'dlsnoop', backend: 'dtrace', target: { kind: 'pid', pid: 4242 }, nonce: NONCE, os })));
  }
  const files = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.d'))
      .map((f) => join(dir, f));
  for (const file of [...files(DTRACE_DIR), ...files(join(DTRACE_DIR, '..', 'test', 'generate', 'golden'))]) {
    const script = readFileSync(file, 'utf8');
    out.push({ id: file.slice(DTRACE_DIR.length - 'dtrace'.length), script, destructive: /\braise\s*\(/.test(script) });
  }
  return out;
}

/** One compile job per distinct script text; ids that share a text are listed together. */
function distinct(cases: readonly Case[]): { ids: string[]; script: string; destructive: boolean }[] {
  const byHash = new Map<string, { ids: string[]; script: string; destructive: boolean }>();
  for (const c of cases) {
    const h = createHash('sha256').update(c.script).digest('hex');
    const seen = byHash.get(h);
    if (seen) seen.ids.push(c.id);
    else byHash.set(h, { ids: [c.id], script: c.script, destructive: c.destructive });
  }
  return [...byHash.values()];
}

function compile(dtrace: string, file: string, script: string, destructive: boolean): Promise<{ code: number; stderr: string }> {
  const args = ['-e', '-q', ...(destructive ? ['-w'] : []), '-s', file, ...(/\$target\b/.test(script) ? ['-c', '/bin/true'] : [])];
  return new Promise((resolve) => {
    execFile(dtrace, args, { timeout: 120_000, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
    });
  });
}

const CASES = allCases();
const JOBS = distinct(CASES);

it('the gate covers every tool, target, system and option', () => {
  // 5 tools x 4 targets x 2 systems x (default + all options) + 11 single options on -p, the
  // odd names, follow mode and the files: the gate must not shrink without anyone noticing.
  expect(TOOLS.length).toBe(5);
  expect(CASES.length).toBeGreaterThanOrEqual(5 * 4 * 2 * 2 + 5 * 2 * 11 + 5 * 2 * ODD_NAMES.length + 2 * 2 * 13);
  expect(JOBS.length).toBeGreaterThan(200);
  expect(generate({ tool: 'an0840', backend: 'dtrace', target: TARGETS.pid!, nonce: NONCE }).tracerArgs).toContain(SCRIPT_PATH);
});

describeDtrace('every generated D script compiles under a real D compiler', (dtrace) => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtrace-dcompile-'));
  let compiled = 0;
  afterAll(() => {
    // The count the gate proves, for the CI log.
    process.stdout.write(`compile gate: ${compiled} of ${JOBS.length} distinct D scripts (${CASES.length} cases) compiled with ${dtrace}\n`);
  });
  it.concurrent.each(JOBS.map((j, i) => [j.ids[0]!, j, i] as const))('%s', async (_id, job, i) => {
    const file = join(dir, `s${i}.d`);
    writeFileSync(file, withStandIns(job.script));
    const r = await compile(dtrace, file, job.script, job.destructive);
    expect(r.stderr, `${job.ids.join(', ')}`).toBe('');
    expect(r.code).toBe(0);
    compiled++;
  });
});

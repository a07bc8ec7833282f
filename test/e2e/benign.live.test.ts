/**
 * Live: benign programs that load code and JIT, traced with bpftrace under the
 * shipped Linux baseline, give no finding at medium or above. python loads a
 * library by bare soname through ctypes and imports C extensions; node renames
 * itself through process.title, JIT-compiles a hot loop and instantiates a
 * WebAssembly module; gcc -flto makes ld load the LTO plug-in and resolve its
 * `onload`; bash's `enable -f` of a library in a hidden folder fails.
 *
 * `capture -c` traces the workload and its descendants only; the system-wide run
 * checks that loadtrace keeps itself and its tracer out of its own trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { replay } from '../../src/index.ts';
import type { TraceEvent } from '../../src/protocol/registry.ts';
import { describeLive } from '../helpers/live.ts';
import { describeFindings, dirMeta, killLeftovers, liveFindings, parseFindings, programOutput, rank, runCli, SHIPPED_LINUX_BASELINE } from './support.ts';

const CAPTURE_MS = 90_000;
const PYTHON = '/usr/bin/python3';
const BASH = '/usr/bin/bash';

// The empty WebAssembly module of one exported function `foo` returning 42.
const WASM = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3, 102, 111, 111, 0, 0, 10, 6, 1, 4, 0, 65, 42, 11];
const NODE_JS =
  "process.title='npm exec demo'; let s=0; const t=Date.now(); while (Date.now()-t<1000) for (let i=0;i<1e5;i++) s+=i%7; " +
  `WebAssembly.instantiate(new Uint8Array([${WASM.join(',')}])).then(r=>console.log('node:ok', s>0, r.instance.exports.foo()))`;
const PYTHON_PY =
  "import ctypes, json, _ctypes, math; m = ctypes.CDLL('libm.so.6'); m.cos.restype = ctypes.c_double; " +
  "m.cos.argtypes = [ctypes.c_double]; print('py:ok', m.cos(0.0), json.dumps(math.pi))";

function workload(dir: string): string {
  writeFileSync(join(dir, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("gcc:ok"); return 0; }\n');
  const script = join(dir, 'work.sh');
  writeFileSync(
    script,
    [
      '#!/bin/bash',
      'set -u',
      'cd "$(dirname "$0")"',
      `${PYTHON} -c "${PYTHON_PY}"`,
      `${process.execPath} -e "${NODE_JS}"`,
      'gcc -flto -O1 -o hello hello.c && ./hello',
      'mkdir -p .hidden',
      "bash -c 'enable -f ./.hidden/nope.so nope' 2>/dev/null || echo 'bash:enable-failed'",
      '',
    ].join('\n'),
  );
  return script;
}

let work = '';

describeLive('live: benign loaders and JITs under the shipped Linux baseline', () => {
  afterAll(() => {
    killLeftovers();
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it(
    'python ctypes and C extensions, renamed node with JIT and WebAssembly, gcc -flto, a failed bash enable -f: nothing at medium or above',
    async () => {
      expect(existsSync(PYTHON), `${PYTHON} is needed`).toBe(true);
      // The tracers split -c on whitespace: the directory has none.
      work = mkdtempSync(join(tmpdir(), 'loadtrace-benign-'));
      const script = workload(work);
      const dir = join(work, 'capture');
      const run = await runCli(
        ['capture', '--backend', 'bpftrace', '--out', dir, '--format', 'jsonl', '--log-level', 'warn', '--baseline', SHIPPED_LINUX_BASELINE, '-c', `${BASH} ${script}`],
        CAPTURE_MS - 10_000,
      );
      expect(run.code, `exit code; stderr:\n${run.stderr}`).toBe(0);
      expect(dirMeta(dir).ending).toBe('completed');
      const r = await replay(dir, { keepEvents: true });
      expect(r.parse.parseErrors, 'parse errors').toBe(0);

      // The workload ran to its end.
      for (const line of ['py:ok', 'node:ok true 42', 'gcc:ok', 'bash:enable-failed']) {
        expect(programOutput(dir, line.split(' ')[0]!).join('\n'), line).toContain(line);
      }

      // It did what the baseline has to know about: otherwise a quiet report would prove nothing.
      const events = r.events;
      const execPid = (path: string) => events.filter((e): e is TraceEvent & { kind: 'exec' } => e.kind === 'exec' && e.path === path).map((e) => e.pid);
      const [python] = execPid(PYTHON);
      const [node] = execPid(process.execPath);
      expect(python, 'python exec').toBeDefined();
      expect(node, 'node exec').toBeDefined();
      expect(events.some((e) => e.kind === 'dlopen' && e.pid === python && e.path === 'libm.so.6'), 'python dlopen of the bare soname').toBe(true);
      expect(events.some((e) => e.kind === 'dlopen' && e.pid === python && e.path?.includes('lib-dynload/_json')), 'python C extension').toBe(true);
      expect(events.some((e) => e.pid === node && e.comm === 'npm exec demo'), 'node renamed itself').toBe(true);
      expect(events.some((e) => e.kind === 'sample' && e.pid === node), 'node was sampled').toBe(true);
      expect(events.some((e) => e.kind === 'dlsym' && e.comm === 'ld' && e.symbol === 'onload'), 'ld resolved the LTO plug-in').toBe(true);
      const enable = events.filter((e) => e.kind === 'dlopen' && e.path === './.hidden/nope.so');
      expect(enable.map((e) => e.kind === 'dlopen' && e.handle), 'bash enable -f failed once').toEqual(['0x0']);

      // Every finding is the workload's (the trace holds nothing else), and none is at medium or above.
      const live = liveFindings(run.stdout).firstSeen;
      const workloadPids = new Set(events.filter((e) => e.kind === 'exec' || e.kind === 'fork').flatMap((e) => (e.kind === 'fork' ? [e.pid, e.child] : [e.pid])));
      for (const f of r.findings) expect(workloadPids.has(f.process.pid), `${f.id} belongs to the workload`).toBe(true);
      expect(r.findings.filter((f) => rank(f.severity) >= rank('medium')), describeFindings(r.findings)).toEqual([]);
      expect(live.map((f) => f.id).sort()).toEqual(r.findings.map((f) => f.id).sort());
      // The failed enable -f is one low finding, not two rules' views escalated by LT-100.
      const bash = r.findings.filter((f) => f.process.pid === enable[0]!.pid);
      expect(bash.map((f) => `${f.rule}:${f.severity}`), describeFindings(bash)).toEqual(['LT-007:low']);

      // Against an empty baseline the same capture is loud: the shipped baseline, not a blind spot, kept it quiet.
      const empty = join(work, 'empty.json');
      writeFileSync(empty, JSON.stringify({ version: 1, entries: [] }));
      const loud = await runCli(['replay', dir, '--format', 'jsonl', '--baseline', empty]);
      expect(loud.code, loud.stderr).toBe(0);
      const fs = parseFindings(loud.stdout);
      const medium = (pid: number | undefined, names: string[]) => fs.filter((f) => f.process.pid === pid && names.includes(f.name) && rank(f.severity) >= rank('medium'));
      expect(medium(node, ['anon-exec', 'rwx-memory', 'wx-transition']), describeFindings(fs)).not.toEqual([]);
      expect(medium(python, ['atypical-loader']), describeFindings(fs)).not.toEqual([]);
      const unknown = fs.filter((f) => f.process.pid === node && f.name === 'anon-exec' && f.region?.anon === null);
      console.log(`benign: ${r.findings.length} findings under the shipped baseline, ${fs.length} under an empty one; node executed in ${unknown.length} region(s) of unknown origin`);
    },
    CAPTURE_MS,
  );

  it(
    'the same workload system-wide: nothing at medium or above anywhere, and no record of loadtrace itself or its tracer',
    async () => {
      const sys = mkdtempSync(join(tmpdir(), 'loadtrace-benign-sys-'));
      try {
        const script = workload(sys);
        const dir = join(sys, 'capture');
        const running = runCli(
          ['capture', '--backend', 'bpftrace', '--out', dir, '--format', 'jsonl', '--log-level', 'warn', '--baseline', SHIPPED_LINUX_BASELINE, '--duration', '30'],
          CAPTURE_MS - 10_000,
        );
        // Start the workload once the probes are attached: the script's begin record is on disk.
        const raw = join(dir, 'stdout.raw');
        for (let i = 0; i < 200 && !(existsSync(raw) && readFileSync(raw, 'utf8').includes('\tbegin\t')); i++) await sleep(100);
        expect(existsSync(raw) && readFileSync(raw, 'utf8').includes('\tbegin\t'), 'the tracer started').toBe(true);
        const work = spawnSync(BASH, [script], { encoding: 'utf8', timeout: 25_000 });
        expect(work.stdout, work.stderr).toContain('py:ok');
        expect(work.stdout).toContain('node:ok true 42');
        const run = await running;
        expect(run.code, `exit code; stderr:\n${run.stderr}`).toBe(0);
        const meta = dirMeta(dir);
        const r = await replay(dir, { keepEvents: true });
        expect(r.parse.parseErrors, 'parse errors').toBe(0);

        // The workload was seen system-wide, so a quiet report is not an empty one.
        const pythonPids = new Set(r.events.filter((e) => e.kind === 'exec' && e.path === PYTHON).map((e) => e.pid));
        expect(pythonPids.size, 'python seen').toBeGreaterThan(0);
        expect(r.events.some((e) => e.kind === 'dlopen' && pythonPids.has(e.pid) && e.path === 'libm.so.6'), 'python dlopen seen').toBe(true);

        // Neither loadtrace (the CLI) nor its tracer appears in its own trace.
        const self = (meta as unknown as { options: { selfPid?: number } }).options.selfPid;
        expect(self, 'selfPid in meta').toBe(run.pid);
        const own = r.events.filter((e) => e.kind !== 'begin' && e.kind !== 'trailer' && (e.pid === run.pid || e.pid === (meta.tracer as unknown as { pid: number }).pid));
        expect(own.map((e) => `${e.kind} ${e.pid}`)).toEqual([]);

        // Nothing at medium or above, from any process on the machine.
        expect(r.findings.filter((f) => rank(f.severity) >= rank('medium')), describeFindings(r.findings)).toEqual([]);
        console.log(`benign system-wide: ${r.events.length} events, ${r.findings.length} findings below medium`);
      } finally {
        rmSync(sys, { recursive: true, force: true });
      }
    },
    CAPTURE_MS,
  );
});

/** Shared pieces of the security tests: synthetic events, a heap gauge, the CLI. */
import { spawn, spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEvent } from '../../src/protocol/registry.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NONCE = '5ec0de5ec0de5ec0';

/** `FUZZ_LONG=1` (npm run fuzz) scales the stress tests up as well. */
export const SCALE = process.env.FUZZ_LONG === '1' ? 10 : 1;

const T0 = 1_750_000_000_000;

/** A synthetic event of any kind, without going through text: fast enough for millions. */
export function ev(kind: string, pid: number, i: number, fields: Record<string, unknown> = {}): TraceEvent {
  return {
    kind,
    ts: String(BigInt(T0) * 1_000_000n + BigInt(i) * 1000n),
    pid,
    ppid: 1,
    tid: pid,
    uid: 501,
    comm: 'stress',
    line: i + 1,
    seq: i,
    t: T0 + i / 1000,
    ...fields,
  } as unknown as TraceEvent;
}

/** An anonymous mapping at `addr`; prot 3 (rw-) fires no rule, 7 fires the RWX rule. */
export function mmapEv(pid: number, i: number, addr: number, prot = 3): TraceEvent {
  return ev('mmap', pid, i, {
    addr: '0x0',
    len: '0x1000',
    prot,
    flags: 0x22,
    fd: -1,
    off: '0x0',
    ret: `0x${addr.toString(16)}`,
    err: 0,
    anon: true,
    jit: false,
    shared: false,
    fixed: false,
  });
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live heap in MB after a full collection: what a structure really retains, garbage excluded. */
export function liveHeapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

/** Run the loadtrace CLI in a child process. */
export function cli(args: string[], opts: { cwd?: string; input?: string | Buffer } = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/loadtrace.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run the CLI in its own process group; past the timeout the whole group (CLI, tracer, traced program) is killed. */
export function cliLive(args: string[], timeoutMs = 45_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/loadtrace.js'), ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started });
    });
  });
}

/**
 * Shared pieces of the live end-to-end tests: run the real CLI the way a user
 * does (`node bin/loadtrace.js capture …`), read back what it wrote, and
 * clean up every process and directory afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../../src/engine/index.ts';

export const BIN = fileURLToPath(new URL('../../bin/loadtrace.js', import.meta.url));
export const SHIPPED_LINUX_BASELINE = fileURLToPath(new URL('../../baselines/linux-default.json', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The CLI's own pid (it is not the traced program, and neither is the tracer it starts). */
  readonly pid: number;
  readonly ms: number;
}

const running = new Set<ChildProcess>();

/**
 * Runs `node bin/loadtrace.js ARGS` in its own process group and resolves when
 * it exits; past `timeoutMs` the whole group (CLI, bpftrace and the traced
 * program) is killed, so a hung tracer cannot outlive the test.
 */
export function runCli(args: readonly string[], timeoutMs = 45_000): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        pid: child.pid!,
        ms: Date.now() - started,
      });
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Kills the process group of every CLI run still alive (for afterAll). */
export function killLeftovers(): number {
  const n = running.size;
  for (const child of running) killGroup(child, 'SIGKILL');
  running.clear();
  return n;
}

/**
 * A live capture's JSON Lines on stdout: each finding as it is first seen, then, when the
 * capture ends, each again in its final state marked `"final": true` (docs/capture.md).
 */
export function liveFindings(text: string): { firstSeen: Finding[]; final: Finding[] } {
  const all = parseFindings(text) as (Finding & { final?: unknown })[];
  return {
    firstSeen: all.filter((f) => f.final === undefined),
    final: all.filter((f) => f.final === true).map(({ final: _final, ...f }) => f as Finding),
  };
}

/** Findings from JSON Lines text (the CLI's stdout with --format jsonl, or findings.jsonl). */
export function parseFindings(text: string): Finding[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Finding;
      } catch (e) {
        throw new Error(`line ${i + 1} of the findings is not JSON: ${JSON.stringify(l.slice(0, 200))}`, { cause: e });
      }
    });
}

/** findings.jsonl of a capture directory. */
export function dirFindings(dir: string): Finding[] {
  const p = join(dir, 'findings.jsonl');
  if (!existsSync(p)) throw new Error(`${p} was not written`);
  return parseFindings(readFileSync(p, 'utf8'));
}

export interface CaptureMeta {
  readonly tool: string;
  readonly tracer: { readonly backend: string; readonly pid: number | null; readonly argv: string[] };
  readonly ending: string;
  readonly exitCode: number;
  readonly drops: { readonly total: number };
}

/** meta.json of a capture directory. */
export function dirMeta(dir: string): CaptureMeta {
  return JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as CaptureMeta;
}

/** The traced program's own output lines, which `bpftrace -c` mixes into the tracer's stdout. */
export function programOutput(dir: string, prefix: string): string[] {
  return readFileSync(join(dir, 'stdout.raw'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(prefix));
}

/** Sorted distinct values. */
export function distinct<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)].sort();
}

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** Rank of a severity, info lowest. */
export function rank(s: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  if (i < 0) throw new Error(`unknown severity ${JSON.stringify(s)}`);
  return i;
}

/** A one-line description of findings for assertion messages. */
export function describeFindings(fs: readonly Finding[]): string {
  return fs.map((f) => `${f.name} [${f.severity}] pid ${f.process.pid} ${f.process.name}: ${f.summary}`).join('\n');
}

/**
 * Gate for tests that trace real processes with bpftrace. On a user's machine
 * without root or bpftrace they skip; with LOADTRACE_REQUIRE_LIVE=1 (set by
 * .ci/run) a missing prerequisite fails instead, so CI can never pass by skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const REQUIRE_LIVE = process.env.LOADTRACE_REQUIRE_LIVE === '1';

let cached: { ok: boolean; reason: string } | undefined;

/** Whether this machine can run live bpftrace captures, and if not, why. */
export function liveStatus(): { ok: boolean; reason: string } {
  if (cached) return cached;
  cached = probe();
  return cached;
}

function probe(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not running as root' };
  try {
    execFileSync('bpftrace', ['--version'], { stdio: 'pipe' });
  } catch {
    return { ok: false, reason: 'bpftrace is not installed (apt-get install -y bpftrace)' };
  }
  try {
    execFileSync('gcc', ['--version'], { stdio: 'pipe' });
  } catch {
    return { ok: false, reason: 'gcc is not installed' };
  }
  if (!existsSync('/sys/kernel/tracing/events')) {
    try {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'pipe' });
    } catch (err) {
      return { ok: false, reason: `tracefs is not mounted and mounting it failed: ${String(err)}` };
    }
  }
  return { ok: true, reason: '' };
}

/** describe() for live tests: runs, skips, or fails with the reason when CI requires live tests. */
export function describeLive(name: string, body: () => void): void {
  const status = liveStatus();
  if (status.ok) {
    describe(name, body);
  } else if (REQUIRE_LIVE) {
    describe(name, () => {
      it('has what live tracing needs', () => {
        throw new Error(`live tracing is required (LOADTRACE_REQUIRE_LIVE=1) but ${status.reason}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${status.reason})`, body);
  }
}

const PROGRAMS = fileURLToPath(new URL('../e2e/programs/', import.meta.url));
let buildDir: string | undefined;

/** Compiles test/e2e/programs/<name>.c once per test process and returns the binary's path. */
export function buildProgram(name: string, extraArgs: string[] = []): string {
  buildDir ??= mkdtempSync(join(tmpdir(), 'loadtrace-progs-'));
  const out = join(buildDir, name);
  if (!existsSync(out)) {
    execFileSync('gcc', ['-O1', '-o', out, join(PROGRAMS, `${name}.c`), ...extraArgs], { stdio: 'pipe' });
  }
  return out;
}

/** Compiles the harmless payload library to an exact path (which may hold spaces and tabs). */
export function buildPayloadLibrary(path: string): string {
  execFileSync('gcc', ['-shared', '-fPIC', '-o', path, join(PROGRAMS, 'libpayload.c')], { stdio: 'pipe' });
  return path;
}

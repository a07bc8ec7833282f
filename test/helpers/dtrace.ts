/**
 * Gate for tests that need a real D compiler and runtime: Oracle's DTrace for Linux,
 * built by scripts/dtrace-linux/build.sh (a test tool, never a dependency of loadtrace).
 * Found through LOADTRACE_TEST_DTRACE or LOADTRACE_DTRACE, else in the build script's cache folder. Without it
 * the tests skip and say why; with LOADTRACE_REQUIRE_DTRACE=1 (set by .ci/run) they fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { describeLive, liveStatus, REQUIRE_LIVE } from './live.ts';

export const REQUIRE_DTRACE = process.env.LOADTRACE_REQUIRE_DTRACE === '1';

function cacheCandidates(): string[] {
  const cache = process.env.LOADTRACE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'loadtrace');
  if (!existsSync(cache)) return [];
  return readdirSync(cache)
    .filter((d) => d.startsWith('dtrace-') && existsSync(join(cache, d, '.complete')))
    .map((d) => join(cache, d, 'sbin', 'dtrace'));
}

/** `dtrace -V` says which D this is; the test double in test/fixtures/bin is not a compiler. */
function isRealDtrace(path: string): boolean {
  try {
    const out = execFileSync(path, ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return /^dtrace: (Oracle|Sun) D \d/.test(out.trim());
  } catch {
    return false;
  }
}

let cached: { path: string | null; reason: string } | undefined;

/** The real dtrace, or null with the reason. */
export function realDtrace(): { path: string | null; reason: string } {
  if (cached) return cached;
  // LOADTRACE_TEST_DTRACE (set by .ci/run) names it for the tests alone; LOADTRACE_DTRACE is what loadtrace itself reads.
  const env = process.env.LOADTRACE_TEST_DTRACE ?? process.env.LOADTRACE_DTRACE;
  const candidates = env ? [env] : cacheCandidates();
  const path = candidates.find(isRealDtrace) ?? null;
  cached = path
    ? { path, reason: '' }
    : {
        path: null,
        reason: env
          ? `${env} (LOADTRACE_TEST_DTRACE or LOADTRACE_DTRACE) is not a working D compiler (dtrace -V)`
          : 'no D compiler: build one with scripts/dtrace-linux/build.sh ARCHIVE (see docs/platforms/linux.md) or set LOADTRACE_TEST_DTRACE',
      };
  return cached;
}

/** describe() for tests that need the real D compiler: runs, skips, or fails with the reason when required. */
export function describeDtrace(name: string, body: (dtrace: string) => void, extra?: () => string | null): void {
  const { path, reason } = realDtrace();
  const why = path ? (extra?.() ?? null) : reason;
  if (path && why === null) {
    describe(name, () => body(path));
  } else if (REQUIRE_DTRACE) {
    describe(name, () => {
      it('has the D compiler it needs', () => {
        throw new Error(`the D compiler is required (LOADTRACE_REQUIRE_DTRACE=1) but ${why}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${why})`, () => body(''));
  }
}

/** For live D tests: the D compiler gate and the live-tracing gate (root, tracefs), each required in CI by its own variable. */
export function describeDtraceLive(name: string, body: (dtrace: string) => void): void {
  const live = liveStatus();
  // A machine that cannot trace live at all fails under LOADTRACE_REQUIRE_LIVE as the bpftrace suites do.
  if (!live.ok && REQUIRE_LIVE) describeLive(name, () => body(''));
  else describeDtrace(name, body, () => (live.ok ? null : live.reason));
}

/**
 * `loadtrace doctor --backend dtrace` on this machine, with the real D compiler named by
 * LOADTRACE_DTRACE (or found where scripts/dtrace-linux/build.sh puts it): every check that
 * DTrace for Linux needs passes. Skips with the reason when not root or without the compiler;
 * LOADTRACE_REQUIRE_DTRACE=1 makes that a failure.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeDtrace } from '../helpers/dtrace.ts';

const BIN = fileURLToPath(new URL('../../bin/loadtrace.js', import.meta.url));
const notRoot = () => (process.platform !== 'linux' ? `DTrace for Linux runs on Linux, not ${process.platform}` : process.getuid?.() !== 0 ? 'doctor runs the D compile test as root: not root' : null);

describeDtrace(
  'live: doctor --backend dtrace with DTrace for Linux',
  (dtrace) => {
    it('passes every check, the compile test included', () => {
      const r = spawnSync(process.execPath, [BIN, 'doctor', '--backend', 'dtrace', '--json'], {
        env: { ...process.env, LOADTRACE_DTRACE: dtrace },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const report = JSON.parse(r.stdout);
      expect(report.checks.filter((c: { status: string }) => c.status !== 'ok')).toEqual([]);
      expect(report.checks.map((c: { id: string }) => c.id)).toEqual(['platform', 'tracer', 'privileges', 'probes', 'tracefs', 'uprobes']);
      expect(report.checks.find((c: { id: string }) => c.id === 'tracer').detail).toContain('Oracle D');
      expect(r.status).toBe(0);
    });
  },
  notRoot,
);

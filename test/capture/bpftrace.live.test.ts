import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCapture } from '../../src/capture/capture.ts';
import type { FollowGenerateFn, GenerateFn } from '../../src/capture/ports.ts';
import { createLogger } from '../../src/capture/log.ts';
import { generate, generateFollow } from '../../src/generate/index.ts';
import { describeLive } from '../helpers/live.ts';

describeLive('capture with the real bpftrace', () => {
  it('--duration stops bpftrace with SIGINT; its END trailer is in stdout.raw', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'loadtrace-live-')), 'cap');
    const res = await runCapture(
      { tool: 'procsnoop', backend: 'bpftrace', durationSec: 3, out },
      {
        generate: generate as unknown as GenerateFn,
        generateFollow: generateFollow as unknown as FollowGenerateFn,
        analysis: null,
        logger: createLogger('silent', { tty: false }),
        stderrIsTTY: false,
      },
    );
    expect(res.ending).toBe('duration');
    expect(res.exitCode).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.tracer.version).toMatch(/^bpftrace v0\.\d+/);
    const stdout = readFileSync(join(out, 'stdout.raw'), 'utf8');
    expect(stdout).toContain(`LT1:${meta.nonce}\tbegin\t`);
    expect(stdout).toContain(`LT1:${meta.nonce}\ttrailer\t`);
    expect(meta.raw.stdoutBytes).toBe(Buffer.byteLength(stdout));
  }, 60_000);
});

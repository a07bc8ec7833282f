/**
 * Output that cannot keep up holds the input back: replay --events into a
 * slow pipe must not pile the whole trace up in memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from '../../src/baseline/load.ts';
import { defaultBaselinePath } from '../../src/baseline/index.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { replayStreams } from '../../src/pipeline/index.ts';
import { exampleFields } from '../parse/helpers/trace.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NONCE = 'feedfacecafebeef';

/** n exit records, one second of trace time apart from the first to the last. */
function records(from: number, n: number): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += formatRecord(NONCE, 'exit', exampleFields('exit', { ts: String(1_764_000_000_000_000_000n + BigInt(i) * 1_000_000n), pid: 1000 + (i % 50) }));
  return s;
}

describe('output backpressure', () => {
  it('the pipeline reads no further while outputReady holds it back', async () => {
    let pulled = 0;
    const source = new Readable({
      read() {
        if (pulled === 200) this.push(null);
        else this.push(Buffer.from(records(pulled++ * 100, 100)));
      },
      highWaterMark: 1,
    });
    let release: () => void = () => {};
    let gate: Promise<void> | null = new Promise<void>((r) => (release = r));
    let events = 0;
    const done = replayStreams({ stdout: source }, {
      nonce: NONCE,
      baseline: loadBaseline(defaultBaselinePath('linux')),
      onEvent: () => events++,
      outputReady: () => gate,
    });
    await new Promise((r) => setTimeout(r, 200));
    // Held back after the first piece or so: a few pieces were read ahead by the streams, not 200.
    expect(pulled).toBeLessThan(10);
    gate = null;
    release();
    const result = await done;
    expect(pulled).toBe(200);
    expect(events).toBe(20_000);
    expect(result.report.stats.events).toBe(20_000);
  });

  it('replay --events into a pipe that is not read stops reading its input, then delivers every event', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/loadtrace.js'), 'replay', '-', '--nonce', NONCE, '--events', '--allow-empty'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Write until the child stops taking input for 3 s (or all of it is taken).
    const total = 120_000;
    const piece = 2_000;
    let written = 0;
    let accepted = 0;
    while (written < total) {
      const ok = child.stdin.write(records(written, piece));
      written += piece;
      if (!ok) {
        const drained = await Promise.race([once(child.stdin, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
        if (!drained) break;
      }
      accepted = written;
    }
    // 120,000 records are about 12 MB; held back, the child has taken a small part of them.
    expect(accepted).toBeLessThan(total / 2);
    let lines = 0;
    let tail = '';
    child.stdout.on('data', (d: Buffer) => {
      const s = tail + d.toString();
      const parts = s.split('\n');
      tail = parts.pop()!;
      lines += parts.length;
    });
    child.stdout.resume();
    while (written < total) {
      if (!child.stdin.write(records(written, piece))) await once(child.stdin, 'drain');
      written += piece;
    }
    child.stdin.end();
    const [code] = (await once(child, 'exit')) as [number];
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines).toBe(total);
  }, 60_000);
});

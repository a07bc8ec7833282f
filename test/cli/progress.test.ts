import { PassThrough, type Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatReplayProgress, inputSize, startReplayProgress } from '../../src/cli/progress.ts';
import type { Pipeline } from '../../src/pipeline/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('replay progress line', () => {
  it('says how much of the input was read, records and findings', () => {
    expect(formatReplayProgress(12_400, { records: 900_000, drops: 0, findings: 3 }, 450_000.4, 42_000_000, 93_200_000)).toBe(
      'replaying 12 s  42 MB of 93 MB (45%)  900000 records (450000/s)  findings 3',
    );
    expect(formatReplayProgress(900, { records: 5, drops: 0, findings: 0 }, 0, 1_500_000, null)).toBe('replaying 1 s  1.5 MB  5 records (0/s)  findings 0');
  });

  it('counts the bytes its sources pass on, redraws in place, and erases itself when stopped', async () => {
    vi.useFakeTimers();
    const writes: string[] = [];
    const out = { write: (s: string) => (writes.push(s), true) } as unknown as Writable;
    const pipeline = { progress: () => ({ lines: 10, records: 7, drops: 0, findings: 2 }) } as unknown as Pipeline;
    const src = new PassThrough();
    const stop = startReplayProgress(out, pipeline, [src, undefined], 1000, 250);
    src.write(Buffer.alloc(400));
    await vi.advanceTimersByTimeAsync(260);
    expect(writes.at(-1)).toMatch(/^\r\x1b\[Kreplaying 0 s {2}0\.0 MB of 0\.0 MB \(40%\) {2}7 records/);
    stop();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    const n = writes.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toHaveLength(n);
  });

  it('knows the size of files, not of stdin', () => {
    expect(inputSize([])).toBe(0);
    expect(inputSize([null])).toBe(0);
    expect(inputSize(['/nonexistent/loadtrace/file'])).toBeNull();
  });
});

/**
 * The progress line of a long replay on a terminal's stderr: how much of the
 * input has been read, records and findings so far. A recorded trace of a
 * gigabyte takes half a minute to replay; without it the terminal says nothing.
 */
import { statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { StatusLine, type StatusCounts } from '../capture/status.ts';
import type { Pipeline } from '../pipeline/index.ts';

/** Formats one progress line (no `\r`, no newline); `total` is null when the input's size is not known. */
export function formatReplayProgress(elapsedMs: number, counts: StatusCounts, rate: number, read: number, total: number | null): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
  const share = total !== null && total > 0 ? ` (${Math.min(100, Math.floor((100 * read) / total))}%)` : '';
  const of = total !== null ? ` of ${mb(total)}` : '';
  return `replaying ${(elapsedMs / 1000).toFixed(0)} s  ${mb(read)}${of}${share}  ${counts.records} records (${Math.round(rate)}/s)  findings ${counts.findings}`;
}

/** Size in bytes of the files behind an input, or null (stdin). */
export function inputSize(paths: readonly (string | null)[]): number | null {
  let total = 0;
  for (const p of paths) {
    if (p === null) continue;
    try {
      total += statSync(p).size;
    } catch {
      return null;
    }
  }
  return total;
}

/** Starts the progress line for a pipeline reading `sources`; returns the function that erases it. */
export function startReplayProgress(out: Writable, p: Pipeline, sources: readonly (Readable | undefined)[], total: number | null, intervalMs = 250): () => void {
  let read = 0;
  for (const s of sources) s?.on('data', (b: Buffer | string) => (read += b.length));
  const line = new StatusLine(out, () => p.progress(), Date.now(), intervalMs, (ms, c, rate) => formatReplayProgress(ms, c, rate, read, total));
  line.start();
  return () => line.stop();
}

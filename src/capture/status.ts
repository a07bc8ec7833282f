/**
 * The live status line on a terminal's stderr: elapsed time, records per
 * second, drops and findings so far, redrawn in place with `\r` about four
 * times a second. Anything else written to the terminal clears it first.
 */
import type { Writable } from 'node:stream';

export interface StatusCounts {
  readonly records: number;
  readonly drops: number;
  readonly findings: number;
}

/** Formats one status line (no `\r`, no newline). */
export function formatStatus(elapsedMs: number, counts: StatusCounts, rate: number): string {
  const s = Math.floor(elapsedMs / 1000);
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  const clock = hh > 0 ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
  return `capturing ${clock}  ${counts.records} records (${Math.round(rate)}/s)  drops ${counts.drops}  findings ${counts.findings}`;
}

export class StatusLine {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  private lastRecords = 0;
  private lastAt = 0;
  private rate = 0;

  constructor(
    private readonly out: Writable,
    private readonly counts: () => StatusCounts,
    private readonly startedAt: number,
    private readonly intervalMs = 250,
    /** The line's text; capture's by default (replay has its own). */
    private readonly format: (elapsedMs: number, counts: StatusCounts, rate: number) => string = formatStatus,
  ) {}

  start(): void {
    this.lastAt = Date.now();
    this.timer = setInterval(() => this.render(), this.intervalMs);
    this.timer.unref();
  }

  /** Redraws the line now. */
  render(): void {
    const now = Date.now();
    const c = this.counts();
    const dt = (now - this.lastAt) / 1000;
    if (dt >= 1) {
      this.rate = (c.records - this.lastRecords) / dt;
      this.lastRecords = c.records;
      this.lastAt = now;
    }
    this.out.write(`\r\x1b[K${this.format(now - this.startedAt, c, this.rate)}`);
    this.shown = true;
  }

  /** Erases the line so other output starts at column 0; the next tick redraws it. */
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[K');
    this.shown = false;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }
}

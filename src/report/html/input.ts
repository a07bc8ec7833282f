/**
 * What the HTML report is drawn from, and the caps that keep a page of a long trace
 * small enough for a browser.
 */
import type { Report } from '../../engine/index.ts';
import type { ParseSummary } from '../../parse/index.ts';
import type { TimelineData } from './collect.ts';

export interface RenderLimits {
  /** Processes drawn (default 40): those with findings first, then the busiest. */
  readonly maxProcessesDrawn: number;
  /** Address ranges drawn per process (default 32): those with findings, samples or execute permission first. */
  readonly maxRowsDrawn: number;
  /** Events drawn over the whole page (default 6000), each with its details. */
  readonly maxMarkersDrawn: number;
  /** Findings listed in the table (default 1000, the most severe first). */
  readonly maxFindingsListed: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxProcessesDrawn: 40,
  maxRowsDrawn: 32,
  maxMarkersDrawn: 6000,
  maxFindingsListed: 1000,
};

export interface HtmlReportInput {
  readonly report: Report;
  /** The parse summary (lines, records, authentication), when known. */
  readonly parse?: ParseSummary | null;
  readonly timeline: TimelineData;
  /** meta.json of a capture directory as read (untrusted), or null for a raw trace. */
  readonly meta: Readonly<Record<string, unknown>> | null;
  /** What was replayed, as the user named it (shown as text). */
  readonly source?: string;
  readonly limits?: Partial<RenderLimits>;
}

/**
 * Which baseline a replay judges with: one given explicitly wins; else the one a capture
 * directory recorded (the one it was judged with live); else the shipped one for the
 * trace's platform. Reports say which it was.
 */
import { defaultBaselinePath, loadBaseline, parseBaseline, type Baseline } from '../baseline/index.ts';
import { readCaptureBaseline } from './capture-dir.ts';
import type { OpenedInput } from './input.ts';

export type BaselineOrigin = 'given' | 'capture' | 'default';

export interface ChosenBaseline {
  readonly baseline: Baseline;
  /** The file it was read from; '(object)' for one passed in memory. */
  readonly source: string;
  readonly origin: BaselineOrigin;
}

/** Throws BaselineError for a bad file, CaptureDirError for an unreadable recorded one. */
export function chooseBaseline(given: Baseline | string | undefined, opened: Pick<OpenedInput, 'capture' | 'os'>): ChosenBaseline {
  if (typeof given === 'object') return { baseline: given, source: '(object)', origin: 'given' };
  if (typeof given === 'string') return { baseline: loadBaseline(given), source: given, origin: 'given' };
  const recorded = opened.capture ? readCaptureBaseline(opened.capture) : null;
  if (recorded !== null && opened.capture?.baselinePath) {
    return { baseline: parseBaseline(recorded, opened.capture.baselinePath), source: opened.capture.baselinePath, origin: 'capture' };
  }
  const path = defaultBaselinePath(opened.os ?? 'darwin');
  return { baseline: loadBaseline(path), source: path, origin: 'default' };
}

/** One line for people: which baseline, and why that one. */
export function describeBaseline(c: Pick<ChosenBaseline, 'source' | 'origin'>, givenAs = '--baseline'): string {
  switch (c.origin) {
    case 'given':
      return `Baseline: ${c.source} (${givenAs}).`;
    case 'capture':
      return `Baseline: ${c.source} (recorded with the capture; --baseline FILE to judge with another).`;
    default:
      return `Baseline: ${c.source} (the shipped default for the platform).`;
  }
}

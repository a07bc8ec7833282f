/**
 * Drop policy, after Falco's syscall_event_drops (docs/platforms/peers.md): a
 * threshold on lost data and an action. Unlike Falco the threshold applies to
 * the whole capture, because a lab capture is judged as one piece of evidence.
 */
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';

export interface DropThreshold {
  /** 'count': more than `value` drops; 'fraction': drops / (records + drops) above `value`. */
  readonly kind: 'count' | 'fraction';
  readonly value: number;
}

/** Default: any drop at all is over the threshold (a missed dlopen is a missed detection). */
export const DEFAULT_DROP_THRESHOLD: DropThreshold = { kind: 'count', value: 0 };

export const ON_DROPS = ['log', 'fail'] as const;
export type OnDrops = (typeof ON_DROPS)[number];

/**
 * Parses `--drop-threshold`: `5%` or `0.05` (a fraction, below 1) or `100` (a count of drops).
 * Throws a usage error naming the option for anything else.
 */
export function parseDropThreshold(text: string): DropThreshold {
  const t = text.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const v = Number(pct[1]) / 100;
    if (v <= 1) return { kind: 'fraction', value: v };
  } else if (/^\d+$/.test(t)) {
    return { kind: 'count', value: Number(t) };
  } else if (/^(?:0?\.\d+|0)$/.test(t)) {
    return { kind: 'fraction', value: Number(t) };
  }
  throw new CaptureError(
    `--drop-threshold: expected a count of drops (e.g. 100), a fraction below 1 (e.g. 0.01) or a percentage (e.g. 1%), got "${text}"`,
    EXIT.usage,
  );
}

/** drops / (records + drops), 0 when nothing arrived. */
export function dropFraction(drops: number, records: number): number {
  const all = drops + records;
  return all === 0 ? 0 : drops / all;
}

/** Whether the drops seen so far are over the threshold. */
export function dropsExceeded(threshold: DropThreshold, drops: number, records: number): boolean {
  if (threshold.kind === 'count') return drops > threshold.value;
  return drops > 0 && dropFraction(drops, records) > threshold.value;
}

/** The threshold as people write it. */
export function formatThreshold(t: DropThreshold): string {
  return t.kind === 'count' ? `${t.value} drops` : `${+(t.value * 100).toFixed(4)}% of records`;
}

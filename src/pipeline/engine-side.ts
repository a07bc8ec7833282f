/** The engine's end of a pipeline, the same on one thread and on two (threaded.ts). */
import { createEngine } from '../engine/index.ts';
import type { ParseSummary } from '../parse/index.ts';
import type { Diagnostic } from '../protocol/diagnostics.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import type { PipelineOptions } from './types.ts';

/** The engine and what feeds it: events (to onEvent first) and diagnostics. */
export function engineSide(opts: PipelineOptions) {
  let findings = 0;
  const engine = createEngine({
    baseline: opts.baseline,
    os: opts.os,
    backend: opts.backend,
    windowMs: opts.windowMs,
    limits: opts.limits,
    onFinding: (f) => {
      findings++;
      opts.onFinding?.(f);
    },
  });
  const onEvent = opts.onEvent;
  return {
    engine,
    findings: () => findings,
    event: onEvent
      ? (e: TraceEvent) => {
          onEvent(e);
          engine.event(e);
        }
      : (e: TraceEvent) => engine.event(e),
    diagnostic: (d: Diagnostic) => engine.diagnostic(d),
  };
}

/** Add two parse summaries (stdout and stderr of one capture). */
export function mergeSummaries(a: ParseSummary, b: ParseSummary): ParseSummary {
  const addMaps = <K extends string>(x: Partial<Record<K, number>>, y: Partial<Record<K, number>>) => {
    const out: Partial<Record<K, number>> = { ...x };
    for (const [k, v] of Object.entries(y) as [K, number][]) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    lines: a.lines + b.lines,
    records: a.records + b.records,
    recordsByKind: addMaps(a.recordsByKind, b.recordsByKind),
    diagnostics: addMaps(a.diagnostics, b.diagnostics),
    drops: { total: a.drops.total + b.drops.total, byKind: addMaps(a.drops.byKind, b.drops.byKind) },
    probeErrors: a.probeErrors + b.probeErrors,
    foreign: a.foreign + b.foreign,
    forged: a.forged + b.forged,
    spliced: a.spliced + b.spliced,
    blank: a.blank + b.blank,
    parseErrors: a.parseErrors + b.parseErrors,
    late: a.late + b.late,
    authenticated: a.authenticated,
    nonce: a.nonce ?? b.nonce,
    os: a.os,
    accounting: {
      lines: a.accounting.lines + b.accounting.lines,
      record: a.accounting.record + b.accounting.record,
      diagnostic: a.accounting.diagnostic + b.accounting.diagnostic,
      foreign: a.accounting.foreign + b.accounting.foreign,
      blank: a.accounting.blank + b.accounting.blank,
    },
  };
}


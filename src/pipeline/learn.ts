/**
 * Learning a baseline from clean inputs: each input runs through the same
 * pipeline as replay, judged against an empty baseline, and what its findings
 * judged becomes the baseline's entries (baseline/learn.ts). An input that
 * lost data would teach an incomplete baseline without saying so, so one with
 * drops, probe errors, malformed records or lost end-of-run counters is
 * refused unless the caller allows loss.
 */
import { baselineFromFindings, type LearnOptions, type LearnSource } from '../baseline/learn.ts';
import { EMPTY_BASELINE, type Baseline } from '../baseline/schema.ts';
import type { BlindSpotKind } from '../engine/index.ts';
import type { Os } from '../protocol/flags.ts';
import { replayStreams } from './index.ts';
import { InputError, inputName, openInput } from './input.ts';

/** Blind spots that mean the input lost records (not ones that say what a trace can never show). */
const LOSS_KINDS: ReadonlySet<BlindSpotKind> = new Set<BlindSpotKind>(['drops', 'probe_errors', 'malformed_records', 'script_counters', 'partial_trailer']);

/** An input to learn from lost data; `losses` says what (the blind spots' titles and counts). */
export class LearnLossError extends Error {
  override name = 'LearnLossError';
  constructor(
    readonly input: string,
    readonly losses: readonly string[],
  ) {
    super(`${input}: lost data while it was recorded (${losses.join('; ')}): a baseline learned from it would be incomplete; record it again, or pass --allow-loss (allowLoss) to learn from it anyway`);
  }
}

export interface LearnInputsOptions extends LearnOptions {
  /** Learn from inputs that lost data (default: refuse them with a LearnLossError). */
  readonly allowLoss?: boolean;
}

/** One input (a capture directory, a raw trace file, `-` for stdin, or trace bytes) through the pipeline, for learning. */
export async function learnSource(input: string | Buffer, opts: { readonly os?: Os; readonly allowLoss?: boolean } = {}): Promise<LearnSource> {
  const opened = openInput(input, opts.os !== undefined ? { os: opts.os } : {});
  let tracedOs: Os | undefined;
  const { report, parse } = await replayStreams(
    opened.sources,
    {
      nonce: opened.nonce,
      os: opened.os,
      backend: opened.backend,
      baseline: EMPTY_BASELINE,
      onEvent: (e) => {
        if (e.kind === 'begin' && tracedOs === undefined && (e.os === 'darwin' || e.os === 'linux')) tracedOs = e.os;
      },
    },
    { notAttached: opened.notAttached },
  );
  const name = inputName(input);
  if ((parse.recordsByKind.begin ?? 0) === 0) {
    throw new InputError(`${name}: not a loadtrace trace: ${parse.records === 0 ? 'no records' : `${parse.records} records but no begin record`}`);
  }
  const losses = report.blindSpots.filter((b) => LOSS_KINDS.has(b.kind)).map((b) => (b.count !== null ? `${b.title}: ${b.count}` : b.title));
  if (losses.length > 0 && opts.allowLoss !== true) throw new LearnLossError(name, losses);
  return { findings: report.findings, judged: report.judged, os: tracedOs };
}

/** Learn a baseline from clean inputs, each run through the replay pipeline. */
export async function learnBaseline(inputs: readonly (string | Buffer)[], opts: LearnInputsOptions = {}): Promise<Baseline> {
  const sources: LearnSource[] = [];
  for (const input of inputs) sources.push(await learnSource(input, { ...(opts.os !== undefined ? { os: opts.os } : {}), ...(opts.allowLoss !== undefined ? { allowLoss: opts.allowLoss } : {}) }));
  return baselineFromFindings(sources, opts);
}

/**
 * How a capture ended: the ending decided from what happened, its exit code, and the line
 * that tells people.
 */
import { EXIT } from '../exit-codes.ts';
import type { Ending } from '../pipeline/capture-dir.ts';
import type { Target } from './ports.ts';
import type { TracerExit } from './process.ts';
import type { RawWriteFailure } from './raw.ts';
import type { StderrFacts } from './stderr-scan.ts';
import type { Backend } from './tracer.ts';

/** The exit code for an ending, before findings and drops are taken into account. */
export function exitCodeForEnding(ending: Ending, detail: { spawnFailed?: boolean } = {}): number | null {
  switch (ending) {
    case 'killed':
      return EXIT.killed;
    case 'disk-full':
      return EXIT.io;
    case 'error':
      return detail.spawnFailed ? EXIT.tracerRefused : EXIT.io;
    case 'tracer-refused':
    case 'attach-failed':
      return EXIT.tracerRefused;
    case 'tracer-crashed':
      return EXIT.tracerCrashed;
    default:
      return null;
  }
}

export interface EndingInput {
  readonly exit: TracerExit;
  readonly facts: StderrFacts;
  readonly target: Target;
  readonly ioFailure: RawWriteFailure | null;
  readonly killed: boolean;
  readonly stopReason: 'interrupted' | 'terminated' | 'duration' | null;
}

/**
 * Decides how a capture ended. Order: what loadtrace itself did or suffered
 * (spawn failure, full disk, kill) first, then what the tracer said on stderr
 * (refusal, attach failure), then how it exited.
 */
export function classifyEnding(input: EndingInput): { ending: Ending; detail: string | null } {
  const { exit, facts, target } = input;
  if (exit.spawnError) return { ending: 'error', detail: `could not start the tracer: ${exit.spawnError.message}` };
  if (input.ioFailure) {
    const f = input.ioFailure;
    return f.diskFull
      ? { ending: 'disk-full', detail: `disk full writing ${f.path} (${f.code}); the tracer was stopped and everything written was kept` }
      : { ending: 'error', detail: `I/O error writing ${f.path}: ${f.message}` };
  }
  if (input.killed) return { ending: 'killed', detail: 'the tracer was killed; its END output is missing' };
  if (facts.refusal) return { ending: 'tracer-refused', detail: `${facts.refusal.reason}: ${facts.refusal.text}` };
  if (facts.attachFailure) return { ending: 'attach-failed', detail: facts.attachFailure.text };
  if (input.stopReason) return { ending: input.stopReason, detail: null };
  if (exit.signal) return { ending: 'tracer-crashed', detail: `the tracer was killed by ${exit.signal}` };
  if (exit.code !== 0) return { ending: 'tracer-crashed', detail: `the tracer exited with status ${exit.code}` };
  if (target.kind === 'pid') {
    const gone = facts.pidExits.find((e) => e.pid === target.pid);
    if (gone) return { ending: 'target-exited', detail: gone.text };
  }
  return { ending: 'completed', detail: null };
}

/** One line for people: how the capture ended and where it is. */
export function endingMessage(ending: Ending, detail: string | null, dir: string, backend: Backend): string {
  const where = `capture kept in ${dir}`;
  const why = detail ? `: ${detail}` : '';
  switch (ending) {
    case 'tracer-refused':
      return `${backend} refused to start${why}. Run \`loadtrace doctor\` for the fix. ${where}`;
    case 'attach-failed':
      return `${backend} could not attach to the target${why}. ${where}`;
    case 'tracer-crashed':
      return `${backend} died mid-run${why}; everything it printed is kept. ${where}`;
    case 'disk-full':
      return `disk full${why}. ${where}`;
    case 'killed':
      return `killed${why}. ${where}`;
    case 'error':
      return `capture failed${why}. ${where}`;
    default:
      return `capture ${ending}${why}. ${where}`;
  }
}

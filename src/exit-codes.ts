/**
 * Exit codes shared by every command, so scripts and CI can tell outcomes apart.
 * Documented in README.md and docs/capture.md. The library knows them too, not
 * only the command line: a capture records how it ended as one of them in
 * meta.json, and `failOn` answers with one.
 */
export const EXIT = {
  /** Ran to the end; no finding at or above --fail-on. */
  ok: 0,
  /** Findings at or above --fail-on (or an invalid baseline for `baseline check`). */
  findings: 1,
  /** Bad option, bad argument, unreadable or malformed input file. */
  usage: 2,
  /** The tracer refused to start: privileges, SIP, a compile error. */
  tracerRefused: 3,
  /** The tracer crashed or died mid-run; everything received was kept. */
  tracerCrashed: 4,
  /** Drops over the threshold with --on-drops fail. */
  drops: 5,
  /** Writing the capture failed (disk full, I/O error); everything written was kept. */
  io: 6,
  /** The command given with -c (or after --) was not found, or is not an executable file (as a shell's 127). */
  commandNotFound: 127,
  /** Anything else unexpected. */
  error: 70,
  /** Interrupted twice: the tracer was killed; everything received was kept. */
  killed: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];


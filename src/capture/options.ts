/**
 * The options of a capture, validated before anything starts: what to trace, with which
 * tool and tracer, where to keep it, and how it may end.
 */
import { z } from 'zod';
import { BACKENDS, targetSchema } from '../generate/options.ts';
import { DEFAULT_DROP_THRESHOLD, ON_DROPS } from './drops.ts';

export const captureOptionsSchema = z.object({
  /** Tool to run; default an0840 (every probe of the analytic). */
  tool: z.string().min(1).default('an0840'),
  /** Tracer; default dtrace on macOS, bpftrace elsewhere. */
  backend: z.enum(BACKENDS).optional(),
  /** What to trace; default the whole system. */
  target: targetSchema.default({ kind: 'all' }),
  /** The generator's script options (uid, bufsize, switchrate, strsize, dynvarsize, ustack, temporal…). */
  toolOptions: z.record(z.string(), z.unknown()).default({}),
  /** Capture directory; default ./captures/<tool>-<time>-<random>, created exclusively. Must not exist or be empty. */
  out: z.string().optional(),
  /** Stop after this many seconds (SIGINT to the tracer, so its END output is kept). */
  durationSec: z.number().positive().optional(),
  /** What drops over the threshold do: log a warning, or also fail with exit code 5. */
  onDrops: z.enum(ON_DROPS).default('log'),
  dropThreshold: z
    .object({ kind: z.enum(['count', 'fraction']), value: z.number().nonnegative() })
    .default(DEFAULT_DROP_THRESHOLD),
  /** How long to wait for the tracer after SIGINT before killing it. */
  stopTimeoutMs: z.number().int().positive().default(15_000),
  /**
   * Show the lines of the tracer's stdout that are not records (the -c program's own output,
   * which shares the tracer's stdout) on stderr as they arrive. Default: when stderr is a terminal.
   */
  showOutput: z.boolean().optional(),
  /** Follow mode: most per-pid tracers at once. */
  maxTracers: z.number().int().positive().default(16),
  /** Follow mode: on (per-pid tracers for new processes), off, or auto (dtrace with -n or system-wide). */
  follow: z.enum(['auto', 'on', 'off']).default('auto'),
  /**
   * Run a command target as this user rather than as the tracer's root: the command is started
   * through `setpriv`, which execs it, so the traced pid is the command's own. null: as root.
   */
  runAs: z.object({ user: z.string().min(1), uid: z.number().int().nonnegative(), gid: z.number().int().nonnegative() }).nullable().default(null),
});
export type CaptureOptions = z.input<typeof captureOptionsSchema>;
export type ResolvedCaptureOptions = Readonly<z.output<typeof captureOptionsSchema>>;

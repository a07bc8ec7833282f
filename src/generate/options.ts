/**
 * Tool options: validated with zod before anything reaches a script, then rendered
 * as typed constants in the prologue (never spliced into template bodies).
 */
import { z } from 'zod';

// DTrace size values as its option parser takes them: bytes or a k/m/g suffix (docs/platforms/macos.md §4).
const size = z
  .string()
  .regex(/^[1-9][0-9]{0,9}[kmgKMG]?$/, 'a size such as 4m, 512k or 1048576');

// DTrace rates: a frequency (10hz) or a period (100ms, 1s, 500us, 1000000ns).
const rate = z.string().regex(/^[1-9][0-9]{0,8}(hz|ns|us|ms|s)$/, 'a rate such as 10hz or 100ms');

export const toolOptionsSchema = z
  .object({
    /** Stop after this many seconds (tick-1s / interval:s:1 counter then exit); default: run until interrupted. */
    duration: z.number().int().min(1).max(7 * 24 * 3600).optional(),
    /** Only trace processes of this real uid; default: every uid. */
    uid: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    /** DTrace principal buffer size per CPU (dtrace's own default 4m); ignored by bpftrace. */
    bufsize: size.optional(),
    /** How often DTrace drains its buffers; default 10hz so records arrive promptly; ignored by bpftrace. */
    switchrate: rate.optional(),
    /** Longest string read, in bytes; DTrace default 256, bpftrace default and maximum 112 (BPF stack). */
    strsize: z.number().int().min(16).max(4096).optional(),
    /** DTrace dynamic variable space (region tracking lives there); default per tool; ignored by bpftrace. */
    dynvarsize: size.optional(),
    /** Print the user stack after each event record that findings cite. Default false. */
    ustack: z.boolean().default(false),
    /** DTrace: merge per-CPU buffers in time order (`temporal`, from dtrace-284 on). Default false: records carry timestamps and are reordered downstream. */
    temporal: z.boolean().default(false),
    /** Print every mapping event, not only the ones that matter for executable memory. Heavy. Default false. */
    unfiltered: z.boolean().default(false),
    /** anonexec sampling frequency in Hz (profile-N / profile:hz:N). Default 997. */
    sampleHz: z.number().int().min(1).max(5000).default(997),
    /** At most this many samples per second per process; the rest are counted. Default 50. */
    sampleLimit: z.number().int().min(1).max(100000).default(50),
    /**
     * Pid of the loadtrace process running the capture: system-wide and by-name scripts leave it
     * and its children and grandchildren (the tracer, directly or under sudo) out, in the kernel.
     * Default: none (only the tracer itself is left out where the language can name it).
     */
    selfPid: z.number().int().min(1).max(2 ** 31 - 1).optional(),
    /** bpftrace: path of the C library that exports dlopen/dlsym; default found with ldconfig. */
    libc: z.string().optional(),
  })
  .strict();

/** Options as given by a caller (defaults optional). */
export type ToolOptionsInput = z.input<typeof toolOptionsSchema>;
/** Options after validation, defaults filled in. */
export type ToolOptions = Readonly<z.output<typeof toolOptionsSchema>>;

export const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pid'), pid: z.number().int().min(1).max(2 ** 31 - 1) }).strict(),
  z.object({ kind: z.literal('command'), command: z.array(z.string()).min(1) }).strict(),
  z.object({ kind: z.literal('name'), name: z.string().min(1).max(255) }).strict(),
  z.object({ kind: z.literal('all') }).strict(),
]);

/** What to trace: one pid, a command started by the tracer (and its descendants), a process name, or everything. */
export type Target = z.infer<typeof targetSchema>;

/** The tracers a script is generated for. */
export { BACKENDS, type Backend } from '../protocol/flags.ts';

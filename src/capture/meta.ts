/**
 * meta.json: what a capture was and how it ended. Written when the tracer
 * starts (ending "running") and rewritten at the end, each time atomically
 * (temporary file, fsync, rename), so a crash at any moment leaves a complete,
 * readable file describing the capture.
 */
import { z } from 'zod';
import { BACKENDS } from '../generate/options.ts';
import { CAPTURE_FILES, writeCaptureJson } from '../pipeline/capture-dir.ts';

/** How a capture ended. docs/capture.md explains each, with its exit code. */
export const ENDINGS = [
  'completed',
  'duration',
  'interrupted',
  'terminated',
  'killed',
  'tracer-crashed',
  'tracer-refused',
  'target-exited',
  'attach-failed',
  'disk-full',
  'error',
] as const;
export type Ending = (typeof ENDINGS)[number];

const sipSchema = z.object({
  state: z.enum(['enabled', 'disabled', 'custom', 'unknown', 'n/a']),
  dtraceRestricted: z.boolean().nullable(),
  raw: z.string(),
});

const unfollowedSchema = z.object({
  pid: z.number().int(),
  comm: z.string().nullable(),
  reason: z.enum(['grab_failed', 'exited_before_attach', 'tracer_limit', 'not_stopped', 'tracer_failed', 'capture_stopping']),
  detail: z.string(),
});
/** A process follow mode could not trace, and why. */
export type UnfollowedProcess = z.infer<typeof unfollowedSchema>;

export const metaSchema = z.object({
  metaVersion: z.literal(1),
  loadtraceVersion: z.string(),
  protocolVersion: z.number().int(),
  host: z.object({
    hostname: z.string(),
    platform: z.string(),
    arch: z.string(),
    osVersion: z.string(),
    kernelRelease: z.string(),
  }),
  sip: sipSchema,
  tracer: z.object({
    backend: z.enum(BACKENDS),
    path: z.string(),
    version: z.string().nullable(),
    viaSudo: z.boolean(),
    /** The full argv that was spawned, sudo included. */
    argv: z.array(z.string()),
    pid: z.number().int().nullable(),
  }),
  tool: z.string(),
  target: z.unknown(),
  options: z.unknown(),
  nonce: z.string(),
  script: z.string(),
  /** The baseline the capture was judged with: a copy in the folder (`file`), where it came from, its SHA-256. null: none. */
  baseline: z.object({ file: z.literal(CAPTURE_FILES.baseline), source: z.string(), sha256: z.string() }).nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  ending: z.union([z.literal('running'), z.enum(ENDINGS)]),
  /** One line saying why, e.g. the tracer's refusal message. */
  endingDetail: z.string().nullable(),
  exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }),
  /** loadtrace's own exit code for this capture (null while running). */
  exitCode: z.number().int().nullable(),
  raw: z.object({
    stdoutBytes: z.number().int(),
    stderrBytes: z.number().int(),
    /** Bytes received after a write failure and therefore not kept. */
    lostBytes: z.number().int(),
    writeError: z.string().nullable(),
  }),
  drops: z.object({
    total: z.number().int(),
    byKind: z.record(z.string(), z.number()),
    records: z.number().int(),
    /** drops / (records + drops); 0 when nothing arrived. */
    fraction: z.number(),
    threshold: z.object({ kind: z.enum(['count', 'fraction']), value: z.number() }),
    exceeded: z.boolean(),
    onDrops: z.enum(['log', 'fail']),
  }),
  /** Processes follow mode could not trace, in the form replay hands to the engine's blind spots. */
  notAttached: z.array(z.object({ pid: z.number().int().optional(), name: z.string().optional(), reason: z.string() })),
  findings: z.object({ total: z.number().int(), bySeverity: z.record(z.string(), z.number()) }).nullable(),
  follow: z
    .object({
      maxTracers: z.number().int(),
      watcher: z.object({
        argv: z.array(z.string()),
        exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }).nullable(),
        /** Why the watcher stopped while the capture went on (then nothing new was followed). */
        error: z.string().nullable(),
      }),
      tracers: z.array(
        z.object({
          pid: z.number().int(),
          comm: z.string().nullable(),
          script: z.string(),
          argv: z.array(z.string()),
          exit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }).nullable(),
        }),
      ),
      blindSpots: z.array(unfollowedSchema),
      unterminatedLines: z.number().int(),
    })
    .nullable(),
});
export type CaptureMeta = z.infer<typeof metaSchema>;

/** Writes meta.json in a capture directory, atomically. */
export function writeMeta(dir: string, meta: CaptureMeta): void {
  writeCaptureJson(dir, CAPTURE_FILES.meta, meta);
}

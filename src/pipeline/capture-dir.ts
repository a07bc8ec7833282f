/**
 * The capture directory: its layout, written by a live capture and read back by replay, in
 * one place. A capture may come from someone else's machine, so reading opens only the
 * fixed file names of the layout, refuses links, and validates meta.json before anything
 * in it is used.
 */
import { closeSync, constants, createReadStream, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { TRACE_READ_CHUNK } from '../parse/index.ts';
import { NONCE_PATTERN } from '../protocol/registry.ts';
import { type Os, type Backend, BACKENDS } from '../protocol/flags.ts';

/** The files of a capture directory. Replay opens meta, stdout, stderr and baseline, and nothing else. */
export const CAPTURE_FILES = {
  /** What the capture was and how it ended (metaSchema below), rewritten atomically as it goes. */
  meta: 'meta.json',
  /** The tracer's output, byte for byte. */
  stdout: 'stdout.raw',
  stderr: 'stderr.raw',
  /** The baseline the capture was judged with, when meta.json's `baseline.file` names it. */
  baseline: 'baseline.json',
  /** The findings and summary of the live analysis; replay derives them again from the raw output. */
  findings: 'findings.jsonl',
  summary: 'summary.json',
  /** With --html. */
  report: 'report.html',
} as const;

const scriptExtension = (backend: Backend): string => (backend === 'dtrace' ? 'd' : 'bt');

/** The tracer's script, as run. */
export function scriptFile(backend: Backend): string {
  return `script.${scriptExtension(backend)}`;
}

/** Follow mode: the watcher's script, and the script of the tracer attached to one new process. */
export function followScriptFile(backend: Backend, pid?: number): string {
  return pid === undefined ? `follow.${scriptExtension(backend)}` : `pid-${pid}.${scriptExtension(backend)}`;
}

// Writing. Mode 0600 for every file: the scripts and meta.json hold the nonce (whoever knows it
// can forge records into a later capture's stream), and findings hold traced data.

/** Writes one file of a capture directory. */
export function writeCaptureFile(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text, { mode: 0o600 });
}

/**
 * Writes a JSON file of a capture directory atomically: temporary file in the same folder, fsync,
 * rename over the old one, so a crash at any moment leaves a complete, readable file.
 */
export function writeCaptureJson(dir: string, name: string, value: unknown): void {
  const path = join(dir, name);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

// meta.json: what a capture was and how it ended, defined once. A live capture writes it when
// the tracer starts (ending "running") and again at the end, atomically each time, so a crash
// at any moment leaves a complete, readable file. Replay reads it through metaForReplay, a view
// of the same fields in which all but the nonce may be missing, so folders from older versions
// or made by hand replay; what replay uses is bounded, as a capture may come from someone else.

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

const hostSchema = z.object({
  hostname: z.string(),
  platform: z.string().max(32),
  arch: z.string(),
  osVersion: z.string(),
  kernelRelease: z.string(),
});

const tracerSchema = z.object({
  backend: z.enum(BACKENDS),
  path: z.string(),
  version: z.string().nullable(),
  viaSudo: z.boolean(),
  /** The full argv that was spawned, sudo included. */
  argv: z.array(z.string()),
  pid: z.number().int().nullable(),
});

/** The baseline the capture was judged with: a copy in the folder (`file`), where it came from, its SHA-256. */
const baselineRefSchema = z.object({ file: z.literal(CAPTURE_FILES.baseline), source: z.string(), sha256: z.string() });

/** A process follow mode could not attach, in the form replay hands to the engine's blind spots. */
const notAttachedSchema = z.object({ pid: z.number().int().optional(), name: z.string().max(4096).optional(), reason: z.string().max(4096) });

export const metaSchema = z.object({
  metaVersion: z.literal(1),
  loadtraceVersion: z.string(),
  protocolVersion: z.number().int(),
  host: hostSchema,
  sip: sipSchema,
  tracer: tracerSchema,
  tool: z.string().max(64),
  target: z.unknown(),
  options: z.unknown(),
  nonce: z.string().regex(NONCE_PATTERN, 'nonce must be 16 lowercase hex digits'),
  script: z.string(),
  /** null: none. */
  baseline: baselineRefSchema.nullable(),
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
  notAttached: z.array(notAttachedSchema).max(100_000),
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

/** What replay reads of meta.json: the same fields, none required but the nonce; unknown keys are left out of the result. */
export const metaForReplay = metaSchema
  .pick({ nonce: true, tool: true, ending: true, notAttached: true })
  .partial()
  .required({ nonce: true })
  .extend({
    host: hostSchema.pick({ platform: true }).partial().optional(),
    tracer: tracerSchema.pick({ backend: true }).partial().optional(),
    baseline: baselineRefSchema.pick({ file: true }).nullable().optional(),
  });

/** Writes meta.json in a capture directory, atomically. */
export function writeMeta(dir: string, meta: CaptureMeta): void {
  writeCaptureJson(dir, CAPTURE_FILES.meta, meta);
}

// Reading.

/** Largest baseline.json read back: the shipped ones are a few kilobytes, learned ones rarely more than a megabyte. */
const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

/** Largest meta.json accepted: it is a few kilobytes when loadtrace writes it. */
const MAX_META_BYTES = 1024 * 1024;

/** A capture directory that cannot be replayed as it is; the message names the file and the problem. */
export class CaptureDirError extends Error {
  override name = 'CaptureDirError';
}

export interface CaptureDir {
  readonly dir: string;
  readonly nonce: string;
  readonly os: Os;
  readonly backend: Backend;
  readonly tool: string | null;
  readonly ending: string | null;
  readonly stdoutPath: string;
  /** null when the capture has no stderr file (e.g. it was cut short before the tracer started). */
  readonly stderrPath: string | null;
  /** The baseline recorded with the capture, or null when meta.json names none (older captures). */
  readonly baselinePath: string | null;
  /** Processes a follow session could not attach, with the reason: blind spots of the replay too. */
  readonly notAttached: readonly { pid?: number; name?: string; reason: string }[];
  /** The whole meta.json as parsed, for reports. */
  readonly meta: Record<string, unknown>;
}

function statInside(dir: string, name: string, required: boolean): Stats | null {
  const path = join(dir, name);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return null;
    throw new CaptureDirError(`${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (st.isSymbolicLink()) throw new CaptureDirError(`${path}: is a symbolic link; a capture directory holds only regular files`);
  if (!st.isFile()) throw new CaptureDirError(`${path}: is not a regular file`);
  return st;
}

/** Whether a path is a folder (a capture directory) rather than a raw trace file. */
export function isCaptureDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Open a capture directory for replay, validating its metadata. */
export function openCaptureDir(path: string): CaptureDir {
  const dir = resolve(path);
  const metaStat = statInside(dir, CAPTURE_FILES.meta, true)!;
  const metaPath = join(dir, CAPTURE_FILES.meta);
  if (metaStat.size > MAX_META_BYTES) throw new CaptureDirError(`${metaPath}: ${metaStat.size} bytes, larger than the ${MAX_META_BYTES} a meta.json can be`);
  let text: string;
  let fd: number | undefined;
  try {
    // O_NOFOLLOW and fstat: the file checked above is the file read, even if it is swapped for a link meanwhile.
    fd = openSync(metaPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_META_BYTES) throw new Error(`not a regular file of at most ${MAX_META_BYTES} bytes`);
    text = readFileSync(fd, 'utf8');
  } catch (err) {
    throw new CaptureDirError(`${metaPath}: cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let raw: unknown;
  try {
    // JSON.parse creates own properties only, so a "__proto__" key cannot reach Object.prototype.
    raw = JSON.parse(text);
  } catch (err) {
    throw new CaptureDirError(`${metaPath}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = metaForReplay.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CaptureDirError(`${metaPath}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { cause: parsed.error });
  }
  const m = parsed.data;
  statInside(dir, CAPTURE_FILES.stdout, true);
  const hasStderr = statInside(dir, CAPTURE_FILES.stderr, false) !== null;
  const baselineStat = m.baseline ? statInside(dir, CAPTURE_FILES.baseline, true)! : null;
  if (baselineStat && baselineStat.size > MAX_BASELINE_BYTES) {
    throw new CaptureDirError(`${join(dir, CAPTURE_FILES.baseline)}: ${baselineStat.size} bytes, larger than the ${MAX_BASELINE_BYTES} a baseline can be`);
  }
  const backend = m.tracer?.backend ?? 'dtrace';
  const os: Os = m.host?.platform === 'linux' ? 'linux' : m.host?.platform === 'darwin' ? 'darwin' : backend === 'bpftrace' ? 'linux' : 'darwin';
  return {
    dir,
    nonce: m.nonce,
    os,
    backend,
    tool: m.tool ?? null,
    ending: m.ending ?? null,
    stdoutPath: join(dir, CAPTURE_FILES.stdout),
    stderrPath: hasStderr ? join(dir, CAPTURE_FILES.stderr) : null,
    baselinePath: baselineStat ? join(dir, CAPTURE_FILES.baseline) : null,
    notAttached: m.notAttached ?? [],
    meta: raw as Record<string, unknown>,
  };
}

/** Readable streams of a capture's raw output; O_NOFOLLOW closes the gap between the check above and the open. */
export function captureStreams(c: CaptureDir) {
  const open = (path: string) => {
    try {
      return createReadStream('', { fd: openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW), highWaterMark: TRACE_READ_CHUNK });
    } catch (err) {
      throw new CaptureDirError(`${path}: cannot open: ${(err as Error).message}`, { cause: err });
    }
  };
  return { stdout: open(c.stdoutPath), stderr: c.stderrPath === null ? undefined : open(c.stderrPath) };
}

/** The text of a capture's recorded baseline, read without following a link swapped in since openCaptureDir. */
export function readCaptureBaseline(c: CaptureDir): string | null {
  if (c.baselinePath === null) return null;
  let fd: number | undefined;
  try {
    fd = openSync(c.baselinePath, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_BASELINE_BYTES) throw new Error(`not a regular file of at most ${MAX_BASELINE_BYTES} bytes`);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    throw new CaptureDirError(`${c.baselinePath}: cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

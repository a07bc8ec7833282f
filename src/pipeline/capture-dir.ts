/**
 * The capture directory: its layout, written by a live capture and read back by replay, in
 * one place. A capture may come from someone else's machine, so reading opens only the
 * fixed file names of the layout, refuses links, and validates meta.json before anything
 * in it is used. What meta.json holds is capture/meta.ts's schema; replay reads only the
 * part it needs (metaForReplay), bounded, and accepts captures from older versions.
 */
import { closeSync, constants, createReadStream, fstatSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { TRACE_READ_CHUNK } from '../parse/index.ts';
import { NONCE_PATTERN } from '../protocol/registry.ts';
import { type Os, type Backend, BACKENDS } from '../protocol/flags.ts';

/** The files of a capture directory. Replay opens meta, stdout, stderr and baseline, and nothing else. */
export const CAPTURE_FILES = {
  /** What the capture was and how it ended (capture/meta.ts), rewritten atomically as it goes. */
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

// Reading.

/** Largest baseline.json read back: the shipped ones are a few kilobytes, learned ones rarely more than a megabyte. */
const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

/** Largest meta.json accepted: it is a few kilobytes when loadtrace writes it. */
const MAX_META_BYTES = 1024 * 1024;

/** A capture directory that cannot be replayed as it is; the message names the file and the problem. */
export class CaptureDirError extends Error {
  override name = 'CaptureDirError';
}

// Only what replay needs; unknown keys are kept out of the result rather than trusted.
const metaForReplay = z.object({
  nonce: z.string().regex(NONCE_PATTERN, 'nonce must be 16 lowercase hex digits'),
  tool: z.string().max(64).optional(),
  host: z.object({ platform: z.string().max(32) }).partial().optional(),
  tracer: z.object({ backend: z.enum(BACKENDS) }).partial().optional(),
  ending: z.string().max(64).optional(),
  baseline: z.object({ file: z.literal(CAPTURE_FILES.baseline) }).nullable().optional(),
  notAttached: z
    .array(z.object({ pid: z.number().int().optional(), name: z.string().max(4096).optional(), reason: z.string().max(4096) }))
    .max(100_000)
    .optional(),
});

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

/**
 * Inputs of replay: a capture directory, a raw trace file, stdin ('-'), or
 * trace bytes in memory. Each resolves to byte streams plus what is known of
 * the session (nonce, platform, escaping), so every caller reads inputs alike.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { TRACE_READ_CHUNK, type ParseSummary } from '../parse/index.ts';
import type { Os, Backend } from '../protocol/flags.ts';
import { captureStreams, isCaptureDir, openCaptureDir, type CaptureDir } from './capture-dir.ts';

/**
 * An input that cannot be replayed: missing or unreadable, or read to the end without being a
 * trace. The message names the input and what was found.
 */
export class InputError extends Error {
  override name = 'InputError';
}

export interface InputHints {
  readonly nonce?: string | null;
  readonly os?: Os;
  readonly backend?: Backend;
}

export interface OpenedInput {
  readonly sources: { stdout: Readable; stderr?: Readable };
  readonly nonce: string | null;
  readonly os: Os | undefined;
  readonly backend: Backend | undefined;
  /** Set when the input is a capture directory. */
  readonly capture: CaptureDir | null;
  /** Processes the capture could not attach (follow mode), to be reported as blind spots. */
  readonly notAttached: CaptureDir['notAttached'];
}

/** How far into a raw trace to look for the begin record that names its platform. */
const PEEK_BYTES = 256 * 1024;
const BEGIN_OS = /(?:^|\n)[^\n]*LT\d+:[0-9a-f]{16}\tbegin\t(?:[^\t\n]*\t){6}[^\t\n]*\t(darwin|linux)\t/;

/** The platform a raw trace file's first begin record names, or null. */
export function peekTraceOs(path: string): Os | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(PEEK_BYTES);
    const n = readSync(fd, buf, 0, PEEK_BYTES, 0);
    const m = BEGIN_OS.exec(buf.subarray(0, n).toString('latin1'));
    return m ? (m[1] as Os) : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Open an input. A string is a path ('-' for stdin); a Buffer is trace bytes.
 * Explicit hints win over what a capture directory or the trace itself says.
 */
export function openInput(input: string | Buffer, hints: InputHints = {}): OpenedInput {
  if (Buffer.isBuffer(input)) {
    return { sources: { stdout: Readable.from([input]) }, nonce: hints.nonce ?? null, os: hints.os, backend: hints.backend, capture: null, notAttached: [] };
  }
  if (input === '-') {
    return { sources: { stdout: process.stdin }, nonce: hints.nonce ?? null, os: hints.os, backend: hints.backend, capture: null, notAttached: [] };
  }
  if (isCaptureDir(input)) {
    const cap = openCaptureDir(input);
    return {
      sources: captureStreams(cap),
      nonce: hints.nonce ?? cap.nonce,
      os: hints.os ?? cap.os,
      backend: hints.backend ?? cap.backend,
      capture: cap,
      notAttached: cap.notAttached,
    };
  }
  try {
    const st = statSync(input);
    if (!st.isFile() && !st.isFIFO() && !st.isCharacterDevice()) throw new Error('not a file or a capture directory');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`${input}: cannot read: ${e.code === 'ENOENT' ? 'ENOENT: no such file or directory' : e.message}`, { cause: err });
  }
  return {
    sources: { stdout: createReadStream(input, { highWaterMark: TRACE_READ_CHUNK }) },
    nonce: hints.nonce ?? null,
    os: hints.os ?? peekTraceOs(input) ?? undefined,
    backend: hints.backend,
    capture: null,
    notAttached: [],
  };
}

/** What a name for an input reads as in messages. */
export function inputName(input: string | Buffer): string {
  return Buffer.isBuffer(input) ? 'trace bytes' : input === '-' ? 'standard input' : input;
}

/**
 * Refuses input that was read to the end without being a trace: no records at all, or no begin
 * record (every loadtrace script prints one first). `allowEmpty` accepts both, for a capture
 * known to have ended before the tracer printed anything.
 */
export function checkIsTrace(name: string, parse: ParseSummary, allowEmpty: boolean): void {
  if (allowEmpty) return;
  const begins = parse.recordsByKind.begin ?? 0;
  if (parse.records > 0 && begins > 0) return;
  const found =
    parse.lines === 0
      ? 'it is empty'
      : `its ${parse.lines} lines hold ${parse.records === 0 ? 'no records' : `${parse.records} records but no begin record`} (${parse.foreign} foreign, ${parse.blank} blank, ${parse.parseErrors} malformed, ${parse.forged} with a wrong nonce)`;
  throw new InputError(`${name}: not a loadtrace trace: ${found}; pass --allow-empty (allowEmpty) if that is expected`);
}

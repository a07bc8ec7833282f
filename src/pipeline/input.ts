/**
 * Inputs of replay: a capture directory, a raw trace file, stdin ('-'), or
 * trace bytes in memory. Each resolves to byte streams plus what is known of
 * the session (nonce, platform, escaping), so every caller reads inputs alike.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { TRACE_READ_CHUNK } from '../parse/index.ts';
import type { Os } from '../protocol/flags.ts';
import { captureStreams, isCaptureDir, openCaptureDir, type CaptureDir } from './capture-dir.ts';

export interface InputHints {
  readonly nonce?: string | null;
  readonly os?: Os;
  readonly backend?: 'dtrace' | 'bpftrace';
}

export interface OpenedInput {
  readonly sources: { stdout: Readable; stderr?: Readable };
  readonly nonce: string | null;
  readonly os: Os | undefined;
  readonly backend: 'dtrace' | 'bpftrace' | undefined;
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
  return {
    sources: { stdout: createReadStream(input, { highWaterMark: TRACE_READ_CHUNK }) },
    nonce: hints.nonce ?? null,
    os: hints.os ?? peekTraceOs(input) ?? undefined,
    backend: hints.backend,
    capture: null,
    notAttached: [],
  };
}

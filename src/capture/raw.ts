/**
 * Raw output files of a capture: the tracer's bytes, verbatim, on disk before
 * anything else reads them (DESIGN contract 6). Writes are synchronous so
 * that once a chunk is handed over it is in the kernel, and a crash of
 * loadtrace loses nothing already received; an fsync follows within a second
 * so a power loss loses at most that second.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/** The file side of a raw sink; injectable so tests can fail a write with ENOSPC. */
export interface RawFile {
  /** Writes every byte or throws (a short write is retried until done or an error). */
  write(chunk: Uint8Array): void;
  sync(): void;
  close(): void;
}

export type RawFileOpener = (path: string) => RawFile;

/** Opens a raw file for appending, creating it with mode 0600 (traced data can be sensitive). */
export const openRawFile: RawFileOpener = (path) => {
  const fd = openSync(path, 'a', 0o600);
  return {
    write(chunk) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    sync() {
      fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
};

/** Why a raw sink stopped accepting bytes. */
export interface RawWriteFailure {
  readonly path: string;
  /** errno code: ENOSPC, EDQUOT, EIO… */
  readonly code: string;
  readonly message: string;
  readonly diskFull: boolean;
}

/**
 * One raw file. After the first write error it keeps nothing more (so the file
 * holds an exact prefix of what arrived) and counts what it could not keep.
 */
export class RawSink {
  private file: RawFile | null;
  private dirty = false;
  /** Bytes on disk. */
  written = 0;
  /** Bytes received after a write failure, not kept. */
  lost = 0;
  failure: RawWriteFailure | null = null;

  constructor(
    readonly path: string,
    opener: RawFileOpener,
    private readonly onFailure: (f: RawWriteFailure) => void,
  ) {
    this.file = opener(path);
  }

  /** Appends a chunk; returns false when it could not be kept. */
  write(chunk: Uint8Array): boolean {
    if (!this.file || this.failure) {
      this.lost += chunk.length;
      return false;
    }
    try {
      this.file.write(chunk);
      this.written += chunk.length;
      this.dirty = true;
      return true;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? 'EIO';
      this.failure = {
        path: this.path,
        code,
        message: e.message,
        diskFull: code === 'ENOSPC' || code === 'EDQUOT',
      };
      this.lost += chunk.length;
      this.onFailure(this.failure);
      return false;
    }
  }

  /** Counts a chunk that is deliberately not kept (another file of the capture failed). */
  discard(chunk: Uint8Array): void {
    this.lost += chunk.length;
  }

  /** fsyncs if anything was written since the last sync; errors are ignored here and surface on write. */
  sync(): void {
    if (!this.file || !this.dirty) return;
    try {
      this.file.sync();
      this.dirty = false;
    } catch {
      // fsync failing on a full disk is reported by the write that hits it.
    }
  }

  close(): void {
    if (!this.file) return;
    this.sync();
    try {
      this.file.close();
    } catch {
      // Nothing left to save.
    }
    this.file = null;
  }
}

/**
 * Merges several byte streams into one line by line, so lines of concurrent
 * tracers never interleave inside a line. A source's last unterminated piece
 * is written at its end with a newline added (counted in `unterminated`), so
 * it cannot glue itself to another tracer's next line.
 */
export class LineMerger {
  private readonly partial = new Map<string, Buffer>();
  unterminated = 0;

  constructor(private readonly out: (chunk: Buffer) => void) {}

  /** Writes every complete line of `chunk` for `source`; keeps the rest for later. */
  push(source: string, chunk: Buffer): void {
    const prev = this.partial.get(source);
    const buf = prev ? Buffer.concat([prev, chunk]) : chunk;
    const cut = buf.lastIndexOf(0x0a);
    if (cut < 0) {
      this.partial.set(source, buf);
      return;
    }
    this.out(buf.subarray(0, cut + 1));
    if (cut + 1 < buf.length) this.partial.set(source, Buffer.from(buf.subarray(cut + 1)));
    else this.partial.delete(source);
  }

  /** Ends a source: its unterminated tail, if any, goes out with a newline. */
  end(source: string): void {
    const rest = this.partial.get(source);
    this.partial.delete(source);
    if (rest && rest.length > 0) {
      this.unterminated++;
      this.out(Buffer.concat([rest, Buffer.from('\n')]));
    }
  }
}

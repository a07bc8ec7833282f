/**
 * Bytes to text for a parser core: UTF-8 decoded across chunk boundaries (a
 * character cut between two reads stays whole), in pieces of at most
 * DECODE_SLICE bytes. Trace files are read in large pieces (TRACE_READ_CHUNK),
 * but a longer string would be a large object, which V8 frees only in a full
 * collection, and the reorder window holds such text while its records wait.
 */
import { StringDecoder } from 'node:string_decoder';

/** Most bytes decoded to one string at a time. */
export const DECODE_SLICE = 64 * 1024;

/** What takes the decoded text: a parser core (parser.ts), in the worker or in the main thread. */
export interface TextSink {
  write(text: string): void;
  finish(): void;
}

export class TextFeed {
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly core: TextSink) {}

  /** Decode and parse a piece of input. */
  write(chunk: Buffer | string): void {
    if (typeof chunk === 'string') {
      if (chunk.length !== 0) this.core.write(chunk);
      return;
    }
    for (let o = 0; o < chunk.length; o += DECODE_SLICE) {
      const text = this.decoder.write(chunk.subarray(o, o + DECODE_SLICE));
      if (text.length !== 0) this.core.write(text);
    }
  }

  /** End of input: what the decoder still holds, then whatever the core has pending. */
  end(): void {
    const rest = this.decoder.end();
    if (rest.length !== 0) this.core.write(rest);
    this.core.finish();
  }
}

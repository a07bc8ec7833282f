/**
 * The parser as a stream: the Transform that feeds a ParserCore bytes (or
 * strings) and either pushes its items (createParser) or hands them to a
 * callback (createParserSink, the pipeline's input).
 */
import { Transform } from 'node:stream';
import type { HeldRecords } from './held.ts';
import type { ParserOptions } from './options.ts';
import { ParserCore } from './parser.ts';
import type { ParseSummary } from './summary.ts';
import { TextFeed } from './text-feed.ts';
import type { ParseItem } from './types.ts';

/** The parser as a Transform stream: bytes in, ParseItems out (object mode). */
export type ParserStream = Transform & {
  /** Summary of what has been parsed so far. */
  summary(): ParseSummary;
};

/** Create the streaming parser. */
export function createParser(opts?: ParserOptions): ParserStream {
  let stream: Transform;
  const core = new ParserCore(opts, (item) => stream.push(item));
  stream = coreStream(core);
  return Object.assign(stream, { summary: () => core.result() });
}

/**
 * The parser as a byte sink that hands every item to `onItem` as it is parsed
 * instead of pushing it: the pipeline's input, which spares one stream object
 * per line. With `held`, records go into that reorder window undecoded instead
 * of reaching `onItem`. With `ready`, each piece of input is acknowledged only
 * once the promise it returns (if any) settles, so that whoever consumes the
 * items can hold the input back. Its readable side carries no items and ends
 * when the input does.
 */
export function createParserSink(
  opts: ParserOptions | undefined,
  onItem: (item: ParseItem) => void,
  held?: HeldRecords,
  ready?: () => Promise<void> | null,
): ParserStream {
  const core = new ParserCore(opts, onItem, held);
  const stream = coreStream(core, ready);
  stream.resume();
  return Object.assign(stream, { summary: () => core.result() });
}

/**
 * The stream that feeds a parser core: bytes (or strings) in, decoded as UTF-8 across chunk
 * boundaries (TextFeed), nothing out; it ends when its input does. `ready`, when it returns a
 * promise, holds back the next piece of input until it settles.
 */
export function coreStream(core: ParserCore, ready?: () => Promise<void> | null): Transform {
  const feed = new TextFeed(core);
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer | string, _enc, cb) {
      try {
        feed.write(chunk);
      } catch (err) {
        cb(err as Error);
        return;
      }
      // Output that cannot keep up (replay --events into a slow pipe) holds the input back instead of piling up.
      const wait = ready === undefined ? null : ready();
      if (wait === null) cb();
      else wait.then(() => cb(), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    },
    flush(cb) {
      try {
        feed.end();
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb();
    },
  });
}

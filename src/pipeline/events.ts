/**
 * Events of one input in time order, without the engine: what `baseline
 * learn` and library users who only want events need. Records wait in the
 * reorder window undecoded, as in the pipeline (parse/held.ts), and the input
 * is read no further than the consumer has taken.
 */
import { pipeline } from 'node:stream/promises';
import { createParserSink, HeldRecords, type ParserOptions } from '../parse/index.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import { inputName, InputError, openInput } from './input.ts';

/** Events decoded and waiting for the consumer before the input is held back. */
const QUEUE_HIGH = 4096;

/** Events of a capture directory, a raw trace file, `-` (stdin) or trace bytes, in time order. */
export async function* readEvents(input: string | Buffer, opts: ParserOptions = {}): AsyncGenerator<TraceEvent> {
  const opened = openInput(input, opts);
  const source = opened.sources.stdout;
  const queue: TraceEvent[] = [];
  // The consumer waiting for events (or the end), and the input waiting for the consumer.
  let waiting: (() => void) | null = null;
  let paused: (() => void) | null = null;
  const wake = () => {
    const w = waiting;
    waiting = null;
    w?.();
  };
  const held = new HeldRecords({ windowMs: opts.reorderWindowMs, maxEvents: opts.reorderMaxEvents }, { event: (e) => void queue.push(e), diagnostic: () => {} });
  const sink = createParserSink({ ...opts, nonce: opened.nonce, os: opened.os, backend: opened.backend }, () => {}, held, () => {
    wake();
    return queue.length >= QUEUE_HIGH ? new Promise<void>((resolve) => (paused = resolve)) : null;
  });
  let finished = false;
  let failure: unknown = null;
  void pipeline(source, sink)
    .then(
      () => held.flush(),
      (err: unknown) => {
        failure = err;
      },
    )
    .finally(() => {
      finished = true;
      wake();
    });
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue.splice(0);
        const go = paused as (() => void) | null;
        paused = null;
        go?.();
        yield* batch;
        continue;
      }
      if (failure !== null) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (waiting = resolve));
    }
  } finally {
    // The consumer stopped early (break, or an error of its own): stop reading.
    if (!finished) {
      source.destroy();
      sink.destroy();
      const go = paused as (() => void) | null;
      go?.();
    }
  }
}

/**
 * readEvents for input that must be a trace: an input that ends without a begin record (a
 * binary, text, an empty file) is an InputError naming it, not an empty list of events.
 */
export async function* readTraceEvents(input: string | Buffer, opts: ParserOptions = {}): AsyncGenerator<TraceEvent> {
  let begun = false;
  let count = 0;
  for await (const e of readEvents(input, opts)) {
    if (e.kind === 'begin') begun = true;
    count++;
    yield e;
  }
  if (!begun) throw new InputError(`${inputName(input)}: not a loadtrace trace: ${count === 0 ? 'no records' : `${count} records but no begin record`}`);
}

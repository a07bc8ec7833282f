/**
 * Events of one input in time order, without the engine: what `baseline
 * learn` and library users who only want events need.
 */
import { createParser, ReorderWindow, type ParserOptions } from '../parse/index.ts';
import type { TraceEvent } from '../protocol/registry.ts';
import { openInput } from './input.ts';

/** Events of a capture directory, a raw trace file, `-` (stdin) or trace bytes, in time order. */
export async function* readEvents(input: string | Buffer, opts: ParserOptions = {}): AsyncGenerator<TraceEvent> {
  const opened = openInput(input, opts);
  const stdout = opened.sources.stdout;
  const parser = createParser({ ...opts, nonce: opened.nonce, os: opened.os, backend: opened.backend });
  const window = new ReorderWindow({ windowMs: opts.reorderWindowMs, maxEvents: opts.reorderMaxEvents });
  const ready: TraceEvent[] = [];
  const release = (e: TraceEvent) => void ready.push(e);
  stdout.on('error', (err) => parser.destroy(err));
  stdout.pipe(parser);
  for await (const item of parser) {
    if (item.type === 'record') window.push(item.event, release);
    if (ready.length > 0) yield* ready.splice(0);
  }
  window.flush(release);
  yield* ready;
}

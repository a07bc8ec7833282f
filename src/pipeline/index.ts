/**
 * The pipeline: raw tracer output in, findings out. Live capture and replay
 * both run through here, so a recorded trace gives the findings the live run
 * gave (DESIGN data flow).
 */
import { createReadStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import type { NotAttached } from '../engine/index.ts';
import { createParserSink, HeldRecords, TRACE_READ_CHUNK, type ParseItem } from '../parse/index.ts';
import { engineSide, mergeSummaries } from './engine-side.ts';
import { replayInWorker, useWorker } from './threaded.ts';
import type { Pipeline, PipelineOptions, PipelineResult } from './types.ts';

export { mergeSummaries } from './engine-side.ts';
export { WORKER_MIN_BYTES } from './threaded.ts';
export type { Pipeline, PipelineOptions, PipelineProgress, PipelineResult } from './types.ts';

/** Build a pipeline; write bytes to `stdout` and `stderr`, end both, then await `finish()`. */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const parserOpts = {
    nonce: opts.nonce,
    os: opts.os,
    backend: opts.backend,
    maxLineLength: opts.maxLineLength,
  };
  const side = engineSide(opts);
  const onDiagnostic = side.diagnostic;
  // Records wait in the window undecoded and become events as they leave it (parse/held.ts).
  const window = new HeldRecords(
    { windowMs: opts.reorderWindowMs, maxEvents: opts.reorderMaxEvents },
    {
      event: side.event,
      diagnostic: onDiagnostic,
    },
  );
  const onItem = (item: ParseItem) => {
    if (item.type === 'diagnostic') onDiagnostic(item);
  };
  // Items are handed over as they are parsed: no stream object per line.
  const onForeign = opts.onForeign;
  const onStdoutItem = onForeign
    ? (item: ParseItem) => {
        if (item.type === 'foreign') onForeign(item.text);
        else onItem(item);
      }
    : onItem;
  const stdout = createParserSink(parserOpts, onStdoutItem, window, opts.outputReady);
  const stderr = createParserSink(parserOpts, onItem, window, opts.outputReady);
  const drained = [stdout, stderr].map(
    (s) =>
      new Promise<void>((resolve, reject) => {
        s.on('end', resolve);
        s.on('error', reject);
      }),
  );
  // finish() awaits these; until it is called (or when feeding failed first and it never is),
  // a stream error must not count as an unhandled rejection that kills the host process.
  for (const d of drained) d.catch(() => {});

  return {
    stdout,
    stderr,
    progress() {
      const a = stdout.summary();
      const b = stderr.summary();
      return { lines: a.lines + b.lines, records: a.records, drops: a.drops.total + b.drops.total, findings: side.findings() };
    },
    async finish(extra) {
      await Promise.all(drained);
      window.flush();
      const out = stdout.summary();
      const err = stderr.summary();
      const parse = mergeSummaries(out, err);
      parse.late = window.late;
      const report = side.engine.finish({ parse, notAttached: extra?.notAttached });
      return { report, parse, streams: { stdout: out, stderr: err } };
    },
  };
}

/** Replay byte streams (a capture's stdout and stderr, or one mixed raw trace) through a fresh pipeline. */
export async function replayStreams(
  sources: { stdout: Readable; stderr?: Readable },
  opts: PipelineOptions,
  extra?: { notAttached?: readonly NotAttached[]; started?: (p: Pipeline) => void },
): Promise<PipelineResult> {
  if (useWorker(sources, opts)) return replayInWorker(sources, opts, extra);
  const p = createPipeline(opts);
  const feed = (src: Readable | undefined, dst: Writable) => (src ? pipe(src, dst) : Promise.resolve(void dst.end()));
  const feeding = Promise.all([feed(sources.stdout, p.stdout), feed(sources.stderr, p.stderr)]);
  // Once the sources are piped: a listener added before would start them flowing on its own.
  extra?.started?.(p);
  try {
    await feeding;
  } catch (err) {
    // A source that fails (unreadable, gone) ends the replay: nothing is left reading or waiting.
    for (const s of [sources.stdout, sources.stderr, p.stdout, p.stderr]) s?.destroy();
    throw err;
  }
  return p.finish(extra);
}

/** Replay a raw trace file ('-' for stdin) through a fresh pipeline. */
export async function replayFile(path: string, opts: PipelineOptions): Promise<PipelineResult> {
  const stdout = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: TRACE_READ_CHUNK });
  return replayStreams({ stdout }, opts);
}

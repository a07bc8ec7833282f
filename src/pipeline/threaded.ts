/**
 * Replay on two threads: the worker (replay-worker.ts) decodes, splits and
 * parses the input and keeps the reorder window; this thread reads the input,
 * rebuilds the events from the worker's columns and runs the engine on them.
 * The engine sees the same events, diagnostics and foreign lines in the same
 * order as on one thread, so everything it reports is the same.
 *
 * Memory stays bounded: both directions go through a few reused slots of
 * shared memory (replay-worker.ts). Reading waits while every input slot is
 * with the worker, and the worker waits while every batch slot is with the
 * engine.
 */
import { fstatSync, ReadStream, statSync } from 'node:fs';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { NotAttached } from '../engine/index.ts';
import { checkParserOptions } from '../parse/options.ts';
import { SummaryAccumulator, type ParseSummary } from '../parse/summary.ts';
import type { ParserStream } from '../parse/parser-stream.ts';
import { batchSlot, BatchReader, type EventBatch } from './event-columns.ts';
import { TRACE_READ_CHUNK } from '../parse/options.ts';
import type { WorkerSetup } from './replay-worker.ts';
import { engineSide, mergeSummaries } from './engine-side.ts';
import type { Pipeline, PipelineOptions, PipelineProgress, PipelineResult } from './types.ts';

/** Input slots (TRACE_READ_CHUNK bytes each): pieces read ahead of the parser. */
const INPUT_SLOTS = 4;
/** Batch slots: batches parsed ahead of the engine. */
const OUTPUT_SLOTS = 4;

/**
 * The worker's young generation in MiB (Worker `resourceLimits.maxYoungGenerationSizeMb`): two
 * semi-spaces of 8 MiB (V8 makes each a third of this, rounded up to a power of two). By default a
 * worker gets what the process gets, two of 16 MiB, resident once parsing has filled them, so two
 * threads held 32 MiB of young generation more than one. At 8 MiB the worker collects twice as
 * often for no more CPU time; at 4 MiB (12 here) its CPU time grew by about a tenth
 * (docs/performance.md). It is no limit on what the worker holds: that is promoted to the old
 * generation, which keeps the process's limit.
 */
export const WORKER_YOUNG_MB = 24;

/**
 * Inputs at least this large replay on two threads (`LOADTRACE_REPLAY_THREADS=1|2`, or the
 * `replayThreads` option, decides instead): below it, starting the worker costs more than it
 * saves (docs/performance.md).
 */
export const WORKER_MIN_BYTES = 32 * 1024 * 1024;

/** Size in bytes of a source that is a file being read, or null (stdin, a pipe, bytes in memory). */
function fileSize(s: Readable | undefined): number | null {
  if (!(s instanceof ReadStream)) return null;
  // A stream opened on a descriptor (capture directories) has it from the start; one opened on a path, its path.
  const fd = (s as ReadStream & { fd?: number | null }).fd;
  try {
    const st = typeof fd === 'number' ? fstatSync(fd) : typeof s.path === 'string' && s.path !== '' ? statSync(s.path) : null;
    return st !== null && st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/** Whether to replay these sources on two threads. */
export function useWorker(sources: { stdout: Readable; stderr?: Readable }, opts: PipelineOptions, cpus: number = availableParallelism()): boolean {
  const forced = opts.replayThreads ?? process.env.LOADTRACE_REPLAY_THREADS;
  if (forced === 1 || forced === '1') return false;
  if (forced === 2 || forced === '2') return true;
  // With one CPU the threads take turns: every hand-over waits for the other to be scheduled.
  if (cpus < 2) return false;
  const out = fileSize(sources.stdout);
  if (out === null) return false;
  const err = sources.stderr === undefined ? 0 : fileSize(sources.stderr);
  return err !== null && out + err >= WORKER_MIN_BYTES;
}

/** Node flags a worker is given, with whether each takes a value (`--import tsx` or `--import=tsx`). */
const WORKER_FLAGS = new Map<string, boolean>([
  // The module loader's: hooks such as tsx's, registered by --import or --require, run in each thread that loads modules.
  ['--import', true],
  ['--require', true],
  ['-r', true],
  ['--loader', true],
  ['--experimental-loader', true],
  ['--conditions', true],
  ['-C', true],
  // What the worker prints to stderr, as the process would.
  ['--no-warnings', false],
  ['--no-deprecation', false],
  ['--disable-warning', true],
  ['--enable-source-maps', false],
]);

/**
 * The process's flags a worker is given: only those of WORKER_FLAGS. A worker refuses V8's flags
 * (--max-semi-space-size, --trace-gc, --stack-size, …) and Node's process-wide ones with
 * ERR_WORKER_INVALID_EXEC_ARGV, and --input-type (of `node --input-type=module -e …`) would refuse
 * its file; none of them changes what a replay finds.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const takesValue = WORKER_FLAGS.get(name);
    if (takesValue === undefined) continue;
    out.push(a);
    if (takesValue && eq < 0 && i + 1 < execArgv.length) out.push(execArgv[++i]!);
  }
  return out;
}

/**
 * The worker's code is beside this module: compiled JavaScript in dist/, or TypeScript when the
 * sources run directly (tests, tsx), where the worker registers tsx's loader before loading it.
 */
function startWorker(setup: WorkerSetup): Worker {
  const options = { workerData: setup, execArgv: workerExecArgv(process.execArgv), resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./replay-worker.js', import.meta.url), options);
  // tsx's ESM entry, found through its package.json from here (the worker's own base is not this file).
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = createRequire(import.meta.url)('tsx/package.json') as { exports: Record<string, { import: { default: string } }> };
  const tsx = new URL(exports['./esm/api']!.import.default, pathToFileURL(pkg)).href;
  const entry = new URL('./replay-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/** replayStreams on two threads. */
export async function replayInWorker(
  sources: { stdout: Readable; stderr?: Readable },
  opts: PipelineOptions,
  extra?: { notAttached?: readonly NotAttached[]; started?: (p: Pipeline) => void },
): Promise<PipelineResult> {
  const side = engineSide(opts);
  const parser = checkParserOptions({ nonce: opts.nonce, os: opts.os, backend: opts.backend, maxLineLength: opts.maxLineLength });
  const input = Array.from({ length: INPUT_SLOTS }, () => new SharedArrayBuffer(TRACE_READ_CHUNK));
  const output = Array.from({ length: OUTPUT_SLOTS }, () => batchSlot());
  const state = new Int32Array(new SharedArrayBuffer(4 * OUTPUT_SLOTS));
  const worker = startWorker({
    parser,
    window: { windowMs: opts.reorderWindowMs, maxEvents: opts.reorderMaxEvents },
    foreign: opts.onForeign !== undefined,
    input,
    output: output.map((o) => o.buffers),
    state: state.buffer as SharedArrayBuffer,
  });
  const reader = new BatchReader();
  const onForeign = opts.onForeign;
  const sink = { event: side.event, diagnostic: side.diagnostic, foreign: onForeign ?? (() => {}) };
  let progress = { lines: 0, records: 0, drops: 0 };
  let final: { stdout: ParseSummary; stderr: ParseSummary; late: number } | null = null;

  // Input: each piece is copied into a free input slot (the source's buffer stays its own, for
  // its other listeners such as the progress line); a piece larger than a slot takes several.
  const freeInput = input.map((_, i) => i);
  const waitingForSlot: (() => void)[] = [];
  const put = (s: 0 | 1, b: Buffer, cb: () => void): void => {
    let o = 0;
    const step = (): void => {
      while (o < b.length) {
        const slot = freeInput.pop();
        if (slot === undefined) {
          waitingForSlot.push(step);
          return;
        }
        const len = Math.min(TRACE_READ_CHUNK, b.length - o);
        new Uint8Array(input[slot]!).set(b.subarray(o, o + len));
        o += len;
        worker.postMessage({ t: 'data', s, slot, len });
      }
      cb();
    };
    step();
  };
  const makeSink = (s: 0 | 1): ParserStream => {
    const t = new Transform({
      readableObjectMode: true,
      transform(chunk: Buffer | string, _enc, cb) {
        put(s, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, () => cb());
      },
      flush(cb) {
        worker.postMessage({ t: 'end', s });
        cb();
      },
    });
    t.resume();
    const empty = new SummaryAccumulator({ authenticated: parser.nonce != null, nonce: parser.nonce ?? null, os: parser.os ?? 'darwin' });
    return Object.assign(t, { summary: () => (final !== null ? (s === 0 ? final.stdout : final.stderr) : empty.result()) });
  };
  const stdout = makeSink(0);
  const stderr = makeSink(1);

  // Output: batches in order; each slot goes back to the worker once the engine has taken its
  // batch (and output written by onEvent has drained).
  const queue: unknown[] = [];
  let busy = false;
  let settle: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {});
  let failed = false;
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    settle!.reject(err);
  };
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length > 0 && !failed) {
        const m = queue.shift() as { t: string } & Record<string, unknown>;
        if (m.t === 'batch') {
          for (const slot of m.freed as number[]) freeInput.push(slot);
          while (freeInput.length > 0 && waitingForSlot.length > 0) waitingForSlot.shift()!();
          progress = m.progress as typeof progress;
          const slot = m.slot as number;
          reader.read(m.batch as EventBatch, output[slot]!, sink);
          const wait = opts.outputReady?.() ?? null;
          if (wait !== null) await wait;
          Atomics.store(state, slot, 0);
          Atomics.notify(state, slot);
        } else if (m.t === 'done') {
          final = { stdout: m.stdout as ParseSummary, stderr: m.stderr as ParseSummary, late: m.late as number };
          settle!.resolve();
        } else if (m.t === 'error') {
          const e = new Error(m.message as string);
          e.name = m.name as string;
          e.stack = m.stack as string;
          fail(e);
        }
      }
    } catch (err) {
      fail(err);
    } finally {
      busy = false;
    }
  };
  worker.on('message', (m) => {
    queue.push(m);
    void pump();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (final === null) fail(new Error(`replay worker exited (code ${code}) before the end of its input`));
  });

  const pipeline: Pipeline = {
    stdout,
    stderr,
    progress(): PipelineProgress {
      return { ...progress, findings: side.findings() };
    },
    async finish() {
      throw new Error('a replay on two threads finishes by itself');
    },
  };
  const feed = (src: Readable | undefined, dst: Writable) => (src ? pipe(src, dst) : Promise.resolve(void dst.end()));
  const feeding = Promise.all([feed(sources.stdout, stdout), feed(sources.stderr, stderr)]);
  extra?.started?.(pipeline);
  try {
    // Either may fail first; a worker that failed would leave the input waiting for it.
    await Promise.all([feeding, done]);
  } catch (err) {
    for (const s of [sources.stdout, sources.stderr, stdout, stderr]) s?.destroy();
    void worker.terminate();
    throw err;
  }
  void worker.terminate();
  const out = final!.stdout;
  const err = final!.stderr;
  const parse = mergeSummaries(out, err);
  parse.late = final!.late;
  const report = side.engine.finish({ parse, notAttached: extra?.notAttached });
  return { report, parse, streams: { stdout: out, stderr: err } };
}

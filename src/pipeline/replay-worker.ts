/**
 * The replay worker: decodes, finds lines in and parses the bytes the main
 * thread reads (a trace's stdout and stderr), holds records in the reorder
 * window, and hands the events on in time order as columns
 * (event-columns.ts), while the engine works on the main thread.
 *
 * Both directions go through a few slots of shared memory, reused: input
 * pieces are copied into an input slot by the main thread, and each batch is
 * written into an output slot, which the main thread hands back (`state`)
 * once the engine has taken it. With every output slot taken the worker
 * waits (Atomics.wait), so it parses no further than the engine allows, and
 * the main thread reads no further than there are free input slots: memory
 * stays bounded by the slots.
 *
 * Messages in: `data` (stream 0 or 1, input slot, length), `end` (stream).
 * Out: `batch` (its output slot, the input slots it has done with, the counts
 * progress shows), `done` with both streams' summaries and the late count,
 * `error`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HeldRecords } from '../parse/held.ts';
import { ParserCore } from '../parse/parser.ts';
import { TextFeed } from '../parse/text-feed.ts';
import type { ParseItem, ParserOptions } from '../parse/index.ts';
import { batchSlot, BatchWriter, type BatchSlot, type EventBatch } from './event-columns.ts';

export interface WorkerSetup {
  readonly parser: ParserOptions;
  readonly window: { readonly windowMs?: number; readonly maxEvents?: number };
  /** Whether stdout's foreign lines are wanted (onForeign). */
  readonly foreign: boolean;
  readonly input: readonly SharedArrayBuffer[];
  readonly output: readonly { entries: SharedArrayBuffer; numbers: SharedArrayBuffer }[];
  /** Per output slot: 1 while the worker writes it or the main thread reads it, 0 when free. */
  readonly state: SharedArrayBuffer;
}

type Message = { t: 'data'; s: 0 | 1; slot: number; len: number } | { t: 'end'; s: 0 | 1 };

const port = parentPort!;
const setup = workerData as WorkerSetup;
const state = new Int32Array(setup.state);
const slots = setup.output.map((b) => batchSlot(b));
const inputs = setup.input.map((b) => Buffer.from(b));
let current = 0;
let freed: number[] = [];
/** Set while parsing, for the counts sent with each batch. */
let cores: readonly [ParserCore, ParserCore] | null = null;

function next(batch: EventBatch): BatchSlot {
  const a = cores![0].summary;
  const b = cores![1].summary;
  port.postMessage({ t: 'batch', slot: current, batch, freed, progress: { lines: a.lines + b.lines, records: a.records, drops: a.dropsTotal + b.dropsTotal } });
  freed = [];
  current = (current + 1) % slots.length;
  // The engine has not taken the batch written here last time round: wait until it has.
  while (Atomics.load(state, current) !== 0) Atomics.wait(state, current, 1);
  Atomics.store(state, current, 1);
  return slots[current]!;
}

Atomics.store(state, 0, 1);
const out = new BatchWriter(slots[0]!, next);
const held = new HeldRecords({ windowMs: setup.window.windowMs, maxEvents: setup.window.maxEvents }, out);
const onItem = (item: ParseItem): void => {
  if (item.type === 'diagnostic') out.diagnostic(item);
};
const onStdoutItem = setup.foreign
  ? (item: ParseItem): void => {
      if (item.type === 'foreign') out.foreign(item.text);
      else onItem(item);
    }
  : onItem;
cores = [new ParserCore(setup.parser, onStdoutItem, held), new ParserCore(setup.parser, onItem, held)];
const feeds = [new TextFeed(cores[0]), new TextFeed(cores[1])] as const;
const ended = [false, false];

port.on('message', (m: Message) => {
  try {
    if (m.t === 'data') {
      feeds[m.s].write(inputs[m.slot]!.subarray(0, m.len));
      freed.push(m.slot);
      out.send();
      return;
    }
    feeds[m.s].end();
    ended[m.s] = true;
    if (ended[0] && ended[1]) {
      held.flush();
      out.send();
      port.postMessage({ t: 'done', stdout: cores![0].result(), stderr: cores![1].result(), late: held.late });
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ t: 'error', name: e.name, message: e.message, stack: e.stack });
  }
});

/**
 * The replay worker: reads nothing itself, but decodes, finds lines in and
 * parses the bytes the main thread sends (a trace's stdout and stderr), holds
 * records in the reorder window and hands the events on in time order, as
 * columns (event-columns.ts), while the engine works on the main thread.
 *
 * Messages in: `data` (stream 0 or 1, an ArrayBuffer given up by the sender),
 * `end` (stream), `ack` (a batch was consumed). Out: `batch` after each piece
 * of input (with how many pieces it consumed, for the sender's bound, and the
 * counts progress shows), `done` with both streams' summaries and the late count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HeldRecords } from '../parse/held.ts';
import { ParserCore } from '../parse/parser.ts';
import { TextFeed } from '../parse/text-feed.ts';
import type { ParseItem, ParserOptions } from '../parse/index.ts';
import { BatchWriter } from './event-columns.ts';

export interface WorkerSetup {
  readonly parser: ParserOptions;
  readonly window: { readonly windowMs?: number; readonly maxEvents?: number };
  /** Whether stdout's foreign lines are wanted (onForeign). */
  readonly foreign: boolean;
  /** Batches sent and not yet acknowledged before the worker stops taking input. */
  readonly batchesAhead: number;
}

type Message = { t: 'data'; s: 0 | 1; buf: ArrayBuffer } | { t: 'end'; s: 0 | 1 } | { t: 'ack' };

const port = parentPort!;
const setup = workerData as WorkerSetup;
const out = new BatchWriter();
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
const cores = [new ParserCore(setup.parser, onStdoutItem, held), new ParserCore(setup.parser, onItem, held)] as const;
const feeds = [new TextFeed(cores[0]), new TextFeed(cores[1])] as const;
const ended = [false, false];
const consumed = [0, 0];
const waiting: Message[] = [];
let unacked = 0;

function send(): void {
  const { batch, transfer } = out.take();
  const a = cores[0].summary;
  const b = cores[1].summary;
  port.postMessage(
    { t: 'batch', batch, consumed: [consumed[0], consumed[1]], progress: { lines: a.lines + b.lines, records: a.records, drops: a.dropsTotal + b.dropsTotal } },
    transfer,
  );
  consumed[0] = 0;
  consumed[1] = 0;
  unacked++;
}

function handle(m: Message): void {
  if (m.t === 'data') {
    feeds[m.s].write(Buffer.from(m.buf));
    consumed[m.s] = consumed[m.s]! + 1;
    send();
    return;
  }
  if (m.t === 'end') {
    feeds[m.s].end();
    ended[m.s] = true;
    if (ended[0] && ended[1]) {
      held.flush();
      send();
      port.postMessage({ t: 'done', stdout: cores[0].result(), stderr: cores[1].result(), late: held.late });
    }
  }
}

port.on('message', (m: Message) => {
  try {
    if (m.t === 'ack') unacked--;
    else waiting.push(m);
    // Output the engine has not taken yet holds the input back: memory stays bounded by both queues.
    while (waiting.length > 0 && unacked < setup.batchesAhead) handle(waiting.shift()!);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ t: 'error', name: e.name, message: e.message, stack: e.stack });
  }
});

/**
 * Replay on two threads (pipeline/threaded.ts) gives what replay on one gives:
 * the same events in the same order, diagnostics, foreign lines, findings,
 * blind spots and summaries, for every recorded trace the project has, and for
 * input the worker must cut or reassemble (pieces larger than its slots,
 * characters split between reads).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBaseline } from '../../src/baseline/load.ts';
import { defaultBaselinePath } from '../../src/baseline/index.ts';
import { formatRecord } from '../../src/parse/format.ts';
import { chooseBaseline } from '../../src/pipeline/baseline-choice.ts';
import { replayStreams, type PipelineOptions } from '../../src/pipeline/index.ts';
import { openInput } from '../../src/pipeline/input.ts';
import { useWorker, WORKER_MIN_BYTES, workerExecArgv } from '../../src/pipeline/threaded.ts';
import { exampleFields } from '../parse/helpers/trace.ts';
import { fixtureTraces } from '../helpers/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NONCE = 'feedfacecafebeef';

/** Everything a replay hands out, as text, in the order it was handed out. */
async function replayAll(sources: () => { stdout: Readable; stderr?: Readable }, opts: Omit<PipelineOptions, 'onEvent' | 'onForeign'>, threads: 1 | 2) {
  const seen: string[] = [];
  const result = await replayStreams(sources(), {
    ...opts,
    replayThreads: threads,
    onEvent: (e) => void seen.push(`event ${JSON.stringify(e)}`),
    onForeign: (t) => void seen.push(`foreign ${JSON.stringify(t)}`),
    onFinding: (f) => void seen.push(`finding ${f.id}`),
  });
  return { seen, report: JSON.stringify(result.report), parse: JSON.stringify(result.parse), streams: JSON.stringify(result.streams) };
}

describe('replay on two threads', () => {
  const all = fixtureTraces();

  it('finds the fixtures', () => {
    expect(all.length).toBeGreaterThan(30);
  });

  it.each(all.map((p) => [relative(ROOT, p), p]))('%s: the same on one thread and on two', async (_name, path) => {
    const open = () => openInput(path);
    const opened = open();
    opened.sources.stdout.destroy();
    opened.sources.stderr?.destroy();
    const opts = { nonce: opened.nonce, os: opened.os, backend: opened.backend, baseline: chooseBaseline(undefined, opened).baseline };
    const one = await replayAll(() => open().sources, opts, 1);
    const two = await replayAll(() => open().sources, opts, 2);
    expect(two).toEqual(one);
    expect(one.seen.length).toBeGreaterThan(0);
  });

  it('input in pieces larger than a slot, characters cut between pieces, a last line without newline', async () => {
    let text = '';
    for (let i = 0; i < 30_000; i++) {
      const kind = i % 3 === 0 ? 'dlopen' : 'exit';
      text += formatRecord(NONCE, kind, exampleFields(kind, { ts: String(1_764_000_000_000_000_000n + BigInt(i) * 1_000_000n), pid: 1000 + (i % 50) }));
      if (i % 100 === 0) text += `program output é€😀 ${i}\n`;
    }
    text += 'no newline at the end ✓';
    const bytes = Buffer.from(text);
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    // One piece larger than the worker's input slots, then pieces cut inside characters.
    const cuts = [bytes.subarray(0, 1_500_001)];
    for (let o = 1_500_001; o < bytes.length; o += 17_777) cuts.push(bytes.subarray(o, o + 17_777));
    const source = () => ({ stdout: Readable.from(cuts) });
    const opts = { nonce: NONCE, os: 'linux' as const, baseline: loadBaseline(defaultBaselinePath('linux')) };
    const one = await replayAll(source, opts, 1);
    const two = await replayAll(source, opts, 2);
    expect(two).toEqual(one);
    expect(one.seen.filter((s) => s.startsWith('event')).length).toBe(30_000);
    expect(one.seen.filter((s) => s.startsWith('foreign')).length).toBe(301);
  });

  it('a source that fails ends the replay with its error, and the worker with it', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
    await expect(replayStreams({ stdout: source }, { nonce: NONCE, baseline: loadBaseline(defaultBaselinePath('linux')), replayThreads: 2 })).rejects.toThrow('disk gone');
  });

  it('output that cannot keep up holds the input back on two threads too', async () => {
    let pulled = 0;
    const records = (from: number) => {
      let s = '';
      for (let i = from; i < from + 100; i++) s += formatRecord(NONCE, 'exit', exampleFields('exit', { ts: String(1_764_000_000_000_000_000n + BigInt(i) * 1_000_000n), pid: 1000 + (i % 50) }));
      return Buffer.from(s);
    };
    const source = new Readable({
      read() {
        if (pulled === 200) this.push(null);
        else this.push(records(pulled++ * 100));
      },
      highWaterMark: 1,
    });
    let release: () => void = () => {};
    let gate: Promise<void> | null = new Promise<void>((r) => (release = r));
    let events = 0;
    const done = replayStreams({ stdout: source }, { nonce: NONCE, baseline: loadBaseline(defaultBaselinePath('linux')), replayThreads: 2, onEvent: () => events++, outputReady: () => gate });
    await new Promise((r) => setTimeout(r, 1000));
    // Held back by the slots: a few pieces read ahead, not 200.
    expect(pulled).toBeLessThan(20);
    gate = null;
    release();
    const result = await done;
    expect(pulled).toBe(200);
    expect(events).toBe(20_000);
    expect(result.report.stats.events).toBe(20_000);
  });

  it('two threads only for files of at least the threshold, unless told', () => {
    const small = openInput(join(ROOT, 'test/fixtures/demo/demo.trace'));
    expect(useWorker(small.sources, { nonce: null, baseline: loadBaseline(defaultBaselinePath('linux')) })).toBe(false);
    expect(useWorker(small.sources, { nonce: null, baseline: loadBaseline(defaultBaselinePath('linux')), replayThreads: 2 })).toBe(true);
    expect(useWorker({ stdout: Readable.from([]) }, { nonce: null, baseline: loadBaseline(defaultBaselinePath('linux')) })).toBe(false);
    small.sources.stdout.destroy();
  });

  it('two threads for a file at the threshold when there are two CPUs, one thread on one CPU', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadtrace-threads-'));
    try {
      const path = join(dir, 'big.trace');
      // Sparse: only its size is asked.
      writeFileSync(path, '');
      truncateSync(path, WORKER_MIN_BYTES);
      const opts = { nonce: null, baseline: loadBaseline(defaultBaselinePath('linux')) };
      const ask = async (cpus: number, o: PipelineOptions = opts) => {
        const big = openInput(path);
        const stream = big.sources.stdout;
        const answer = useWorker(big.sources, o, cpus);
        // The stream opens its file in the background: let it close before the folder goes.
        const closed = once(stream, 'close');
        stream.destroy();
        await closed;
        return answer;
      };
      expect(await ask(2)).toBe(true);
      expect(await ask(1)).toBe(false);
      expect(await ask(1, { ...opts, replayThreads: 2 })).toBe(true);
      truncateSync(path, WORKER_MIN_BYTES - 1);
      expect(await ask(2)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('node flags and the worker', () => {
  /** `node FLAGS bin/loadtrace.js replay PATH --json` on that many threads. */
  const cli = (flags: string[], path: string, threads: 1 | 2) =>
    spawnSync(process.execPath, [...flags, join(ROOT, 'bin/loadtrace.js'), 'replay', path, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, LOADTRACE_REPLAY_THREADS: String(threads), NO_COLOR: '1' },
    });

  it.each([
    ['demo/demo.trace', ['--max-semi-space-size=16']],
    ['demo/capture', ['--max-semi-space-size=16', '--stack-size=2000', '--no-warnings']],
  ])('node %s %j: replay on two threads gives what one thread gives', (fixture, flags) => {
    const path = join(ROOT, 'test/fixtures', fixture);
    const one = cli([], path, 1);
    const two = cli(flags, path, 2);
    expect(one.status).toBe(0);
    expect(two.stderr).toBe(one.stderr);
    expect(two.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(JSON.parse(one.stdout).stats.events).toBeGreaterThan(0);
  });

  it('a worker is given the module loader flags, and none of the flags it refuses', () => {
    expect(workerExecArgv(['--max-semi-space-size=16', '--import', 'tsx', '--trace-gc', '--input-type=module', '--require=./a.cjs', '-C', 'dev', '--no-warnings', '--stack-size=2000'])).toEqual([
      '--import',
      'tsx',
      '--require=./a.cjs',
      '-C',
      'dev',
      '--no-warnings',
    ]);
    expect(workerExecArgv(['--loader=tsx', '--experimental-loader', 'x.mjs', '--max-old-space-size=512', '--conditions=dev'])).toEqual(['--loader=tsx', '--experimental-loader', 'x.mjs', '--conditions=dev']);
  });
});

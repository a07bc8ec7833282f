/** Captures for the HTML report tests: a hostile one whose traced strings try to become markup or script. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceBuilder, type Proc } from '../fixtures/rules/builder.ts';

const D_ANON_PRIVATE = 0x40000 | 0x1000 | 0x2;

/** Strings a traced program controls, each aimed at a different way into a page. */
export const HOSTILE = {
  comm: '<img src=x onerror="window.__pwned=1">',
  exec: '/tmp/"><script>window.__pwned=2</script>',
  dlopen: "/tmp/</script><script>window.__pwned=3</script>'.dylib",
  symbol: 'javascript:window.__pwned=4',
  hostname: '<svg onload="window.__pwned=5">',
  endingDetail: '</script><script>window.__pwned=6</script>',
  /** Its ASCII form is markup too. */
  bytes: Buffer.from('<script>window.__pwned=7</script>').toString('hex'),
} as const;

/** A path with bytes that are not UTF-8, a line separator and markup. */
export const NON_UTF8_PATH = new Uint8Array([...Buffer.from('/tmp/'), 0xff, 0xfe, ...Buffer.from('<b>x</b>\u2028.dylib')]);

/** Writes a capture directory (meta.json, stdout.raw) holding the hostile strings; returns its path. */
export function writeHostileCapture(dir: string): string {
  const p: Proc = { pid: 4242, ppid: 1, uid: 501, comm: HOSTILE.comm };
  const b = new TraceBuilder('darwin');
  b.rec(p, 'exec', { path: HOSTILE.exec });
  b.rec(p, 'dlopen', { path: HOSTILE.dlopen, mode: 0x2, handle: 0x600000100000 });
  b.rec(p, 'dlopen', { path: NON_UTF8_PATH, mode: 0x2, handle: 0x600000200000 });
  b.rec(p, 'dlsym', { handle: 0xfffffffffffffffen, symbol: HOSTILE.symbol, ret: 0x100001000 });
  b.wait(1);
  b.rec(p, 'mmap', { addr: 0, len: 0x20000, prot: 7, flags: D_ANON_PRIVATE, fd: -1, off: 0, ret: 0x2a0000000, err: 0 });
  b.rec(p, 'bytes', { addr: 0x2a0000000, data: HOSTILE.bytes });
  b.rec(p, 'mprotect', { addr: 0x2a0000000, len: 0x20000, prot: 5, ret: 0, err: 0, prevProt: 7, prevFlags: D_ANON_PRIVATE });
  b.rec(p, 'sample', { pc: 0x2a0000100 }, ['0x2a0000100', `${HOSTILE.comm}\`</script>+0x1`]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'stdout.raw'), b.text());
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({
      metaVersion: 1,
      nonce: b.nonce,
      tool: 'an0840',
      host: { hostname: HOSTILE.hostname, platform: 'darwin', osVersion: 'macOS <i>14</i>' },
      tracer: { backend: 'dtrace', version: '<script>x</script>' },
      target: { kind: 'command', command: ['/bin/sh', '-c', '</script><b>x</b>'] },
      ending: 'interrupted',
      endingDetail: HOSTILE.endingDetail,
      durationMs: 5,
    }),
  );
  return dir;
}

/** The page `replay --format html` prints for an input, made the way the CLI makes it. */
export async function renderInput(
  input: string,
  opts: { timeline?: Partial<import('../../src/report/html/index.ts').TimelineLimits>; render?: Partial<import('../../src/report/html/index.ts').RenderLimits>; baseline?: string } = {},
): Promise<string> {
  const { openInput } = await import('../../src/pipeline/input.ts');
  const { replayStreams } = await import('../../src/pipeline/index.ts');
  const { loadBaseline, defaultBaselinePath } = await import('../../src/baseline/index.ts');
  const { createTimelineCollector, renderHtml } = await import('../../src/report/html/index.ts');
  const opened = openInput(input);
  const timeline = createTimelineCollector({ os: opened.os, limits: opts.timeline });
  const result = await replayStreams(
    opened.sources,
    {
      nonce: opened.nonce,
      os: opened.os,
      backend: opened.backend,
      baseline: loadBaseline(opts.baseline ?? defaultBaselinePath(opened.os ?? 'darwin')),
      onEvent: (e) => timeline.event(e),
      onFinding: (f) => timeline.finding(f.process.pid),
    },
    { notAttached: opened.notAttached },
  );
  return renderHtml({ report: result.report, parse: result.parse, timeline: timeline.result(), meta: opened.capture?.meta ?? null, source: input, limits: opts.render });
}

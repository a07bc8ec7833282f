/**
 * Where a replay allocates: V8's sampling heap profiler, counting objects the collector has
 * already freed too, over one in-process `loadtrace replay FILE --json` on one thread, then the
 * functions that allocated most, by bytes sampled. Complements `--cpu-prof`: time spent
 * collecting garbage shows there only as "(garbage collector)", not whose garbage it was.
 *
 *   npm run build && node --import tsx scripts/bench/alloc-profile.ts FILE [TOP]
 *
 * Runs the compiled CLI in dist/, as users do. Report to stderr; the replay's own output is
 * discarded.
 */
import { Session } from 'node:inspector/promises';
import { existsSync } from 'node:fs';

const [file, top = '30'] = process.argv.slice(2);
if (file === undefined || !existsSync(file)) {
  process.stderr.write('usage: alloc-profile.ts FILE [TOP]\n');
  process.exit(2);
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 16384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.env.LOADTRACE_REPLAY_THREADS = '1';
const { main } = (await import(new URL('../../dist/cli/main.js', import.meta.url).href)) as { main: (argv: string[]) => Promise<number> };
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (() => true) as typeof process.stdout.write;
const code = await main(['node', 'loadtrace', 'replay', file, '--json']);
process.stdout.write = write;
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };

const bytes = new Map<string, number>();
const walk = (n: ProfileNode): void => {
  const f = n.callFrame;
  const where = f.url === '' ? '(generated or built-in)' : `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  const key = `${f.functionName || '(anonymous)'} ${where}`;
  bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c);
};
walk(profile.head);
const total = [...bytes.values()].reduce((a, b) => a + b, 0);
process.stderr.write(`replay exit ${code}; sampled allocation ${(total / 1e6).toFixed(0)} MB\n`);
for (const [k, v] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  process.stderr.write(`${(v / 1e6).toFixed(1).padStart(8)} MB  ${k}\n`);
}

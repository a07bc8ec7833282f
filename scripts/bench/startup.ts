/**
 * Start-up of the CLI as a user meets it (`npm run bench -- --startup`, and at the start of
 * every `npm run bench`): `node bin/loadtrace.js --version` and a replay of the bundled demo
 * capture, each run as a whole process several times. Reports the median wall time and the
 * median peak RSS (`/usr/bin/time -f %M`), against the targets in docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface StartupRow {
  readonly what: string;
  readonly argv: readonly string[];
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Median peak RSS in MB, or null without /usr/bin/time. */
  readonly medianRssMb: number | null;
  readonly target: { readonly ms: number; readonly rssMb: number } | null;
}

const TIME = '/usr/bin/time';

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function measure(root: string, args: readonly string[], runs: number): { ms: number[]; rssKb: number[] } {
  const ms: number[] = [];
  const rssKb: number[] = [];
  const withTime = existsSync(TIME);
  // `-e 0` alone: node's own start-up, the floor any CLI sits on.
  const argv = args[0] === '-e' ? [process.execPath, ...args] : [process.execPath, join(root, 'bin', 'loadtrace.js'), ...args];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = withTime
      ? spawnSync(TIME, ['-f', '%M', ...argv], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
      : spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`loadtrace ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (withTime) rssKb.push(Number(r.stderr.trim().split('\n').at(-1)));
  }
  return { ms, rssKb };
}

/** Runs the start-up measurements (the compiled CLI in dist/ must be built). */
export function runStartup(root: string, runs = 9): StartupRow[] {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is not built: run `npm run build` first');
  const cases: { what: string; args: string[]; target: StartupRow['target'] }[] = [
    { what: 'node alone', args: ['-e', '0'], target: null },
    { what: '--version', args: ['--version'], target: { ms: 300, rssMb: 60 } },
    { what: '--help', args: ['--help'], target: null },
    { what: 'replay of the demo capture', args: ['replay', 'test/fixtures/demo/capture', '--format', 'jsonl'], target: null },
  ];
  // One untimed run first, so the file cache holds what each case reads.
  for (const c of cases) measure(root, c.args, 1);
  return cases.map((c) => {
    const { ms, rssKb } = measure(root, c.args, runs);
    return {
      what: c.what,
      argv: c.args[0] === '-e' ? ['node', ...c.args] : ['node', 'bin/loadtrace.js', ...c.args],
      runs,
      medianMs: Math.round(median(ms)),
      minMs: Math.round(Math.min(...ms)),
      maxMs: Math.round(Math.max(...ms)),
      medianRssMb: rssKb.length > 0 ? Math.round(median(rssKb) / 102.4) / 10 : null,
      target: c.target,
    };
  });
}

/** The rows as a table, with each target met or not. */
export function formatStartup(rows: readonly StartupRow[]): string {
  const lines = ['| command | runs | median ms | min–max ms | median peak RSS MB | target |', '|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    const target =
      r.target === null
        ? ''
        : `${r.medianMs < r.target.ms && r.medianRssMb !== null && r.medianRssMb < r.target.rssMb ? 'met' : 'NOT met'}: under ${r.target.ms} ms and ${r.target.rssMb} MB`;
    lines.push(`| \`${r.argv.join(' ')}\` | ${r.runs} | ${r.medianMs} | ${r.minMs}–${r.maxMs} | ${r.medianRssMb ?? 'n/a'} | ${target} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Records what `loadtrace replay` prints for every recorded trace the project has, so that two
 * versions of the code can be compared byte for byte: a change that only moves code must leave
 * findings, events, blind spots and summaries exactly as they were.
 *
 *   npm run build && node --import tsx scripts/check-outputs.ts --out /tmp/before
 *   (change the code)
 *   npm run build && node --import tsx scripts/check-outputs.ts --out /tmp/after
 *   node --import tsx scripts/check-outputs.ts --compare /tmp/before /tmp/after
 *
 * Inputs: every trace under test/fixtures (rule fixtures, real dtrace output, the demo trace and
 * capture) and the two benchmark trace shapes (scripts/bench/gen.ts, gen-linux.ts) at --size
 * records (default 100k; the seed and nonce of `npm run bench`). For each input it keeps the
 * `replay --json` summary, the `replay --events --format jsonl` stream, stderr and the exit code.
 * The checkout's own path is replaced by <root> so that two checkouts compare equal.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTrace } from './bench/gen.ts';
import { generateLinuxTrace } from './bench/gen-linux.ts';
import { fixtureTraces } from '../test/helpers/fixtures.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_NONCE = '5eedbe7c4a11ab1e';
const BENCH_SEED = 20250601;

function usage(msg: string): never {
  process.stderr.write(`check-outputs: ${msg}\nusage: check-outputs.ts --out DIR [--size N] | --compare DIR_A DIR_B\n`);
  process.exit(2);
}

function parseSize(s: string): number {
  const m = /^(\d+)([km]?)$/i.exec(s);
  if (m === null) usage(`--size ${s}: expected a count such as 100k or 1m`);
  return Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1);
}

interface Input {
  name: string;
  path: string;
  args: string[];
}

function fixtureInputs(): Input[] {
  return fixtureTraces().map((p) => ({ name: relative(ROOT, p), path: p, args: [] }));
}

function run(args: string[]): { stdout: string; stderr: string; code: number } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'loadtrace.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1', TZ: 'UTC' } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
}

function record(outDir: string, size: number): void {
  mkdirSync(outDir, { recursive: true });
  const traces = join(outDir, 'traces');
  mkdirSync(traces, { recursive: true });
  const inputs = fixtureInputs();
  for (const [shape, gen] of [['macos', generateTrace], ['linux', generateLinuxTrace]] as const) {
    const file = join(traces, `bench-${shape}-${size}.trace`);
    if (!existsSync(file)) gen(file, { records: size, seed: BENCH_SEED, nonce: BENCH_NONCE });
    inputs.push({ name: `bench/${shape}-${size}`, path: file, args: ['--nonce', BENCH_NONCE] });
  }
  const clean = (s: string): string => s.split(ROOT).join('<root>').split(outDir).join('<out>');
  for (const input of inputs) {
    const key = input.name.replace(/[/\\]/g, '__');
    const sha = createHash('sha256').update(statSync(input.path).isDirectory() ? readFileSync(join(input.path, 'stdout.raw')) : readFileSync(input.path)).digest('hex');
    const summary = run(['replay', input.path, '--json', '--allow-empty', ...input.args]);
    const events = run(['replay', input.path, '--events', '--format', 'jsonl', '--allow-empty', ...input.args]);
    writeFileSync(join(outDir, `${key}.input`), `${input.name}\nsha256 ${sha}\n`);
    writeFileSync(join(outDir, `${key}.summary.json`), clean(summary.stdout));
    writeFileSync(join(outDir, `${key}.summary.stderr`), `exit ${summary.code}\n${clean(summary.stderr)}`);
    writeFileSync(join(outDir, `${key}.events.jsonl`), clean(events.stdout));
    writeFileSync(join(outDir, `${key}.events.stderr`), `exit ${events.code}\n${clean(events.stderr)}`);
    process.stderr.write(`${input.name}: exit ${summary.code}/${events.code}\n`);
  }
  process.stderr.write(`${inputs.length} inputs recorded in ${outDir}\n`);
}

function compare(a: string, b: string): number {
  const files = (d: string) => new Set(readdirSync(d).filter((f) => f !== 'traces'));
  const fa = files(a);
  const fb = files(b);
  let differ = 0;
  for (const f of [...new Set([...fa, ...fb])].sort()) {
    if (!fa.has(f) || !fb.has(f)) {
      process.stdout.write(`only in ${fa.has(f) ? a : b}: ${f}\n`);
      differ++;
      continue;
    }
    if (!readFileSync(join(a, f)).equals(readFileSync(join(b, f)))) {
      process.stdout.write(`differs: ${f}\n`);
      differ++;
    }
  }
  process.stdout.write(`${fa.size} files compared: ${differ === 0 ? 'all identical' : `${differ} differ`}\n`);
  return differ === 0 ? 0 : 1;
}

const argv = process.argv.slice(2);
if (argv[0] === '--compare') {
  if (argv.length !== 3) usage('--compare takes two folders');
  process.exit(compare(argv[1]!, argv[2]!));
}
const outAt = argv.indexOf('--out');
if (outAt < 0 || argv[outAt + 1] === undefined) usage('--out DIR is required');
const sizeAt = argv.indexOf('--size');
record(argv[outAt + 1]!, sizeAt >= 0 ? parseSize(argv[sizeAt + 1] ?? '') : 100_000);


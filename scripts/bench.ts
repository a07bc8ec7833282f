/**
 * Replay benchmark: generates seeded traces of 100k, 1M and 10M records and
 * measures, per size, a bare split2 line count (the reference), the parser
 * alone, and the whole replay pipeline (parse, reorder, state, rules, JSON
 * Lines findings to /dev/null). Each (stage, size) runs in its own child
 * process so that its peak RSS is its own.
 *
 *   npm run bench                       all sizes
 *   npm run bench -- --sizes 100k,1m    chosen sizes
 *   npm run bench -- --quick            100k and 1M, one run each
 *   npm run bench -- --live             live tracing overhead (Linux, root, bpftrace)
 *   npm run bench -- --startup          CLI start-up only (--version, --help, replay of the demo)
 *   npm run bench -- --shapes linux     one trace shape (macos, linux; default both)
 *   npm run bench -- --stages cli-reference,cli   chosen stages (reference, parse, replay, cli-reference, cli)
 *   npm run bench -- --no-startup       skip the start-up measurement
 *
 * Every run but --live measures the CLI's start-up first (scripts/bench/startup.ts).
 *
 * Results: a table on stdout and bench-results/bench-<date>.json.
 */
import { fork, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import split2 from 'split2';
import { generateTrace, type GenStats } from './bench/gen.ts';
import { generateLinuxTrace } from './bench/gen-linux.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NONCE = '5eedbe7c4a11ab1e';
const SEED = 20250601;

/**
 * In-process stages (modules loaded before the clock starts), then the same
 * two ends as whole processes, as users run them: `cli-reference` is a node
 * process that counts the file's lines with split2, `cli` is
 * `node bin/loadtrace.js replay FILE --json` on the compiled package (two threads for files of
 * WORKER_MIN_BYTES and more), `cli-1thread` the same forced onto one thread
 * (LOADTRACE_REPLAY_THREADS=1), for the comparison.
 */
type Stage = 'reference' | 'parse' | 'replay' | 'cli-reference' | 'cli' | 'cli-1thread';
const STAGES: readonly Stage[] = ['reference', 'parse', 'replay', 'cli-reference', 'cli', 'cli-1thread'];
/** macOS: dtrace-style trace (gen.ts); linux: bpftrace-style system-wide trace (gen-linux.ts). */
type Shape = 'macos' | 'linux';
const SHAPE_OS = { macos: 'darwin', linux: 'linux' } as const;
const SHAPE_BACKEND = { macos: 'dtrace', linux: 'bpftrace' } as const;

interface ChildResult {
  stage: Stage;
  /** Wall time of each run, ms. */
  runs: number[];
  /** What the stage counted, to check it read the whole trace. */
  lines: number;
  records: number;
  findings: number | null;
  late: number | null;
  /** process.resourceUsage().maxRSS, bytes. */
  maxRss: number;
  /** RSS before the first run (node + tsx + modules), bytes. */
  startRss: number;
}

// ---------------------------------------------------------------- child side

async function runStage(stage: Stage, file: string, shape: Shape): Promise<Omit<ChildResult, 'runs' | 'maxRss' | 'startRss' | 'stage'>> {
  if (stage === 'reference') {
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      createReadStream(file)
        .on('error', reject)
        .pipe(split2())
        .on('data', () => {
          lines++;
        })
        .on('end', resolve)
        .on('error', reject);
    });
    return { lines, records: 0, findings: null, late: null };
  }
  if (stage === 'parse') {
    const { createParser } = await import('../src/parse/index.ts');
    const parser = createParser({ nonce: NONCE });
    let items = 0;
    await new Promise<void>((resolve, reject) => {
      createReadStream(file).on('error', reject).pipe(parser);
      parser
        .on('data', () => {
          items++;
        })
        .on('end', resolve)
        .on('error', reject);
    });
    const s = parser.summary();
    if (s.accounting.record + s.accounting.diagnostic + s.accounting.foreign + s.accounting.blank !== s.lines) throw new Error('parse accounting does not add up');
    return { lines: s.lines, records: s.records, findings: null, late: null };
  }
  const { replayStreams } = await import('../src/pipeline/index.ts');
  const { openInput } = await import('../src/pipeline/input.ts');
  const { loadBaseline, defaultBaselinePath } = await import('../src/baseline/index.ts');
  const { formatJsonLines } = await import('../src/report/index.ts');
  const os = SHAPE_OS[shape];
  const baseline = loadBaseline(defaultBaselinePath(os));
  // The file is opened as `loadtrace replay` opens one.
  const input = openInput(file, { nonce: NONCE, os });
  const result = await replayStreams(input.sources, { nonce: NONCE, os, backend: SHAPE_BACKEND[shape], baseline });
  writeFileSync('/dev/null', formatJsonLines(result.report.findings));
  return { lines: result.parse.lines, records: result.report.stats.events, findings: result.report.findings.length, late: result.parse.late };
}

async function child(stage: Stage, file: string, repeats: number, shape: Shape): Promise<void> {
  // Load (and transpile) the modules before the clock starts.
  await Promise.all([import('../src/parse/index.ts'), import('../src/pipeline/index.ts'), import('../src/pipeline/input.ts'), import('../src/baseline/index.ts'), import('../src/report/index.ts')]);
  const startRss = process.memoryUsage.rss();
  const runs: number[] = [];
  let last: Awaited<ReturnType<typeof runStage>> | null = null;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    last = await runStage(stage, file, shape);
    runs.push(performance.now() - t0);
  }
  const res: ChildResult = { stage, runs, ...last!, maxRss: process.resourceUsage().maxRSS * 1024, startRss };
  process.send!(res);
}

// --------------------------------------------------------------- parent side

const SPLIT2_COUNT = `const s=require('split2');let n=0;require('fs').createReadStream(process.argv[1]).pipe(s()).on('data',()=>{n++}).on('end',()=>{process.stdout.write(JSON.stringify({lines:n}))})`;

/** A whole process, timed from spawn to exit, peak RSS from /usr/bin/time. */
function runWhole(stage: 'cli' | 'cli-reference' | 'cli-1thread', file: string, repeats: number): ChildResult {
  const argv = stage !== 'cli-reference' ? [process.execPath, join(ROOT, 'bin', 'loadtrace.js'), 'replay', file, '--json'] : [process.execPath, '-e', SPLIT2_COUNT, file];
  const runs: number[] = [];
  const rss: number[] = [];
  let out = '';
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const env = { ...process.env, LOADTRACE_REPLAY_THREADS: stage === 'cli-1thread' ? '1' : '' };
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] });
    runs.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}: ${r.stderr}`);
    out = r.stdout;
    rss.push(Number(/(\d+)\s*$/.exec(r.stderr)![1]) * 1024);
  }
  const j = JSON.parse(out) as { lines: number; records?: number; late?: number };
  return { stage, runs, lines: j.lines, records: j.records ?? 0, findings: null, late: j.late ?? null, maxRss: median(rss), startRss: 0 };
}

function runChild(stage: Stage, file: string, repeats: number, shape: Shape): Promise<ChildResult> {
  if (stage === 'cli' || stage === 'cli-reference' || stage === 'cli-1thread') return Promise.resolve(runWhole(stage, file, repeats));
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child', stage, file, String(repeats), shape], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      cwd: ROOT,
    });
    let got: ChildResult | null = null;
    c.on('message', (m) => {
      got = m as ChildResult;
    });
    c.on('error', reject);
    c.on('exit', (code) => {
      if (code === 0 && got !== null) resolve(got);
      else reject(new Error(`${stage} child for ${file} exited with ${code}`));
    });
  });
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`--sizes: '${s}' is not a count like 100k, 1m or 250000`);
  const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

function sizeLabel(n: number): string {
  return n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/** Machine facts for the result file and docs. */
export function machine(): Record<string, string | number> {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() model stands
  }
  return {
    nproc: cpus().length,
    cpu: model,
    memTotalMB: Math.round(totalmem() / 2 ** 20),
    memFreeMB: Math.round(freemem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

interface Row {
  shape: Shape;
  size: number;
  stage: Stage;
  runs: number[];
  ms: number;
  recordsPerSec: number;
  mbPerSec: number;
  ratio: number;
  maxRssMB: number;
  startRssMB: number;
  lines: number;
  records: number;
  findings: number | null;
  late: number | null;
}

interface TargetCheck {
  target: string;
  met: boolean;
  measured: string;
}

/**
 * The throughput and memory targets, checked on the sizes of 1M records and
 * more (at 100k, start-up and compilation weigh too much to say anything).
 */
function checkTargets(all: readonly Row[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const list = (rs: readonly Row[], f: (r: Row) => string) => rs.map((r) => `${f(r)} at ${sizeLabel(r.size)}`).join(', ');
  for (const shape of ['macos', 'linux'] as const) {
    const big = all.filter((r) => r.shape === shape && r.size >= 1_000_000);
    const cli = big.filter((r) => r.stage === 'cli');
    const oneThread = big.filter((r) => r.stage === 'cli-1thread');
    const replay = big.filter((r) => r.stage === 'replay');
    const parse = big.filter((r) => r.stage === 'parse');
    if (replay.length === 0 && cli.length === 0) continue;
    const t = (target: string, rs: readonly Row[], ok: (r: Row) => boolean, f: (r: Row) => string) => {
      if (rs.length > 0) out.push({ target: `${shape}: ${target}`, met: rs.every(ok), measured: list(rs, f) });
    };
    t('replay --json process ≥ 50% of a split2 process', cli, (r) => r.ratio >= 0.5, (r) => r.ratio.toFixed(2));
    t('replay --json process peak RSS < 200 MB', cli, (r) => r.maxRssMB < 200, (r) => `${r.maxRssMB} MB`);
    t('replay --json process faster than on one thread', cli, (r) => {
      const one = oneThread.find((o) => o.size === r.size);
      return one !== undefined && r.ms < one.ms;
    }, (r) => {
      const one = oneThread.find((o) => o.size === r.size);
      return one === undefined ? 'no one-thread run' : `${(one.ms / r.ms).toFixed(2)}x (${(r.ms / 1000).toFixed(2)} s against ${(one.ms / 1000).toFixed(2)} s)`;
    });
    t('full replay (in process) ≥ 1,000,000 records/s', replay, (r) => r.recordsPerSec >= 1e6, (r) => `${(r.recordsPerSec / 1e6).toFixed(2)} M/s`);
    t('full replay (in process) ≥ 40% of split2', replay, (r) => r.ratio >= 0.4, (r) => r.ratio.toFixed(2));
    t('parse only ≥ 60% of split2', parse, (r) => r.ratio >= 0.6, (r) => r.ratio.toFixed(2));
    for (const rs of [cli, replay]) {
      const lo = rs[0];
      const hi = rs[rs.length - 1];
      // Flat: ten times the records may not cost more than a tenth more memory.
      if (lo !== undefined && hi !== undefined && hi.size >= 10 * lo.size) {
        out.push({
          target: `${shape}: ${lo.stage === 'cli' ? 'replay --json process' : 'full replay'} peak RSS flat from ${sizeLabel(lo.size)} to ${sizeLabel(hi.size)} (within 10%)`,
          met: hi.maxRssMB <= lo.maxRssMB * 1.1,
          measured: `${lo.maxRssMB} -> ${hi.maxRssMB} MB`,
        });
      }
    }
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    await child(argv[1] as Stage, argv[2]!, Number(argv[3]), argv[4] as Shape);
    return;
  }
  if (argv.includes('--live')) {
    const { runLive } = await import('./bench/live.ts');
    await runLive({ out: join(ROOT, 'bench-results'), machine: machine() });
    return;
  }
  const { runStartup, formatStartup } = await import('./bench/startup.ts');
  const startup = argv.includes('--no-startup') ? [] : runStartup(ROOT);
  if (startup.length > 0) process.stdout.write(`CLI start-up, whole processes (load average ${loadavg()[0]!.toFixed(1)} before):\n${formatStartup(startup)}\n`);
  if (argv.includes('--startup')) {
    const outDir = join(ROOT, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, `startup-${new Date().toISOString().replace(/[:]/g, '-').replace(/\..+/, '')}.json`);
    writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), startup }, null, 2)}\n`);
    process.stdout.write(`results: ${outFile}\n`);
    return;
  }
  const quick = argv.includes('--quick');
  const si = argv.indexOf('--sizes');
  const sizes = si >= 0 ? argv[si + 1]!.split(',').map(parseSize) : quick ? [100_000, 1_000_000] : [100_000, 1_000_000, 10_000_000];
  const repeatsFor = (n: number) => (quick ? 1 : n <= 200_000 ? 5 : n <= 2_000_000 ? 3 : 1);
  const shi = argv.indexOf('--shapes');
  const shapes = (shi >= 0 ? argv[shi + 1]!.split(',') : ['macos', 'linux']) as Shape[];
  for (const sh of shapes) if (sh !== 'macos' && sh !== 'linux') throw new Error(`--shapes: '${sh}' is not macos or linux`);
  const sti = argv.indexOf('--stages');
  const stages = sti >= 0 ? (argv[sti + 1]!.split(',') as Stage[]) : STAGES;
  // The whole-process stages run the compiled package: rebuild it so that it is the code under test.
  if (stages.includes('cli') || stages.includes('cli-1thread')) {
    const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }

  const dir = mkdtempSync(join(tmpdir(), 'loadtrace-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const rows: Row[] = [];
  const gens: (GenStats & { size: number; ms: number })[] = [];
  const t0 = performance.now();
  try {
    for (const shape of shapes)
    for (const size of sizes) {
      const file = join(dir, `trace-${shape}-${size}.txt`);
      const g0 = performance.now();
      const gen = (shape === 'linux' ? generateLinuxTrace : generateTrace)(file, { records: size, seed: SEED, nonce: NONCE });
      const gms = performance.now() - g0;
      gens.push({ ...gen, size, ms: gms });
      const bytes = statSync(file).size;
      process.stderr.write(`${shape} ${sizeLabel(size)}: generated ${gen.lines} lines, ${(bytes / 1e6).toFixed(1)} MB in ${(gms / 1000).toFixed(1)} s (${gen.verified} lines checked against formatRecord)\n`);
      let refMs = 0;
      let cliRefMs = 0;
      for (const stage of stages) {
        const r = await runChild(stage, file, repeatsFor(size), shape);
        const ms = median(r.runs);
        if (stage === 'reference') refMs = ms;
        if (stage === 'cli-reference') cliRefMs = ms;
        if (r.lines !== gen.lines) throw new Error(`${stage} at ${sizeLabel(size)} counted ${r.lines} lines, the generator wrote ${gen.lines}`);
        if (stage !== 'reference' && stage !== 'cli-reference' && r.records !== gen.records) throw new Error(`${stage} at ${sizeLabel(size)} saw ${r.records} records, the generator wrote ${gen.records}`);
        const row: Row = {
          shape,
          size,
          stage,
          runs: r.runs.map((x) => Math.round(x * 10) / 10),
          ms: Math.round(ms * 10) / 10,
          recordsPerSec: Math.round(gen.records / (ms / 1000)),
          mbPerSec: Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10,
          ratio: Math.round(((stage.startsWith('cli') ? cliRefMs : refMs) / ms) * 1000) / 1000,
          maxRssMB: Math.round((r.maxRss / 2 ** 20) * 10) / 10,
          startRssMB: Math.round((r.startRss / 2 ** 20) * 10) / 10,
          lines: r.lines,
          records: r.records,
          findings: r.findings,
          late: r.late,
        };
        rows.push(row);
        process.stderr.write(`  ${stage.padEnd(13)} ${(ms / 1000).toFixed(2)} s  ${(row.recordsPerSec / 1e6).toFixed(2)} M rec/s  ${row.mbPerSec} MB/s  x${row.ratio}  RSS ${row.maxRssMB} MB\n`);
      }
      rmSync(file, { force: true });
    }
  } finally {
    cleanup();
  }
  const total = (performance.now() - t0) / 1000;

  const head = ['trace', 'size', 'stage', 'time s', 'M records/s', 'MB/s', 'vs split2', 'peak RSS MB', 'runs'];
  const STAGE_LABEL: Record<Stage, string> = {
    reference: 'split2 (reference)',
    parse: 'parse only',
    replay: 'full replay',
    'cli-reference': 'split2 process (reference)',
    cli: 'replay --json process',
    'cli-1thread': 'replay --json, one thread',
  };
  const body = rows.map((r) => [
    r.shape,
    sizeLabel(r.size),
    STAGE_LABEL[r.stage],
    (r.ms / 1000).toFixed(2),
    (r.recordsPerSec / 1e6).toFixed(2),
    r.mbPerSec.toFixed(1),
    r.ratio.toFixed(2),
    r.maxRssMB.toFixed(1),
    String(r.runs.length),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const table = [line(head), `|${widths.map((w, i) => (i < 3 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...body.map(line)].join('\n');
  process.stdout.write(`${table}\n\ntotal ${total.toFixed(0)} s\n`);
  const targets = checkTargets(rows);
  if (targets.length > 0) {
    process.stdout.write(`\ntargets (docs/performance.md), at 1M records and more; whole-process ratios are to the split2 process, in-process ones to in-process split2:\n`);
    for (const t of targets) process.stdout.write(`  ${t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.measured}\n`);
  }

  const outDir = join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..+/, '');
  const outFile = join(outDir, `bench-${stamp}.json`);
  writeFileSync(
    outFile,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), startup, seed: SEED, quick, totalSeconds: Math.round(total), generated: gens, results: rows, targets }, null, 2)}\n`,
  );
  process.stdout.write(`results: ${outFile}\n`);
}

await main(process.argv.slice(2));

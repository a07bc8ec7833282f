/**
 * Live capture: generate the script, run the tracer, keep its raw output in a
 * capture directory as it arrives, stream it through the analysis, and
 * say how it ended. docs/capture.md is the user-facing description.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { MARKER_PREFIX, PROTOCOL_VERSION } from '../protocol/registry.ts';
import { VERSION } from '../version.ts';
import { dropFraction, dropsExceeded, formatThreshold } from './drops.ts';
import type { CaptureOptions } from './options.ts';
import type { Target } from './ports.ts';
import { hostInfo, sipStatus } from './host.ts';
import {
  CAPTURE_FILES,
  ENDINGS,
  scriptFile,
  writeCaptureFile,
  writeCaptureJson,
  writeMeta,
  type CaptureMeta,
  type Ending,
  type UnfollowedProcess,
} from '../pipeline/capture-dir.ts';
import { TracerProcess, type TracerExit } from './process.ts';
import { RawSink, type RawWriteFailure } from './raw.ts';
import { emptyStderrFacts, LineScanner, scanStderrLine, totalDrops } from './stderr-scan.ts';
import { StatusLine } from './status.ts';
import { terminalText } from '../report/text.ts';
import { tracerVersion } from './tracer.ts';
import { FollowDriver } from './follow.ts';
import { launchSpec, planLaunch, resumeProcess, sudoKill, tracerArgv } from './launch.ts';
import type { CaptureDeps } from './deps.ts';
import { classifyEnding, endingMessage, exitCodeForEnding, type EndingInput } from './ending.ts';
import { createDefaultDir, ensureEmptyDir } from './folder.ts';
import { prepareCapture } from './prepare.ts';

export interface CaptureResult {
  readonly dir: string;
  readonly ending: Ending;
  readonly exitCode: number;
  readonly meta: CaptureMeta;
  /** The analysis's report, when there is an analysis and the tracer ran. */
  readonly report: unknown;
}

/** Handle for a running capture: the single tracer, or the follow-mode group. */
interface Driver {
  readonly pid: number | null;
  readonly argv: readonly string[];
  interrupt(): void;
  kill(): void;
  readonly done: Promise<TracerExit>;
}

/** Runs one live capture to its end and writes the capture directory. Never leaves meta.json unfinished unless killed itself. */
export async function runCapture(options: CaptureOptions, partialDeps: Partial<CaptureDeps> = {}): Promise<CaptureResult> {
  const { opts, deps, log, backend, os, startedAt, follow, followPlan, gen } = prepareCapture(options, partialDeps);

  const launch = await planLaunch(backend, deps, log);
  if (launch.viaSudo) {
    deps.stderr.write(`loadtrace: not running as root: starting ${backend} through sudo (${launch.sudoPath} -n ${launch.tracerPath} …)\n`);
  }

  let dir: string;
  if (opts.out !== undefined) {
    dir = resolve(deps.cwd, opts.out);
    ensureEmptyDir(dir);
  } else {
    dir = createDefaultDir(deps.cwd, opts.tool, startedAt);
  }
  const scriptName = scriptFile(backend);
  const scriptPath = join(dir, scriptName);
  writeCaptureFile(dir, scriptName, gen.script);
  // The baseline judged with is kept, so `replay DIR` judges alike wherever and whenever it runs.
  let baselineNote: CaptureMeta['baseline'] = null;
  if (deps.analysis?.baseline) {
    const { source, text } = deps.analysis.baseline;
    writeCaptureFile(dir, CAPTURE_FILES.baseline, text);
    baselineNote = { file: CAPTURE_FILES.baseline, source, sha256: createHash('sha256').update(text).digest('hex') };
  }
  const argv = tracerArgv(backend, gen, scriptPath);
  const stdinMode = opts.target.kind === 'command' ? 'inherit' : 'ignore';
  const spawnSpec = launchSpec(launch, argv, stdinMode, deps.env, gen.env);

  const [host, sipInfo, version] = await Promise.all([
    hostInfo(deps.run, deps.platform),
    sipStatus(deps.run, deps.platform),
    tracerVersion(deps.run, backend, launch.tracerPath),
  ]);

  let ioFailure: RawWriteFailure | null = null;
  const onIoFailure = (f: RawWriteFailure): void => {
    if (ioFailure) return;
    ioFailure = f;
    status?.clear();
    log.error({ path: f.path, code: f.code }, f.diskFull ? 'disk full: stopping the tracer; everything written so far is kept' : `write failed: ${f.message}; stopping the tracer`);
    driver?.interrupt();
    armStopTimer();
  };
  const stdoutSink = new RawSink(join(dir, CAPTURE_FILES.stdout), deps.openRawFile, onIoFailure);
  const stderrSink = new RawSink(join(dir, CAPTURE_FILES.stderr), deps.openRawFile, onIoFailure);

  // All stderr counts for drops; the ending is decided by the main tracer's stderr alone (in follow mode
  // a per-pid tracer that cannot grab its process is a blind spot, not the end of the capture).
  const facts = emptyStderrFacts();
  const scanner = new LineScanner((line) => scanStderrLine(facts, line));
  const endingFacts = follow ? emptyStderrFacts() : facts;
  const endingScanner = follow ? new LineScanner((line) => scanStderrLine(endingFacts, line)) : null;

  const meta: CaptureMeta = {
    metaVersion: 1,
    loadtraceVersion: VERSION,
    protocolVersion: PROTOCOL_VERSION,
    host,
    sip: sipInfo,
    tracer: { backend, path: launch.tracerPath, version, viaSudo: launch.viaSudo, argv: [spawnSpec.file, ...spawnSpec.args], pid: null },
    tool: opts.tool,
    target: opts.runAs !== null && opts.target.kind === 'command' ? { ...opts.target, runAs: opts.runAs } : opts.target,
    options: opts.toolOptions,
    nonce: gen.nonce,
    script: scriptName,
    baseline: baselineNote,
    startedAt: startedAt.toISOString(),
    endedAt: null,
    durationMs: null,
    ending: 'running',
    endingDetail: null,
    exit: { code: null, signal: null },
    exitCode: null,
    raw: { stdoutBytes: 0, stderrBytes: 0, lostBytes: 0, writeError: null },
    drops: {
      total: 0,
      byKind: {},
      records: 0,
      fraction: 0,
      threshold: opts.dropThreshold,
      exceeded: false,
      onDrops: opts.onDrops,
    },
    notAttached: [],
    findings: null,
    follow: null,
  };

  // Findings stream to stdout while the tracer runs.
  const analysis = deps.analysis;
  let findingsSeen = 0;
  let status: StatusLine | null = null;
  const showOutput = opts.showOutput ?? deps.stderrIsTTY;
  const analyzer = analysis?.createAnalyzer({
    nonce: gen.nonce,
    os,
    backend,
    onFinding: (finding) => {
      findingsSeen++;
      const text = analysis.renderLiveFinding(finding);
      if (text) {
        status?.clear();
        deps.stdout.write(text);
      }
    },
    // Escaped: the traced program is untrusted, and its bytes must not drive the terminal.
    onOutput: showOutput
      ? (line) => {
          status?.clear();
          deps.stderr.write(`${terminalText(line)}\n`);
        }
      : undefined,
  });
  // The first begin record is the signal that the probes are attached: only then is it time to say so.
  const beginMark = `${MARKER_PREFIX}${gen.nonce}\tbegin\t`;
  let attached = false;
  let beginTail = '';
  const watchForBegin = (chunk: Buffer): void => {
    const text = beginTail + chunk.toString('latin1');
    if (text.includes(beginMark)) {
      attached = true;
      announceTracing();
    } else {
      beginTail = text.slice(-beginMark.length);
    }
  };
  const announceTracing = (): void => {
    if (deps.stderrIsTTY) {
      status?.clear();
      deps.stderr.write(`Tracing ${describeTarget(opts.tool, opts.target)}... Hit Ctrl-C to end.\n`);
    } else {
      log.info(`${backend} attached its probes (first begin record)`);
    }
  };
  const feed = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    const sink = stream === 'stdout' ? stdoutSink : stderrSink;
    // After a write failure both files and the analysis stop at once, so the directory holds exactly
    // what was analysed and replaying it gives the same findings.
    if (ioFailure) {
      sink.discard(chunk);
      return;
    }
    // The raw file first: nothing reads a byte before it is on disk (DESIGN contract 6).
    if (!sink.write(chunk)) return;
    if (stream === 'stderr') scanner.push(chunk);
    else if (!attached) watchForBegin(chunk);
    if (analyzer) (stream === 'stdout' ? analyzer.stdout : analyzer.stderr).write(chunk);
    checkDrops();
  };

  const progress = () => {
    const p = analyzer?.progress();
    return {
      records: p?.records ?? 0,
      drops: Math.max(p?.drops ?? 0, totalDrops(facts)),
      findings: p?.findings ?? findingsSeen,
    };
  };
  let dropWarned = false;
  const checkDrops = (): void => {
    if (dropWarned) return;
    const p = progress();
    if (p.drops > 0 && dropsExceeded(opts.dropThreshold, p.drops, p.records)) {
      dropWarned = true;
      status?.clear();
      log.warn(
        { drops: p.drops, records: p.records, threshold: formatThreshold(opts.dropThreshold) },
        `drops over the threshold (${formatThreshold(opts.dropThreshold)}): the trace is incomplete; raise --bufsize or --switchrate, or narrow the target`,
      );
    }
  };

  // Signals: first Ctrl-C or SIGTERM asks the tracer to stop; a second Ctrl-C kills it.
  let stopReason: EndingInput['stopReason'] = null;
  let killed = false;
  let stopTimer: NodeJS.Timeout | null = null;
  let driver: Driver | null = null;
  const killNow = (why: string): void => {
    if (killed) return;
    killed = true;
    status?.clear();
    log.warn(why);
    driver?.kill();
  };
  function armStopTimer(): void {
    if (stopTimer) return;
    stopTimer = setTimeout(
      () => killNow(`the tracer did not stop within ${opts.stopTimeoutMs / 1000}s of SIGINT: killing it`),
      opts.stopTimeoutMs,
    );
    stopTimer.unref();
  }
  const requestStop = (reason: 'interrupted' | 'terminated' | 'duration'): void => {
    if (stopReason || killed) return;
    stopReason = reason;
    status?.clear();
    log.info(
      reason === 'duration'
        ? `duration of ${opts.durationSec}s reached: stopping the tracer`
        : `stopping: waiting for ${backend} to print its final records (Ctrl-C again to kill it)`,
    );
    driver?.interrupt();
    armStopTimer();
  };
  const onSigint = (): void => {
    if (stopReason && stopReason !== 'duration') killNow('interrupted again: killing the tracer; everything received is kept');
    else if (stopReason === 'duration') killNow('interrupted while stopping: killing the tracer; everything received is kept');
    else requestStop('interrupted');
  };
  const onSigterm = (): void => {
    if (stopReason) killNow('terminated again: killing the tracer; everything received is kept');
    else requestStop('terminated');
  };
  deps.signals.on('SIGINT', onSigint);
  deps.signals.on('SIGTERM', onSigterm);

  const fsyncTimer = setInterval(() => {
    stdoutSink.sync();
    stderrSink.sync();
  }, 1000);
  fsyncTimer.unref();

  let exit: TracerExit;
  let durationTimer: NodeJS.Timeout | null = null;
  try {
    writeMeta(dir, meta);
    log.info({ dir, argv: meta.tracer.argv }, `capturing with ${backend} into ${dir}`);
    const handlers = { onStdout: (c: Buffer) => feed('stdout', c), onStderr: (c: Buffer) => feed('stderr', c) };
    if (followPlan) {
      const fd = new FollowDriver({
        plan: followPlan,
        launch,
        dir,
        env: deps.env,
        maxTracers: opts.maxTracers,
        logger: log,
        handlers,
        mainArgv: argv,
        backend,
        resume: (pid) => resumeProcess(deps, launch, pid),
        onMainStderr: (c: Buffer) => endingScanner?.push(c),
      });
      driver = fd;
      meta.follow = fd.metaSnapshot();
    } else {
      const tp = new TracerProcess(spawnSpec, handlers, (pid) => sudoKill(deps, launch, pid));
      driver = { pid: tp.pid, argv: meta.tracer.argv, interrupt: () => tp.interrupt(), kill: () => tp.kill(), done: tp.done };
    }
    meta.tracer.pid = driver.pid;
    writeMeta(dir, meta);
    if (opts.durationSec) {
      durationTimer = setTimeout(() => requestStop('duration'), opts.durationSec * 1000);
      durationTimer.unref();
    }
    if (deps.stderrIsTTY) {
      status = new StatusLine(deps.stderr, progress, startedAt.getTime());
      status.start();
    }
    // A signal or write failure that came before the tracer existed applies now.
    if (killed) driver.kill();
    else if (stopReason || ioFailure) driver.interrupt();
    exit = await driver.done;
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    if (stopTimer) clearTimeout(stopTimer);
    clearInterval(fsyncTimer);
    status?.stop();
    deps.signals.off('SIGINT', onSigint);
    deps.signals.off('SIGTERM', onSigterm);
    scanner.end();
    endingScanner?.end();
    stdoutSink.close();
    stderrSink.close();
  }

  if (driver instanceof FollowDriver) {
    meta.follow = driver.metaSnapshot();
    meta.notAttached = notAttachedOf(meta.follow.blindSpots);
  }

  // The analysis: end both streams, then collect the report.
  let report: unknown = null;
  if (analyzer && analysis) {
    analyzer.stdout.end();
    analyzer.stderr.end();
    try {
      report = (await analyzer.finish({ notAttached: meta.notAttached })).report;
    } catch (err) {
      log.error({ err }, 'the analysis failed; the raw capture is complete and can be replayed');
    }
  }

  const { ending, detail } = classifyEnding({ exit, facts: endingFacts, target: opts.target, ioFailure, killed, stopReason });
  const p = progress();
  const exceeded = p.drops > 0 && dropsExceeded(opts.dropThreshold, p.drops, p.records);
  const byKind = { ...facts.drops };
  meta.drops = {
    total: p.drops,
    byKind,
    records: p.records,
    fraction: dropFraction(p.drops, p.records),
    threshold: opts.dropThreshold,
    exceeded,
    onDrops: opts.onDrops,
  };
  const endedAt = deps.now();
  meta.endedAt = endedAt.toISOString();
  meta.durationMs = endedAt.getTime() - startedAt.getTime();
  meta.ending = ending;
  meta.endingDetail = detail;
  meta.exit = { code: exit.code, signal: exit.signal };
  const failure = ioFailure as RawWriteFailure | null;
  meta.raw = {
    stdoutBytes: stdoutSink.written,
    stderrBytes: stderrSink.written,
    lostBytes: stdoutSink.lost + stderrSink.lost,
    writeError: failure ? `${failure.code}: ${failure.message}` : null,
  };
  let findingsFailOn = false;
  if (report !== null && analysis) {
    meta.findings = analysis.findingCounts(report);
    findingsFailOn = analysis.failsOn(report);
    try {
      writeCaptureFile(dir, CAPTURE_FILES.findings, analysis.findingsJsonl(report));
      writeCaptureJson(dir, CAPTURE_FILES.summary, analysis.summaryJson(report));
    } catch (err) {
      log.error({ err }, 'could not write findings.jsonl / summary.json; replay the capture directory to derive them again');
    }
  }

  let exitCode = exitCodeForEnding(ending, { spawnFailed: exit.spawnError !== null });
  if (exitCode === null) {
    if (findingsFailOn) exitCode = EXIT.findings;
    else if (exceeded && opts.onDrops === 'fail') exitCode = EXIT.drops;
    else exitCode = EXIT.ok;
  }
  meta.exitCode = exitCode;
  try {
    writeMeta(dir, meta);
  } catch (err) {
    log.error({ err }, `could not rewrite meta.json in ${dir}; the one written at start is still there`);
  }
  if (report !== null && analysis?.reportHtml) {
    try {
      const html = analysis.reportHtml(report, meta as unknown as Record<string, unknown>);
      if (html !== null) writeCaptureFile(dir, CAPTURE_FILES.report, html);
    } catch (err) {
      log.error({ err }, 'could not write report.html; `loadtrace replay <dir> --format html` makes it again');
    }
  }

  if (report !== null && analysis) {
    const text = analysis.renderFinal(report, { dir, tool: opts.tool, ending });
    if (text) deps.stdout.write(text);
  }
  const message = endingMessage(ending, detail, dir, backend);
  if (exitCode === EXIT.ok || ending === 'interrupted' || ending === 'duration' || ending === 'completed' || ending === 'terminated' || ending === 'target-exited') {
    log.info({ ending, exitCode }, message);
  } else {
    log.error({ ending, exitCode }, message);
  }
  if (exceeded) {
    log.warn(
      { drops: p.drops, records: p.records },
      `${p.drops} drops (${(meta.drops.fraction * 100).toFixed(2)}% of records), over the threshold of ${formatThreshold(opts.dropThreshold)}${opts.onDrops === 'fail' ? ': failing (--on-drops fail)' : ''}`,
    );
  }
  return { dir, ending, exitCode, meta, report };
}

/** What is traced, in words: "an0840 on pid 4242", "dlsnoop on the whole system". */
function describeTarget(tool: string, target: Target): string {
  switch (target.kind) {
    case 'pid':
      return `${tool} on pid ${target.pid}`;
    case 'command':
      return `${tool} on ${/[\x00-\x1f\x7f]/.test(target.command[0]!) ? JSON.stringify(target.command[0]) : target.command[0]} and its children`;
    case 'name':
      return `${tool} on processes named ${JSON.stringify(target.name)}`;
    default:
      return `${tool} on the whole system`;
  }
}

/** Follow-mode blind spots in the engine's terms (pid, name, reason with its detail). */
function notAttachedOf(blind: readonly UnfollowedProcess[]): CaptureMeta['notAttached'] {
  return blind.map((b) => ({ pid: b.pid, ...(b.comm !== null ? { name: b.comm } : {}), reason: `${b.reason}: ${b.detail}` }));
}

export { ENDINGS };
export type { CaptureDeps } from './deps.ts';
export { captureOptionsSchema, type CaptureOptions, type ResolvedCaptureOptions } from './options.ts';

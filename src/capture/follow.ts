/**
 * Follow mode (macOS, system-wide or -n NAME): the pid provider needs a
 * concrete pid (docs/platforms/macos.md §6, `pid*` matches nothing new), so
 * the tool's own script runs system-wide (or by name) for everything else, a
 * watcher dtrace stops each new process at exec (destructive: -w, so SIP's
 * DTrace restriction must be off), and loadtrace starts one `dtrace -p PID`
 * dlsnoop for it, resumes it once that tracer has printed its begin record,
 * and merges every tracer's output, line by line, into one capture. All
 * scripts share the session nonce.
 */
import { join } from 'node:path';
import type { Logger } from './log.ts';
import type { CaptureMeta, UnfollowedProcess } from '../pipeline/capture-dir.ts';
import { TracerProcess, type TracerExit, type TracerHandlers } from './process.ts';
import { LineMerger } from './raw.ts';
import type { FollowGenerateFn, Generated, GenerateFn } from './ports.ts';
import type { ResolvedCaptureOptions } from './options.ts';
import { launchSpec, tracerArgv, type Launch } from './launch.ts';
import { MARKER_PREFIX } from '../protocol/registry.ts';
import type { Backend } from './tracer.ts';
import type { Os } from '../protocol/flags.ts';
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';
import { followScriptFile, writeCaptureFile } from '../pipeline/capture-dir.ts';

export interface FollowPlan {
  /** The tool's own script, system-wide or by name: everything but the pid provider. */
  readonly main: Generated;
  /** The watcher: stops each new process at exec and prints its exec record. */
  readonly watcher: Generated;
  /** The per-pid dlsnoop for one process, with the session nonce. */
  perPid(pid: number): Generated;
  /** Whether the watcher stops new processes at exec (it runs with -w). */
  readonly stopsAtExec: boolean;
}

/**
 * Why follow mode cannot run with this tracer on this system, or null. Oracle's DTrace for
 * Linux leaves a process that was stopped right after exec in ptrace stop once it grabs it
 * with -p (seen with dtrace-utils 2.0: the process never resumes, SIGCONT or not), and its
 * D has no stop() (docs/platforms/linux.md): the watcher would freeze every new program.
 */
export function followUnsupported(backend: Backend, os: Os): string | null {
  return backend === 'dtrace' && os === 'linux'
    ? "follow mode needs dtrace -p to take over a process stopped at exec, which Oracle's DTrace for Linux cannot do (the process stays stopped); system-wide and -n captures trace without per-pid dlopen/dlsym there"
    : null;
}

/** Whether this capture runs in follow mode; throws when it was asked for where it cannot run. */
export function needsFollow(opts: Pick<ResolvedCaptureOptions, 'follow' | 'target'>, backend: Backend, os: Os = 'darwin'): boolean {
  const unsupported = followUnsupported(backend, os);
  if (opts.follow === 'on' && unsupported) throw new CaptureError(`--follow on: ${unsupported}`, EXIT.usage);
  if (opts.follow === 'on') return true;
  if (opts.follow === 'off' || unsupported) return false;
  // bpftrace's uprobes take a library path, not a pid, so they already cover every process.
  return backend === 'dtrace' && (opts.target.kind === 'all' || opts.target.kind === 'name');
}

/** Builds the follow plan: the tool's script, the watcher and per-pid dlsnoop scripts, one nonce for all. */
export function planFollow(generate: GenerateFn, generateFollow: FollowGenerateFn, opts: ResolvedCaptureOptions, os: Os = 'darwin'): FollowPlan {
  const backend = opts.backend ?? 'dtrace';
  const target = opts.target;
  if (target.kind !== 'all' && target.kind !== 'name') {
    throw new Error(`follow mode watches new processes system-wide or by name, not a ${target.kind} target`);
  }
  // D scripts carry the OS's flag values; bpftrace scripts are Linux only.
  const dOs = backend === 'dtrace' ? { os } : {};
  const main = generate({ tool: opts.tool, backend, target, options: opts.toolOptions, ...dOs });
  const watcher = generateFollow({ target, options: opts.toolOptions, nonce: main.nonce, os });
  return {
    main,
    watcher,
    stopsAtExec: watcher.tracerArgs.includes('-w'),
    perPid: (pid) =>
      generate({ tool: 'dlsnoop', backend, target: { kind: 'pid', pid }, options: opts.toolOptions, nonce: main.nonce, ...dOs }),
  };
}

interface Child {
  readonly pid: number;
  readonly comm: string | null;
  readonly script: string;
  readonly argv: readonly string[];
  readonly proc: TracerProcess;
  resumed: boolean;
  exit: { code: number | null; signal: string | null } | null;
  stderr: string;
}

export interface FollowDriverOptions {
  readonly plan: FollowPlan;
  readonly launch: Launch;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly maxTracers: number;
  readonly logger: Logger;
  readonly handlers: TracerHandlers;
  /** argv of the main tracer (its script is written already). */
  readonly mainArgv: readonly string[];
  readonly backend: Backend;
  /** The main tracer's own stderr, raw, for deciding how the capture ended. */
  readonly onMainStderr?: (chunk: Buffer) => void;
  /** Resumes a stopped process; default SIGCONT (through sudo when not root). */
  readonly resume?: (pid: number) => void;
  /** How long a per-pid tracer may take to print its begin record before the process is resumed anyway. */
  readonly attachTimeoutMs?: number;
}

/** The main tracer, the watcher and the per-pid tracers, seen by capture as one tracer. */
export class FollowDriver {
  private readonly merger: LineMerger;
  private readonly errMerger: LineMerger;
  private readonly children = new Map<number, Child>();
  private readonly finished: Child[] = [];
  private readonly blind: UnfollowedProcess[] = [];
  private readonly main: TracerProcess;
  private readonly watcher: TracerProcess;
  private readonly watcherArgv: readonly string[];
  private watcherExit: { code: number | null; signal: string | null } | null = null;
  private watcherError: string | null = null;
  private watcherStderr = '';
  private readonly stdoutMarker: string;
  private watcherLine = '';
  private stopping = false;
  readonly argv: readonly string[];
  readonly done: Promise<TracerExit>;

  constructor(private readonly o: FollowDriverOptions) {
    this.stdoutMarker = `${MARKER_PREFIX}${o.plan.watcher.nonce}\t`;
    this.merger = new LineMerger((c) => o.handlers.onStdout(c));
    this.errMerger = new LineMerger((c) => o.handlers.onStderr(c));
    const mainSpec = launchSpec(o.launch, o.mainArgv, 'ignore', o.env, o.plan.main.env);
    this.argv = [mainSpec.file, ...mainSpec.args];
    this.main = new TracerProcess(mainSpec, {
      onStdout: (c) => this.merger.push('main', c),
      onStderr: (c) => {
        this.errMerger.push('main', c);
        o.onMainStderr?.(c);
      },
    });
    const watcherScript = join(o.dir, followScriptFile(o.backend));
    writeCaptureFile(o.dir, followScriptFile(o.backend), o.plan.watcher.script);
    const watcherSpec = launchSpec(o.launch, tracerArgv(o.backend, o.plan.watcher, watcherScript), 'ignore', o.env, o.plan.watcher.env);
    this.watcherArgv = [watcherSpec.file, ...watcherSpec.args];
    this.watcher = new TracerProcess(watcherSpec, {
      onStdout: (c) => {
        this.merger.push('watcher', c);
        this.watchExecs(c);
      },
      onStderr: (c) => {
        this.errMerger.push('watcher', c);
        if (this.watcherStderr.length < 4096) this.watcherStderr += c.toString('utf8');
      },
    });
    void this.watcher.done.then((exit) => {
      this.watcherExit = { code: exit.code, signal: exit.signal };
      this.merger.end('watcher');
      this.errMerger.end('watcher');
      if (!this.stopping) {
        // Typically -w refused under SIP (docs/platforms/macos.md §6): the capture goes on without following.
        const why = this.watcherStderr.trim().split('\n').find((l) => l.trim()) ?? `exited with ${exit.code ?? exit.signal}`;
        this.watcherError = why;
        o.logger.warn({ reason: why }, 'the follow watcher stopped: new processes are no longer followed (dlopen/dlsym of new processes unseen)');
      }
    });
    this.done = this.main.done.then(async (exit) => {
      this.merger.end('main');
      this.errMerger.end('main');
      // The main tracer is gone: stop following and let every per-pid tracer print its END output.
      this.stopping = true;
      this.watcher.interrupt();
      for (const c of this.children.values()) c.proc.interrupt();
      await Promise.all([this.watcher.done, ...[...this.children.values()].map((c) => c.proc.done)]);
      return exit;
    });
  }

  get pid(): number | null {
    return this.main.pid;
  }

  interrupt(): void {
    this.stopping = true;
    this.main.interrupt();
    this.watcher.interrupt();
    for (const c of this.children.values()) c.proc.interrupt();
  }

  kill(): void {
    this.stopping = true;
    this.main.kill();
    this.watcher.kill();
    for (const c of this.children.values()) {
      // A process still waiting for its tracer must not stay stopped after the tracer is gone.
      this.resumeChild(c);
      c.proc.kill();
    }
  }

  /** Follow-mode part of meta.json. */
  metaSnapshot(): NonNullable<CaptureMeta['follow']> {
    const all = [...this.finished, ...this.children.values()];
    return {
      maxTracers: this.o.maxTracers,
      watcher: { argv: [...this.watcherArgv], exit: this.watcherExit, error: this.watcherError },
      tracers: all.map((c) => ({ pid: c.pid, comm: c.comm, script: c.script, argv: [...c.argv], exit: c.exit })),
      blindSpots: [...this.blind],
      unterminatedLines: this.merger.unterminated + this.errMerger.unterminated,
    };
  }

  // exec records of the watcher name the processes to follow; only lines with the session nonce count.
  private watchExecs(chunk: Buffer): void {
    const text = this.watcherLine + chunk.toString('utf8');
    const lines = text.split('\n');
    this.watcherLine = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith(this.stdoutMarker)) continue;
      const f = line.slice(this.stdoutMarker.length).split('\t');
      if (f[0] !== 'exec') continue;
      const pid = Number(f[2]);
      if (!Number.isSafeInteger(pid) || pid <= 0) continue;
      this.follow(pid, f[6] ?? null);
    }
  }

  private follow(pid: number, comm: string | null): void {
    if (this.children.has(pid)) return;
    const log = this.o.logger;
    if (this.stopping) {
      // Stopped by the watcher while the capture ends: never leave it stopped.
      this.blind.push({ pid, comm, reason: 'capture_stopping', detail: 'started while the capture was stopping; resumed untraced' });
      this.resume(pid);
      return;
    }
    if (this.children.size >= this.o.maxTracers) {
      this.blind.push({ pid, comm, reason: 'tracer_limit', detail: `${this.o.maxTracers} per-pid tracers already running (--max-tracers)` });
      this.resume(pid);
      log.warn({ pid, comm }, 'per-pid tracer limit reached: not following this process');
      return;
    }
    let gen: Generated;
    try {
      gen = this.o.plan.perPid(pid);
    } catch (err) {
      this.blind.push({ pid, comm, reason: 'tracer_failed', detail: `no script: ${(err as Error).message}` });
      this.resume(pid);
      return;
    }
    const script = followScriptFile(this.o.backend, pid);
    writeCaptureFile(this.o.dir, script, gen.script);
    const spec = launchSpec(this.o.launch, tracerArgv(this.o.backend, gen, join(this.o.dir, script)), 'ignore', this.o.env, gen.env);
    const source = `pid-${pid}`;
    const beginMarker = `${MARKER_PREFIX}${gen.nonce}\tbegin\t`;
    let seen = '';
    const child: Child = {
      pid,
      comm,
      script,
      argv: [spec.file, ...spec.args],
      resumed: false,
      exit: null,
      stderr: '',
      proc: new TracerProcess(spec, {
        onStdout: (c) => {
          this.merger.push(source, c);
          if (!child.resumed) {
            seen += c.toString('utf8');
            if (seen.includes(beginMarker)) this.resumeChild(child);
          }
        },
        onStderr: (c) => {
          this.errMerger.push(source, c);
          if (child.stderr.length < 4096) child.stderr += c.toString('utf8');
        },
      }),
    };
    this.children.set(pid, child);
    if (this.o.plan.stopsAtExec) {
      const t = setTimeout(() => {
        if (!child.resumed) {
          this.blind.push({ pid, comm, reason: 'tracer_failed', detail: 'the per-pid tracer did not start in time; the process was resumed untraced' });
          this.resumeChild(child);
        }
      }, this.o.attachTimeoutMs ?? 10_000);
      t.unref();
    } else {
      this.blind.push({ pid, comm, reason: 'not_stopped', detail: 'the watcher cannot stop processes (no -w: SIP DTrace restriction on); events before attach are missed' });
    }
    void child.proc.done.then((exit) => {
      child.exit = { code: exit.code, signal: exit.signal };
      this.merger.end(source);
      this.errMerger.end(source);
      this.children.delete(pid);
      this.finished.push(child);
      if (!child.resumed) {
        const grab = /failed to grab pid \d+: (.*)/.exec(child.stderr);
        const gone = grab && /No such process/i.test(grab[1] ?? '');
        this.blind.push({
          pid,
          comm,
          reason: gone ? 'exited_before_attach' : 'grab_failed',
          detail: grab?.[0] ?? (child.stderr.trim().split('\n')[0] || `tracer exited with ${exit.code ?? exit.signal}`),
        });
        this.resumeChild(child);
      }
    });
    log.debug({ pid, comm }, 'following new process');
  }

  private resumeChild(child: Child): void {
    if (child.resumed) return;
    child.resumed = true;
    this.resume(child.pid);
  }

  private resume(pid: number): void {
    if (!this.o.plan.stopsAtExec) return;
    if (this.o.resume) return this.o.resume(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone already, or not ours to signal; nothing is left waiting on it.
    }
  }
}

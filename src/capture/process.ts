/**
 * One tracer child process. It runs in its own process group (detached), so a
 * Ctrl-C on the terminal reaches loadtrace only and loadtrace alone decides
 * what the tracer gets: exactly one SIGINT for a clean stop (a second one would
 * make dtrace "impatient" and skip its END clauses), then SIGKILL if asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface TracerSpawn {
  /** Executable to run: the tracer, or sudo. */
  readonly file: string;
  readonly args: readonly string[];
  /** True when `file` is sudo: signals then go to sudo, which relays them. */
  readonly viaSudo: boolean;
  /** stdin for the tracer: a traced command (-c) may want the terminal's. */
  readonly stdin: 'ignore' | 'inherit';
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface TracerExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  readonly spawnError: NodeJS.ErrnoException | null;
}

export interface TracerHandlers {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

/** How long to wait for the output pipes to close after the process itself is gone. */
const PIPE_GRACE_MS = 2000;

export class TracerProcess {
  private readonly child: ChildProcess;
  private exited = false;
  /** Resolves once the process has exited and its output pipes are drained. */
  readonly done: Promise<TracerExit>;

  constructor(
    readonly spec: TracerSpawn,
    handlers: TracerHandlers,
    private readonly sudoKill?: (pid: number) => void,
  ) {
    this.child = spawn(spec.file, [...spec.args], {
      stdio: [spec.stdin, 'pipe', 'pipe'],
      detached: true,
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    this.child.stdout?.on('data', (c: Buffer) => handlers.onStdout(c));
    this.child.stderr?.on('data', (c: Buffer) => handlers.onStderr(c));
    this.done = new Promise((resolve) => {
      let spawnError: NodeJS.ErrnoException | null = null;
      let settled = false;
      const finish = (code: number | null, signal: string | null) => {
        if (settled) return;
        settled = true;
        this.exited = true;
        resolve({ code, signal, spawnError });
      };
      this.child.on('error', (err: NodeJS.ErrnoException) => {
        // 'error' without a pid means it never started; 'close' may not follow.
        if (this.child.pid === undefined) {
          spawnError = err;
          finish(null, null);
        }
      });
      this.child.on('close', (code, signal) => finish(code, signal));
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        // A grandchild (the -c command, a daemon it started) may keep the pipes open; do not wait forever.
        setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
          finish(code, signal);
        }, PIPE_GRACE_MS).unref();
      });
    });
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  get running(): boolean {
    return !this.exited && this.child.pid !== undefined;
  }

  /** Asks for a clean stop: SIGINT, so DTrace runs its END clauses and bpftrace prints its maps. */
  interrupt(): void {
    this.signal('SIGINT');
  }

  /** Stops the tracer hard. Behind sudo SIGKILL cannot be relayed, so sudo is asked to kill its group. */
  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    if (this.spec.viaSudo) {
      // sudo relays SIGTERM; dtrace treats a second interrupt as "impatient" and exits at once.
      this.signal('SIGTERM');
      this.sudoKill?.(pid);
      return;
    }
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.signal('SIGKILL');
    }
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone: its exit is on its way.
    }
  }
}

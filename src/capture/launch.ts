/**
 * How the tracer is started: which executable, and through sudo when loadtrace
 * is not root. sudo is asked up front (`sudo -n true`, else `sudo -v` on the
 * terminal) because the tracer then runs detached from the terminal, where
 * sudo could not prompt. Behind sudo, a kill or a resume goes through sudo too.
 */
import { spawn } from 'node:child_process';
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';
import type { Generated } from './ports.ts';
import type { Logger } from './log.ts';
import type { TracerSpawn } from './process.ts';
import type { CommandRunner } from './run-command.ts';
import { locateTracer, tracerEnvVar, whichSync, type Backend } from './tracer.ts';

export interface LaunchDeps {
  readonly isRoot: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly stdinIsTTY: boolean;
  readonly run: CommandRunner;
  readonly sudoAuthenticate: () => Promise<boolean>;
}

/** `sudo -v` on the terminal, so the password prompt happens before the tracer starts detached. */
export async function sudoValidate(): Promise<boolean> {
  return new Promise((res) => {
    const child = spawn('sudo', ['-v'], { stdio: 'inherit' });
    child.on('error', () => res(false));
    child.on('exit', (code) => res(code === 0));
  });
}

/** How the tracer is started: through sudo when not root. */
export interface Launch {
  readonly tracerPath: string;
  readonly viaSudo: boolean;
  readonly sudoPath: string | null;
}

/** Finds the tracer and decides on sudo; throws a CaptureError (exit 3) with the fix when it cannot run. */
export async function planLaunch(backend: Backend, deps: LaunchDeps, log: Logger): Promise<Launch> {
  const loc = locateTracer(backend, deps.env);
  if (!loc.path) {
    const hint =
      backend === 'dtrace'
        ? 'dtrace ships with macOS in /usr/sbin; on Linux use --backend bpftrace'
        : 'install it (Debian/Ubuntu: apt-get install -y bpftrace)';
    const where = loc.source === 'env' ? `${tracerEnvVar(backend)}=${deps.env[tracerEnvVar(backend)]} is not an executable file` : `${backend} is not on PATH`;
    throw new CaptureError(`cannot run ${backend}: ${where}; ${hint}`, EXIT.tracerRefused);
  }
  if (deps.isRoot) return { tracerPath: loc.path, viaSudo: false, sudoPath: null };
  const sudoPath = whichSync('sudo', deps.env);
  if (!sudoPath) {
    throw new CaptureError(`${backend} needs root and sudo is not available: run loadtrace as root`, EXIT.tracerRefused);
  }
  const probe = await deps.run(sudoPath, ['-n', 'true'], { timeoutMs: 10_000, env: deps.env });
  if (probe.code !== 0) {
    const ok = deps.stdinIsTTY ? await deps.sudoAuthenticate() : false;
    if (!ok) {
      throw new CaptureError(
        `${backend} needs root: sudo would ask for a password and ${deps.stdinIsTTY ? 'authentication failed' : 'there is no terminal to ask on'}; run loadtrace with sudo or as root`,
        EXIT.tracerRefused,
      );
    }
  }
  log.debug({ sudo: sudoPath }, 'tracer runs through sudo');
  return { tracerPath: loc.path, viaSudo: true, sudoPath };
}

/** Where the generator's tracerArgs want the script's path. */
const SCRIPT_PLACEHOLDER = '{script}';

/**
 * The argv for a generated script: the generator's arguments with the script path in place of
 * `{script}`; without a placeholder, `-s PATH` for dtrace or PATH last for bpftrace.
 */
export function tracerArgv(backend: Backend, gen: Pick<Generated, 'tracerArgs'>, scriptPath: string): string[] {
  if (gen.tracerArgs.includes(SCRIPT_PLACEHOLDER)) return gen.tracerArgs.map((a) => (a === SCRIPT_PLACEHOLDER ? scriptPath : a));
  return backend === 'dtrace' ? [...gen.tracerArgs, '-s', scriptPath] : [...gen.tracerArgs, scriptPath];
}

/**
 * Wraps a tracer argv in `sudo -n` when needed (after `sudo -v` or a cached ticket, -n never prompts).
 * The tracer's own variables (bpftrace's BPFTRACE_STRLEN…) go through `env` under sudo, which
 * would otherwise drop them.
 */
export function launchSpec(
  launch: Launch,
  args: readonly string[],
  stdin: 'ignore' | 'inherit',
  env: NodeJS.ProcessEnv,
  tracerEnv: Readonly<Record<string, string>> = {},
): TracerSpawn {
  const vars = Object.entries(tracerEnv);
  if (launch.viaSudo && launch.sudoPath) {
    const wrapped = vars.length > 0 ? ['/usr/bin/env', ...vars.map(([k, v]) => `${k}=${v}`), launch.tracerPath] : [launch.tracerPath];
    return { file: launch.sudoPath, args: ['-n', '--', ...wrapped, ...args], viaSudo: true, stdin, env };
  }
  return { file: launch.tracerPath, args: [...args], viaSudo: false, stdin, env: { ...env, ...tracerEnv } };
}

/** Behind sudo a SIGKILL cannot be relayed: ask sudo (ticket still valid, -n) to kill the tracer's process group. */
export function sudoKill(deps: Pick<LaunchDeps, 'run' | 'env'>, launch: Launch, pid: number): void {
  if (!launch.sudoPath) return;
  void deps.run(launch.sudoPath, ['-n', 'kill', '-KILL', '--', `-${pid}`], { timeoutMs: 5000, env: deps.env });
}

/** SIGCONT for a process the watcher stopped at exec; through sudo when not root. */
export function resumeProcess(deps: Pick<LaunchDeps, 'run' | 'env'>, launch: Launch, pid: number): void {
  if (launch.viaSudo && launch.sudoPath) {
    void deps.run(launch.sudoPath, ['-n', 'kill', '-CONT', String(pid)], { timeoutMs: 5000, env: deps.env });
    return;
  }
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // Already gone.
  }
}

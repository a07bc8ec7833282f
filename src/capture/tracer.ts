/**
 * Finding the tracer and deciding how to run it: which executable
 * (LOADTRACE_DTRACE / LOADTRACE_BPFTRACE, else PATH), whether sudo is needed,
 * and its version for the metadata.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { CommandRunner } from './run-command.ts';

import type { Backend } from '../generate/options.ts';

export type { Backend };

/** The backend a platform uses by default: DTrace on macOS, bpftrace elsewhere. */
export function defaultBackend(platform: NodeJS.Platform): Backend {
  return platform === 'darwin' ? 'dtrace' : 'bpftrace';
}

const ENV_OVERRIDE: Record<Backend, string> = { dtrace: 'LOADTRACE_DTRACE', bpftrace: 'LOADTRACE_BPFTRACE' };

/** The environment variable that overrides a backend's executable. */
export function tracerEnvVar(backend: Backend): string {
  return ENV_OVERRIDE[backend];
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks a command up on PATH like a shell would; null when absent. */
export function whichSync(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (name.includes('/')) return isExecutableFile(name) ? name : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

export interface TracerLocation {
  readonly backend: Backend;
  /** Absolute path, or null when not found. */
  readonly path: string | null;
  /** Where it came from: the override variable or PATH. */
  readonly source: 'env' | 'path';
}

/** Finds the tracer: the override variable wins, then PATH (plus /usr/sbin, where macOS keeps dtrace). */
export function locateTracer(backend: Backend, env: NodeJS.ProcessEnv = process.env): TracerLocation {
  const override = env[ENV_OVERRIDE[backend]];
  if (override) {
    const path = isAbsolute(override) || override.includes('/') ? override : whichSync(override, env);
    return { backend, path: path && isExecutableFile(path) ? path : null, source: 'env' };
  }
  const found = whichSync(backend, env) ?? whichSync(backend, { PATH: '/usr/sbin:/usr/bin:/usr/local/bin' });
  return { backend, path: found, source: 'path' };
}

/** The tracer's version line (`dtrace -V` / `bpftrace --version`), or null if it would not say. */
export async function tracerVersion(run: CommandRunner, backend: Backend, path: string): Promise<string | null> {
  // `dtrace -V` prints "dtrace: Sun D 1.x" and needs no privileges.
  const res = await run(path, backend === 'dtrace' ? ['-V'] : ['--version'], { timeoutMs: 5000 });
  const text = `${res.stdout}\n${res.stderr}`.split('\n').find((l) => l.trim().length > 0);
  return res.code === 0 && text ? text.trim() : null;
}

/** Whether this process runs as root (tracers need it). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

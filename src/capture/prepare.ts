/**
 * Before anything is created: the options checked and completed, the backend chosen, the
 * target checked, and the script (or the follow-mode scripts) generated.
 */
import { realpathSync } from 'node:fs';
import { z } from 'zod';
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';
import { defaultDeps, type CaptureDeps } from './deps.ts';
import { needsFollow, planFollow, type FollowPlan } from './follow.ts';
import type { Logger } from './log.ts';
import { captureOptionsSchema, type CaptureOptions, type ResolvedCaptureOptions } from './options.ts';
import type { Generated, Target } from './ports.ts';
import { defaultBackend, whichSync, type Backend } from './tracer.ts';

/** The target as the tracer runs it: a command to run as another user goes through setpriv. */
function withRunAs(opts: Pick<ResolvedCaptureOptions, 'target' | 'runAs'>, env: NodeJS.ProcessEnv): Target {
  if (opts.runAs === null || opts.target.kind !== 'command') return opts.target;
  const setpriv = whichSync('setpriv', env);
  if (setpriv === null) {
    throw new CaptureError(`cannot run the command as ${opts.runAs.user}: setpriv (util-linux) is not on PATH; install it, or pass --run-as root`, EXIT.usage);
  }
  const { uid, gid } = opts.runAs;
  return { kind: 'command', command: [realpathSync(setpriv), `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...opts.target.command] };
}

/** A capture ready to start: what runCapture goes on with. */
export interface PreparedCapture {
  readonly opts: ResolvedCaptureOptions;
  readonly deps: CaptureDeps;
  readonly log: Logger;
  readonly backend: Backend;
  readonly os: 'darwin' | 'linux';
  readonly startedAt: Date;
  readonly follow: boolean;
  readonly followPlan: FollowPlan | null;
  readonly gen: Generated;
}

/** Throws a CaptureError for options, a target or a script that cannot be used: nothing is on disk yet. */
export function prepareCapture(options: CaptureOptions, partialDeps: Partial<CaptureDeps>): PreparedCapture {
  const parsed = captureOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new CaptureError(`invalid capture options: ${z.prettifyError(parsed.error)}`, EXIT.usage);
  }
  let opts: ResolvedCaptureOptions = parsed.data;
  const deps = defaultDeps(partialDeps);
  const log = deps.logger.child({ module: 'capture' });
  // System-wide and by name, the scripts leave this process and the tracer it starts out (in the
  // kernel); the pid is kept with the options in meta.json, and said here.
  if ((opts.target.kind === 'all' || opts.target.kind === 'name') && opts.toolOptions?.selfPid === undefined) {
    opts = { ...opts, toolOptions: { ...opts.toolOptions, selfPid: process.pid } };
    log.info(`loadtrace itself (pid ${process.pid}) and the tracer it starts are left out of the trace`);
  }
  const backend: Backend = opts.backend ?? defaultBackend(deps.platform);
  const os: 'darwin' | 'linux' = deps.platform === 'darwin' ? 'darwin' : 'linux';
  const startedAt = deps.now();
  // A pid that names no process would only show as an empty trace, in a folder made for nothing.
  if (opts.target.kind === 'pid' && !deps.pidExists(opts.target.pid)) {
    throw new CaptureError(`-p ${opts.target.pid}: no such process`, EXIT.usage);
  }

  const traced = withRunAs(opts, deps.env);
  const follow = needsFollow(opts, backend, os) && deps.generateFollow !== null;
  let gen: Generated;
  let followPlan: FollowPlan | null = null;
  try {
    if (follow && deps.generateFollow) {
      followPlan = planFollow(deps.generate, deps.generateFollow, opts, os);
      gen = followPlan.main;
    } else {
      gen = deps.generate({ tool: opts.tool, backend, target: traced, options: opts.toolOptions, ...(backend === 'dtrace' ? { os } : {}) });
    }
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    throw new CaptureError(`cannot generate the ${opts.tool} script: ${(err as Error).message}`, EXIT.usage, { cause: err });
  }
  // In follow mode the main script's note about the pid provider is answered by the per-pid tracers.
  for (const note of gen.notes) if (!followPlan || !/generateFollow|follow mode/.test(note)) log.info(note);
  if (followPlan) {
    log.info(
      `follow mode: a watcher stops each new ${opts.target.kind === 'name' ? `"${opts.target.name}" ` : ''}process at exec and a per-pid dlsnoop attaches to it (at most ${opts.maxTracers} at once)`,
    );
  }
  return { opts, deps, log, backend, os, startedAt, follow, followPlan, gen };
}

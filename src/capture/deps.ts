/**
 * What capture needs from the outside world, and the real ones it uses when a caller
 * (a test, the CLI) leaves one out.
 */
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { EXIT } from '../exit-codes.ts';
import { CaptureError } from './errors.ts';
import type { CaptureAnalysis, FollowGenerateFn, GenerateFn } from './ports.ts';
import { createLogger, type Logger } from './log.ts';
import { openRawFile, type RawFileOpener } from './raw.ts';
import { runCommand, type CommandRunner } from './run-command.ts';
import { isRoot } from './tracer.ts';
import { sudoValidate } from './launch.ts';

/** Everything capture touches in the outside world; each is replaceable in tests. */
export interface CaptureDeps {
  readonly generate: GenerateFn;
  /** The follow-mode watcher generator; without it, follow mode is off. */
  readonly generateFollow: FollowGenerateFn | null;
  /** The analysis (pipeline and reporters); null records raw output and metadata only. */
  readonly analysis: CaptureAnalysis | null;
  readonly platform: NodeJS.Platform;
  readonly isRoot: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Status line only on a terminal. */
  readonly stderrIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  readonly logger: Logger;
  readonly run: CommandRunner;
  readonly openRawFile: RawFileOpener;
  /** Emits 'SIGINT' and 'SIGTERM' (process by default). */
  readonly signals: EventEmitter;
  /** Asks for the sudo password on the terminal (`sudo -v`); resolves whether it worked. */
  readonly sudoAuthenticate: () => Promise<boolean>;
  readonly now: () => Date;
  /** Whether a -p pid names a live process. */
  readonly pidExists: (pid: number) => boolean;
}

export function defaultDeps(partial: Partial<CaptureDeps>): CaptureDeps {
  const stderrIsTTY = partial.stderrIsTTY ?? Boolean(process.stderr.isTTY);
  const generate =
    partial.generate ??
    (() => {
      throw new CaptureError('no script generator is available', EXIT.error);
    });
  return {
    generate,
    generateFollow: partial.generateFollow ?? null,
    analysis: partial.analysis ?? null,
    platform: partial.platform ?? process.platform,
    isRoot: partial.isRoot ?? isRoot(),
    env: partial.env ?? process.env,
    cwd: partial.cwd ?? process.cwd(),
    stdout: partial.stdout ?? process.stdout,
    stderr: partial.stderr ?? process.stderr,
    stderrIsTTY,
    stdinIsTTY: partial.stdinIsTTY ?? Boolean(process.stdin.isTTY),
    logger: partial.logger ?? createLogger('info', { tty: stderrIsTTY }),
    run: partial.run ?? runCommand,
    openRawFile: partial.openRawFile ?? openRawFile,
    signals: partial.signals ?? process,
    sudoAuthenticate: partial.sudoAuthenticate ?? (() => sudoValidate()),
    now: partial.now ?? (() => new Date()),
    pidExists: partial.pidExists ?? processExists,
  };
}

/** Whether a pid names a live process (EPERM: it exists, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

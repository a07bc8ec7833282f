/**
 * A small injectable command runner. doctor and the capture metadata ask the
 * system questions (`csrutil status`, `dtrace -V`, `sudo -n true`); tests
 * answer them with canned outputs instead.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code, or null when the command did not run to an exit (not found, timed out, signalled). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command could not be started or was stopped: ENOENT, EACCES, ETIMEDOUT… */
  readonly error?: string;
}

export type CommandRunner = (
  file: string,
  args: readonly string[],
  options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv },
) => Promise<CommandResult>;

/** Runs a command to completion without a shell; never rejects. */
export const runCommand: CommandRunner = (file, args, options = {}) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: options.timeoutMs ?? 10_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', env: options.env ?? process.env },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
        const error = e.killed ? 'ETIMEDOUT' : e.signal ? `terminated by ${e.signal}` : String(e.code ?? e.message);
        resolve({ code: null, stdout: stdout ?? '', stderr: stderr ?? '', error });
      },
    );
  });

/**
 * The command line's own error, for a bad option or argument, and the exit codes every
 * command shares. Kept small: most command modules import it.
 */
import { EXIT } from '../exit-codes.ts';

export { EXIT, type ExitCode } from '../exit-codes.ts';

/** An error that carries the exit code the CLI should end with. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

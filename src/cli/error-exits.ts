/**
 * How the command line ends: the exit code for every error the library and the
 * commands throw, in one table. The library throws its own error classes and never
 * exits; main.ts asks exitCodeOf() once an error reaches the top.
 *
 * main.ts imports this file only when a command fails: the error classes bring zod
 * and the parser's options with them, which `--version` and `--help` do not need.
 */
import { BaselineError } from '../baseline/load.ts';
import { CaptureError } from '../capture/errors.ts';
import { EXIT } from '../exit-codes.ts';
import { GenerateError } from '../generate/errors.ts';
import { ParserOptionsError } from '../parse/options.ts';
import { CaptureDirError } from '../pipeline/capture-dir.ts';
import { InputError } from '../pipeline/input.ts';
import { CliError } from './exit.ts';

/**
 * The exit code for each error class that can reach the top of a command. Errors of the
 * capture stage and the command line carry their own code (a capture ends in one of several
 * documented ways, and records which in meta.json); every other library error is bad input.
 */
const EXIT_FOR: ReadonlyArray<readonly [new (...args: never[]) => Error, (err: Error) => number]> = [
  [CliError, (err) => (err as CliError).exitCode],
  [CaptureError, (err) => (err as CaptureError).exitCode],
  [InputError, () => EXIT.usage],
  [CaptureDirError, () => EXIT.usage],
  [BaselineError, () => EXIT.usage],
  [GenerateError, () => EXIT.usage],
  [ParserOptionsError, () => EXIT.usage],
];

/** The exit code the command line ends with for an error thrown while a command ran. */
export function exitCodeOf(err: unknown): number {
  for (const [cls, code] of EXIT_FOR) if (err instanceof cls) return code(err);
  return EXIT.error;
}

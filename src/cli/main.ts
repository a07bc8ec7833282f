/**
 * The `loadtrace` command line. Each stage registers its own commands; this
 * file only assembles them and turns commander's errors into exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerToolsCommands } from '../generate/cli.ts';
import { registerBaselineCommands } from '../baseline/cli.ts';
import { registerCaptureCommands } from '../capture/cli.ts';
import { registerReplayCommand } from './replay.ts';
import { readEvents } from '../pipeline/events.ts';
import { EXIT } from './exit.ts';
import { VERSION } from '../version.ts';

/** Builds the program; exported so tests can drive it without a child process. */
export function buildProgram(): Command {
  const program = new Command('loadtrace')
    .description(
      'Trace and judge reflective code loading (MITRE ATT&CK T1620, analytic AN0840):\n' +
        'atypical dlopen/dlsym, RWX and W->X anonymous memory, and code run from it.\n' +
        'DTrace on macOS, bpftrace on Linux.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerReplayCommand(program);
  registerCaptureCommands(program);
  registerToolsCommands(program);
  registerBaselineCommands(program, { readEvents: (input) => readEvents(input) });
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`loadtrace replay … | head`) is not an error of ours: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`loadtrace: ${err instanceof Error ? err.message : String(err)}\n`);
    return (err as { exitCode?: number }).exitCode ?? EXIT.error;
  }
}

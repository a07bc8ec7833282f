/**
 * The capture commands as a real process, with the stand-in generator and no
 * analysis, so process-level behaviour (real signals, exit codes,
 * argument parsing) is tested on its own. The full CLI is bin/loadtrace.js.
 */
import { Command, CommanderError } from 'commander';
import { registerCaptureCommands } from '../../src/cli/capture.ts';
import { exitCodeOf } from '../../src/cli/error-exits.ts';
import { fakeGenerate, fakeGenerateFollow } from './helpers.ts';

const program = new Command('loadtrace').exitOverride();
registerCaptureCommands(program, {
  loadGenerate: async () => ({ generate: fakeGenerate, generateFollow: fakeGenerateFollow }),
  loadAnalysis: async () => null,
});
for (const c of program.commands) c.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else {
    process.stderr.write(`loadtrace: ${(err as Error).message}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

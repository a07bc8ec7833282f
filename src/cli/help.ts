/**
 * The EXAMPLES section every command's --help ends with, as bcc and bpftrace tools have: the
 * quickest way to learn a command is a line to copy.
 */
import type { Command } from 'commander';

/** Appends "Examples:" with one `command  # what it does` line each to a command's help. */
export function addExamples(cmd: Command, examples: readonly (readonly [string, string])[]): Command {
  const width = Math.max(...examples.map(([c]) => c.length));
  const lines = examples.map(([c, why]) => `  ${c.padEnd(width)}  # ${why}`);
  return cmd.addHelpText('after', `\nExamples:\n${lines.join('\n')}\n`);
}

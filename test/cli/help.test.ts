import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';

/** Every command with its subcommands, depth first. */
function all(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(all)];
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
  cmd.outputHelp();
  return text;
}

describe('--help', () => {
  it('every command ends its help with examples to copy, each a loadtrace command line', async () => {
    const program = await buildProgram();
    const commands = all(program);
    expect(commands.map((c) => c.name())).toEqual(
      expect.arrayContaining(['replay', 'capture', 'doctor', 'tools', 'generate', 'baseline', 'learn', 'show', 'diff', 'check']),
    );
    for (const cmd of commands) {
      const help = helpOf(cmd);
      const section = help.slice(help.indexOf('\nExamples:\n'));
      expect(help, `${cmd.name()} --help`).toContain('\nExamples:\n');
      const lines = section.split('\n').slice(2).filter((l) => l.trim() !== '');
      expect(lines.length, `${cmd.name()} examples`).toBeGreaterThan(0);
      for (const l of lines) expect(l, `${cmd.name()} example`).toMatch(/^ {2}(sudo )?loadtrace /);
      if (cmd !== program) expect(section, `${cmd.name()} examples use the command`).toContain(` ${cmd.name()}`);
    }
  });
});
